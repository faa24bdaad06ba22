/**
 * etcd_quorum against a real 3-member etcd (plain and mutual TLS, members dialled by IP like k3s
 * advertises them): passes with all members up, blocks with a peer down, errors when our own
 * member does not answer, passes again once the peer is back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { runCheck, type CheckSpec } from "../../src/checks/index.ts";
import { HealthCheck } from "../../src/config/_checks.ts";
import { createFs, systemClock } from "../../src/platform/index.ts";
import { makeTlsMaterial, startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";

const deps = { clock: systemClock, fs: createFs(), node: "m0" };

/** This process's open TCP connections to 127.0.0.1:`port` (etcd also dials its own client port). */
async function establishedTo(port: number): Promise<number> {
  const proc = Bun.spawn(["ss", "-Htnp", "state", "established", "dst", `127.0.0.1:${port}`], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`ss exited ${code}`);
  return out.split("\n").filter((l) => l.includes(`pid=${process.pid},`)).length;
}

function spec(raw: Record<string, unknown>): CheckSpec {
  return v.parse(HealthCheck, { type: "etcd_quorum", timeout_sec: 5, ...raw });
}

describe("etcd_quorum, plain http", () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcd({ members: 3 });
  });
  afterAll(() => cluster?.stop());

  test("passes, blocks with one peer down, passes again once it is back, errors without our member", async () => {
    const check = spec({ endpoint: cluster.members[0]!.clientUrl });
    const up = await runCheck(check, deps);
    expect(up).toMatchObject({ kind: "pass", message: expect.stringContaining("3 voting member(s), quorum 2: with m0 down, 2 stay healthy (m1, m2)") });

    await cluster.members[2]!.kill();
    const down = await runCheck(check, deps);
    expect(down).toMatchObject({ kind: "fail", message: expect.stringContaining("only 1 would stay healthy (m2: unreachable") });
    expect(down.durationMs).toBeLessThan(5_000);

    await cluster.members[2]!.restart();
    await waitFor(async () => (await runCheck(check, deps)).kind === "pass", { timeoutMs: 10_000, what: "etcd_quorum to pass again after m2 restarted" });

    await cluster.members[0]!.kill();
    const self = await runCheck(check, deps);
    expect(self).toMatchObject({ kind: "error", message: expect.stringContaining("did not answer") });
  });
});

describe("etcd_quorum, mutual TLS like k3s", () => {
  let cluster: EtcdCluster;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crd-quorum-"));
    cluster = await startEtcd({ members: 3, tls: await makeTlsMaterial(dir) });
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("dials the IP-advertised members with server_name localhost (the default for an IP endpoint)", async () => {
    const tls = cluster.tls!;
    const port = new URL(cluster.members[1]!.clientUrl).port;
    const check = spec({ endpoint: `https://127.0.0.1:${port}`, ca_file: tls.caFile, cert_file: tls.clientCertFile, key_file: tls.clientKeyFile });
    expect(check).toMatchObject({ server_name: "localhost" });
    expect(await runCheck(check, deps)).toMatchObject({ kind: "pass", message: expect.stringContaining("with m1 down, 2 stay healthy") });
    await cluster.members[0]!.kill();
    expect(await runCheck(check, deps)).toMatchObject({ kind: "fail", message: expect.stringContaining("m0: unreachable") });
  });

  test("a hung member (SIGSTOP: TCP accepted, TLS never answered): verdict in time, no socket left, status exits", async () => {
    const tls = cluster.tls!;
    const [, m1, m2] = cluster.members;
    await m2!.restart().catch(() => {}); // the test above killed m0; m2 must be a live process to stop
    await cluster.members[0]!.restart();
    const port = (m: typeof m1) => new URL(m!.clientUrl).port;
    const raw = { endpoint: `https://127.0.0.1:${port(m1)}`, ca_file: tls.caFile, cert_file: tls.clientCertFile, key_file: tls.clientKeyFile, timeout_sec: 3 };
    process.kill(m2!.pid, "SIGSTOP"); // our own child, by PID; SIGCONT below
    try {
      const started = Date.now();
      const r = await runCheck(spec(raw), deps);
      expect(r).toMatchObject({ kind: "fail", message: expect.stringContaining("m2: unreachable") });
      expect(Date.now() - started).toBeLessThan(3_500);
      // Every connection to the stopped member ended with the check (before: one stayed ESTABLISHED forever).
      await waitFor(async () => (await establishedTo(Number(port(m2)))) === 0, { timeoutMs: 2_000, what: "no socket left open to the hung member" });

      // The one-shot command: prints its verdict and exits (it used to hang forever after printing).
      const dir2 = await mkdtemp(join(tmpdir(), "crd-hung-"));
      try {
        const cfg = join(dir2, "c.yaml");
        await writeFile(join(dir2, "health.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        await writeFile(cfg, [
          "node_name: m1",
          "reboot_required_detectors: [{type: file, path: /nonexistent/reboot-required}]",
          `health_script: ${join(dir2, "health.sh")}`,
          `etcd_endpoints: [${cluster.members.map((m) => `"https://127.0.0.1:${port(m)}"`).join(", ")}]`,
          "etcd_tls: {enabled: true, " + `ca_file: ${tls.caFile}, cert_file: ${tls.clientCertFile}, key_file: ${tls.clientKeyFile}, server_name: localhost}`,
          "health_checks:",
          `  - {type: etcd_quorum, endpoint: "${raw.endpoint}", ca_file: ${tls.caFile}, cert_file: ${tls.clientCertFile}, key_file: ${tls.clientKeyFile}, timeout_sec: 3}`,
        ].join("\n"));
        const t0 = Date.now();
        const proc = Bun.spawn([process.execPath, "src/main.ts", "status", "--json", "--config", cfg], { stdout: "pipe", stderr: "pipe", timeout: 40_000, killSignal: "SIGKILL" });
        const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
        expect(proc.signalCode).toBeNull(); // not killed by our 40 s guard
        expect(Date.now() - t0).toBeLessThan(20_000);
        expect(out).toContain("m2: unreachable");
        expect(code).not.toBe(0);
      } finally {
        await rm(dir2, { recursive: true, force: true });
      }
    } finally {
      process.kill(m2!.pid, "SIGCONT");
    }
  }, 60_000);

  test("a client key that cannot be read is an error, not a pass", async () => {
    const check = spec({ endpoint: "https://127.0.0.1:1", ca_file: cluster.tls!.caFile, cert_file: "/nonexistent/client.crt", key_file: "/nonexistent/client.key" });
    expect(await runCheck(check, deps)).toMatchObject({ kind: "error", message: expect.stringContaining("cannot read /nonexistent/client.crt") });
  });
});

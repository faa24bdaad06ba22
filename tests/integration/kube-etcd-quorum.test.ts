/**
 * etcd_quorum against a real 3-member etcd (plain and mutual TLS, members dialled by IP like k3s
 * advertises them): passes with all members up, blocks with a peer down, errors when our own
 * member does not answer, passes again once the peer is back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { runCheck, type CheckSpec } from "../../src/checks/index.ts";
import { HealthCheck } from "../../src/config/_checks.ts";
import { createFs, systemClock } from "../../src/platform/index.ts";
import { makeTlsMaterial, startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";

const deps = { clock: systemClock, fs: createFs(), node: "m0" };

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

  test("a client key that cannot be read is an error, not a pass", async () => {
    const check = spec({ endpoint: "https://127.0.0.1:1", ca_file: cluster.tls!.caFile, cert_file: "/nonexistent/client.crt", key_file: "/nonexistent/client.key" });
    expect(await runCheck(check, deps)).toMatchObject({ kind: "error", message: expect.stringContaining("cannot read /nonexistent/client.crt") });
  });
});

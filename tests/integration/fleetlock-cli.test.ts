/**
 * `clusterrebootd fleetlock serve` as a process: loads the config, serves on the given address
 * against a real etcd, exposes /metrics, and exits 0 on SIGTERM.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connectEtcd } from "../../src/etcd/index.ts";
import { makeKeys, readClusterState } from "../../src/slots/index.ts";
import { startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";
import { freePort } from "../support/ports.ts";
import { parentDeathPrefix, trackChild } from "../support/reaper.ts";
import { call, hexId } from "../unit/fleetlock/_harness.ts";

const ROOT = resolve(import.meta.dir, "../..");
let cluster: EtcdCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startEtcd();
  dir = await mkdtemp(join(tmpdir(), "crd-fleetlock-cli-"));
});
afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("fleetlock serve grants on etcd, counts requests, and stops cleanly on SIGTERM", async () => {
  const ns = `/flcli${Date.now()}`;
  const config = join(dir, "config.yaml");
  await writeFile(
    config,
    [
      "node_name: fl-server",
      "reboot_required_detectors: [{ type: file, path: /run/reboot-required }]",
      "health_script: /usr/local/bin/health",
      `etcd_endpoints: ["${cluster.endpoints[0]}"]`,
      `etcd_namespace: ${ns}`,
      "group: default",
    ].join("\n"),
  );
  const port = await freePort();
  const proc = Bun.spawn([...parentDeathPrefix(), process.execPath, "src/main.ts", "fleetlock", "serve", "--config", config, "--listen", `127.0.0.1:${port}`], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  trackChild(proc);
  const stderr = new Response(proc.stderr).text();
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitFor(async () => (await fetch(`${url}-/healthy`)).ok, { timeoutMs: 15_000, intervalMs: 100, what: "fleetlock serve to listen" });
    expect((await call(url, "pre", hexId(1), "default")).status).toBe(200);
    expect(await call(url, "pre", hexId(2), "default")).toMatchObject({ status: 423, kind: "failed_lock_semaphore_full" });
    const gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
    try {
      const slots = (await readClusterState(gw, makeKeys(ns))).slots;
      expect(slots.map((s) => [s.key, s.record?.holder, s.record?.reason])).toEqual([
        [`${ns}/slots/default/${hexId(1)}`, "fleetlock", expect.stringContaining("fl-server")],
      ]);
    } finally {
      await gw.close();
    }
    const metrics = await (await fetch(`${url}metrics`)).text();
    expect(metrics).toContain('clusterrebootd_fleetlock_requests_total{endpoint="pre_reboot",outcome="ok"} 1');
    expect(metrics).toContain('clusterrebootd_fleetlock_requests_total{endpoint="pre_reboot",outcome="failed_lock_semaphore_full"} 1');
  } finally {
    proc.kill("SIGTERM");
  }
  expect(await proc.exited).toBe(0);
  const log = await stderr;
  expect(log).toContain("fleetlock_listening");
  expect(log).toContain("fleetlock_granted");
});

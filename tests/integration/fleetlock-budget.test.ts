/**
 * Several FleetLock servers on one etcd, hammered by raw HTTP clients (and a daemon), never grant
 * more than the budget; our FleetLock client works against our server on etcd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { createFleetLockClient } from "../../src/fleetlock/index.ts";
import { makeKeys, readClusterState, releaseSlot, tryAcquireSlot, type Keys } from "../../src/slots/index.ts";
import { startEtcd, type EtcdCluster } from "../support/etcd.ts";
import { call, hexId, startTestServer, testSettings, type TestServer } from "../unit/fleetlock/_harness.ts";

let cluster: EtcdCluster;
const gateways: EtcdGateway[] = [];
const servers: TestServer[] = [];
let ns = 0;
const freshKeys = (): Keys => makeKeys(`/flb${Date.now()}-${ns++}`);

beforeAll(async () => {
  cluster = await startEtcd();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.server.stop(true)));
  await Promise.all(gateways.map((g) => g.close()));
  await cluster?.stop();
});

/** `n` servers, each with its own etcd client, like separate processes. */
async function serveMany(keys: Keys, n: number, settings = testSettings()): Promise<string[]> {
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
    gateways.push(gw);
    const s = startTestServer(gw, keys, { settings: { ...settings, serverName: `server-${i}` } });
    servers.push(s);
    urls.push(s.server.url);
  }
  return urls;
}

async function observer(): Promise<EtcdGateway> {
  const gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
  gateways.push(gw);
  return gw;
}

describe("two servers on one etcd keep the budget", () => {
  test("24 concurrent clients on two servers: exactly the group limit (2) is granted", async () => {
    const keys = freshKeys();
    const urls = await serveMany(keys, 2);
    const res = await Promise.all(Array.from({ length: 24 }, (_, i) => call(urls[i % 2]!, "pre", hexId(i + 1), "g")));
    expect(res.filter((r) => r.status === 200).length).toBe(2);
    for (const r of res.filter((r) => r.status !== 200)) expect(["failed_lock_semaphore_full", "conflict"]).toContain(r.kind!);
    expect((await readClusterState(await observer(), keys)).slots.length).toBe(2);
  });

  test("the same id on both servers at once holds one slot and every call succeeds", async () => {
    const keys = freshKeys();
    const urls = await serveMany(keys, 2);
    const res = await Promise.all(Array.from({ length: 10 }, (_, i) => call(urls[i % 2]!, "pre", hexId(7), "g")));
    expect(res.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect((await readClusterState(await observer(), keys)).slots.map((s) => s.node)).toEqual([hexId(7)]);
  });

  test("the global cap holds across groups and servers", async () => {
    const keys = freshKeys();
    const urls = await serveMany(keys, 2, testSettings({ globalCap: 3 }));
    const res = await Promise.all(Array.from({ length: 20 }, (_, i) => call(urls[i % 2]!, "pre", hexId(i + 1), i % 4 < 2 ? "g" : "workers")));
    expect(res.filter((r) => r.status === 200).length).toBe(3);
    expect((await readClusterState(await observer(), keys)).slots.length).toBe(3);
  });

  test("under churn (locks, unlocks, a racing daemon) no sample ever exceeds the limit", async () => {
    const keys = freshKeys();
    const urls = await serveMany(keys, 2);
    const watch = await observer();
    const daemonGw = await observer();
    let maxSeen = 0;
    let samples = 0;
    let stop = false;
    const sampler = (async () => {
      while (!stop) {
        const n = (await readClusterState(watch, keys)).slots.filter((s) => s.group === "g").length;
        maxSeen = Math.max(maxSeen, n);
        samples++;
      }
    })();
    const lease = await daemonGw.grantLease(30, { keepAlive: true });
    let granted = 0;
    for (let round = 0; round < 15; round++) {
      const ids = Array.from({ length: 8 }, (_, i) => hexId(((round * 5 + i * 3) % 12) + 1));
      const daemon = tryAcquireSlot(daemonGw, keys, { node: `daemon-${round}`, group: "g", limit: 2, globalCap: null, holder: "daemon", pid: 1, bootId: "b", leaseId: lease.id, nowIso: new Date().toISOString() });
      const res = await Promise.all(ids.map((id, i) => call(urls[(round + i) % 2]!, i % 3 === 2 ? "steady" : "pre", id, "g")));
      granted += res.filter((r, i) => r.status === 200 && i % 3 !== 2).length;
      for (const r of res) expect([200, 423, 503]).toContain(r.status);
      const d = await daemon;
      if (d.kind === "acquired") await releaseSlot(daemonGw, keys, d.slot, { cooldownSec: 0, nowMs: Date.now(), node: d.slot.node });
      // Everyone who holds a slot now lets go half of the time, so new ids get their turn.
      const holders = (await readClusterState(watch, keys)).slots.filter((s) => s.record?.holder === "fleetlock");
      await Promise.all(holders.filter((_, i) => (round + i) % 2 === 0).map((s) => call(urls[round % 2]!, "steady", s.node, "g")));
    }
    stop = true;
    await sampler;
    await lease.revoke();
    expect(samples).toBeGreaterThan(15);
    // Progress, not a quota: grants keep happening under churn (the exact count depends on races).
    expect(granted).toBeGreaterThanOrEqual(10);
    expect(maxSeen).toBeLessThanOrEqual(2);
  });
});

describe("FleetLock client against our server on etcd", () => {
  test("lock, refusal with the server's kind, unlock, then the next client gets the slot", async () => {
    const keys = freshKeys();
    const [url] = await serveMany(keys, 1);
    const c = createFleetLockClient({ baseUrl: url!, timeoutMs: 5000 });
    expect(await c.preReboot(hexId(1), "default")).toEqual({ kind: "ok", status: 200 });
    expect(await c.preReboot(hexId(2), "default")).toMatchObject({ kind: "refused", status: 423, error: { kind: "failed_lock_semaphore_full" } });
    expect(await c.steadyState(hexId(1), "default")).toEqual({ kind: "ok", status: 200 });
    expect(await c.preReboot(hexId(2), "default")).toEqual({ kind: "ok", status: 200 });
  });

  test("etcd unreachable: the server answers 503 etcd_unavailable and the client reports refused", async () => {
    const gw = await connectEtcd({ endpoints: ["http://127.0.0.1:1"], requestTimeoutMs: 500 });
    gateways.push(gw);
    const s = startTestServer(gw, freshKeys());
    servers.push(s);
    const r = await createFleetLockClient({ baseUrl: s.server.url, timeoutMs: 10_000 }).preReboot(hexId(1), "default");
    expect(r).toMatchObject({ kind: "refused", status: 503, error: { kind: "etcd_unavailable" } });
  });
});

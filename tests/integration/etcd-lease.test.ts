/**
 * etcd raises a lease TTL below its minimum (ceil(1.5 × election timeout)) without saying so; under
 * k3s's timings (heartbeat 500 ms, election 5000 ms) that minimum is 8 s, so a 3 s cooldown lasted
 * 8 s or more while we logged 3. The lease handle carries the TTL etcd granted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { makeKeys, releaseSlot, tryAcquireSlot } from "../../src/slots/index.ts";
import { startEtcd, type EtcdCluster } from "../support/etcd.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;

beforeAll(async () => {
  cluster = await startEtcd({ tuning: { heartbeatMs: 500, electionMs: 5000 } });
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 5000 });
});
afterAll(async () => {
  await gw?.close();
  await cluster?.stop();
});

test.each([false, true])("a 3 s lease (keepAlive %p) reports the 8 s etcd granted", async (keepAlive) => {
  const lease = await gw.grantLease(3, { keepAlive });
  try {
    expect(lease.requestedTtlSec).toBe(3);
    expect(lease.ttlSec).toBe(8);
    expect(await gw.leaseTtl(lease.id)).toBeGreaterThan(3);
  } finally {
    await lease.revoke();
  }
});

test("a TTL above the minimum is granted as asked", async () => {
  const lease = await gw.grantLease(30, { keepAlive: false });
  expect(lease.ttlSec).toBe(30);
  await lease.revoke();
});

test("releaseSlot reports the cooldown etcd granted, not the one configured", async () => {
  const keys = makeKeys(`/lease-${Date.now()}`);
  const session = await gw.grantLease(30, { keepAlive: true });
  try {
    const a = await tryAcquireSlot(gw, keys, {
      node: "n1", group: "g", limit: 1, globalCap: null, holder: "daemon", pid: 1, bootId: "b1", leaseId: session.id, nowIso: new Date().toISOString(),
    });
    if (a.kind !== "acquired") throw new Error(`acquire: ${a.kind}`);
    const rel = await releaseSlot(gw, keys, a.slot, { cooldownSec: 3, nowMs: Date.now(), node: "n1" });
    expect(rel).toMatchObject({ kind: "released", cooldownSec: 8 });
  } finally {
    await session.revoke();
  }
});

/**
 * The slot protocol against a real etcd: budget under concurrency, lease expiry of a dead holder,
 * the slot timeout of a node that never returns, the fence, and etcd auth limited to the prefix.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import {
  enterRebooting,
  makeKeys,
  readClusterState,
  releaseSlot,
  tryAcquireSlot,
  type SlotRequest,
} from "../../src/slots/index.ts";
import { startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";

let cluster: EtcdCluster;
const gateways: EtcdGateway[] = [];

async function gw(opts: Partial<Parameters<typeof connectEtcd>[0]> = {}): Promise<EtcdGateway> {
  const g = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000, ...opts });
  gateways.push(g);
  return g;
}

let ns = 0;
/** A fresh namespace per test so tests never see each other's keys. */
const freshKeys = () => makeKeys(`/t${Date.now()}-${ns++}`);

function req(node: string, group: string, leaseId: string, extra: Partial<SlotRequest> = {}): SlotRequest {
  return { node, group, limit: 1, globalCap: null, holder: "daemon", pid: 1, bootId: "b1", leaseId, nowIso: new Date().toISOString(), ...extra };
}

beforeAll(async () => {
  cluster = await startEtcd();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await cluster?.stop();
});

describe("budget", () => {
  test.each([
    [1, 12],
    [2, 12],
    [3, 20],
  ])("limit %i: %i concurrent contenders get exactly the limit", async (limit, contenders) => {
    const keys = freshKeys();
    const clients = await Promise.all(Array.from({ length: 4 }, () => gw()));
    const leases = await Promise.all(Array.from({ length: contenders }, (_, i) => clients[i % 4]!.grantLease(10, { keepAlive: true })));
    const results = await Promise.all(
      leases.map((l, i) => tryAcquireSlot(clients[i % 4]!, keys, req(`n${i}`, "g", l.id, { limit }))),
    );
    const acquired = results.filter((r) => r.kind === "acquired").length;
    expect(acquired).toBe(limit);
    expect(results.filter((r) => r.kind === "full" || r.kind === "conflict").length).toBe(contenders - limit);
    const state = await readClusterState(clients[0]!, keys);
    expect(state.slots.length).toBe(limit);
    await Promise.all(leases.map((l) => l.revoke()));
  });

  test("groups are independent, and the global cap bounds them together", async () => {
    const keys = freshKeys();
    const c = await gw();
    const lease = await c.grantLease(10, { keepAlive: true });
    const a = await tryAcquireSlot(c, keys, req("a1", "ga", lease.id, { globalCap: 2 }));
    const b = await tryAcquireSlot(c, keys, req("b1", "gb", lease.id, { globalCap: 2 }));
    const a2 = await tryAcquireSlot(c, keys, req("a2", "ga", lease.id, { limit: 5, globalCap: 2 }));
    const c1 = await tryAcquireSlot(c, keys, req("c1", "gc", lease.id, { globalCap: 2 }));
    expect([a.kind, b.kind]).toEqual(["acquired", "acquired"]);
    // a2's own limit is 5 but a1 recorded limit 1: the smallest limit of any holder wins.
    expect(a2).toMatchObject({ kind: "full", scope: "group", limit: 1 });
    expect(c1).toMatchObject({ kind: "full", scope: "global", limit: 2 });
    await lease.revoke();
  });

  test("never more than the limit under repeated racing rounds with releases", async () => {
    const keys = freshKeys();
    const clients = await Promise.all(Array.from({ length: 3 }, () => gw()));
    let maxSeen = 0;
    for (let round = 0; round < 15; round++) {
      const leases = await Promise.all(clients.map((c) => c.grantLease(10, { keepAlive: true })));
      const res = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) => tryAcquireSlot(clients[i % 3]!, keys, req(`r${round}n${i}`, "g", leases[i % 3]!.id, { limit: 2 }))),
      );
      const state = await readClusterState(clients[0]!, keys);
      maxSeen = Math.max(maxSeen, state.slots.length);
      expect(res.filter((r) => r.kind === "acquired").length).toBeLessThanOrEqual(2);
      for (const r of res) if (r.kind === "acquired") await releaseSlot(clients[0]!, keys, r.slot, { cooldownSec: 0, nowMs: Date.now(), node: r.slot.node });
      await Promise.all(leases.map((l) => l.revoke()));
    }
    expect(maxSeen).toBe(2);
  });
});

describe("lifetimes", () => {
  test("a holder that stops keeping its lease alive (process died) frees the slot within the TTL", async () => {
    const keys = freshKeys();
    const c = await gw();
    const lease = await c.grantLease(2, { keepAlive: true });
    const a = await tryAcquireSlot(c, keys, req("dead", "g", lease.id));
    expect(a.kind).toBe("acquired");
    const t0 = performance.now();
    lease.release(); // what SIGKILL does: keep-alives stop, nothing is revoked
    const other = await c.grantLease(10, { keepAlive: true });
    const b = await waitFor(async () => {
      const r = await tryAcquireSlot(c, keys, req("next", "g", other.id));
      return r.kind === "acquired" ? r : undefined;
    }, { timeoutMs: 8000, intervalMs: 100, what: "slot freed by lease expiry" });
    expect(b.kind).toBe("acquired");
    expect(performance.now() - t0).toBeLessThan(4000);
    await other.revoke();
  });

  test("a rebooting slot survives the holder's session and is freed by the slot timeout", async () => {
    const keys = freshKeys();
    const c = await gw();
    const session = await c.grantLease(2, { keepAlive: true });
    const a = await tryAcquireSlot(c, keys, req("gone", "g", session.id));
    if (a.kind !== "acquired") throw new Error(a.kind);
    const fence = await enterRebooting(c, keys, a.slot, a.record, { slotTimeoutSec: 4, bootId: "b1", nowMs: Date.now(), reboots: { node: "gone", history: [] } });
    expect(fence.kind).toBe("fenced");
    await session.revoke(); // the daemon is gone for good
    // The session lease is gone, yet the slot stays (it is on the slot lease now).
    const st = await readClusterState(c, keys);
    expect(st.slots.map((s) => s.record?.phase)).toEqual(["rebooting"]);
    await waitFor(async () => (await readClusterState(c, keys)).slots.length === 0, { timeoutMs: 9000, intervalMs: 200, what: "slot timeout" });
  });

  test("release starts the group cooldown on its own lease and records the reboot", async () => {
    const keys = freshKeys();
    const c = await gw();
    const session = await c.grantLease(10, { keepAlive: true });
    const a = await tryAcquireSlot(c, keys, req("n1", "g", session.id));
    if (a.kind !== "acquired") throw new Error(a.kind);
    const rel = await releaseSlot(c, keys, a.slot, { cooldownSec: 2, nowMs: Date.now(), node: "n1", reboots: { node: "n1", history: ["2026-01-01T00:00:00.000Z"], boot_id_after: "b2" } });
    expect(rel.kind).toBe("released");
    const b = await tryAcquireSlot(c, keys, req("n2", "g", session.id));
    expect(b.kind).toBe("cooldown");
    const other = await tryAcquireSlot(c, keys, req("x", "other-group", session.id));
    expect(other.kind).toBe("acquired");
    const st = await readClusterState(c, keys);
    expect(st.reboots.get("n1")?.boot_id_after).toBe("b2");
    await waitFor(async () => (await tryAcquireSlot(c, keys, req("n2", "g", session.id))).kind === "acquired", { timeoutMs: 6000, intervalMs: 200, what: "cooldown expiry" });
    // Releasing a slot that is no longer ours is refused.
    expect((await releaseSlot(c, keys, a.slot, { cooldownSec: 0, nowMs: Date.now(), node: "n1" })).kind).toBe("not-held");
    await session.revoke();
  });
});

describe("the fence", () => {
  test.each(["pause", "cooldown", "lost"] as const)("refuses to enter rebooting when %s appeared under the slot", async (what) => {
    const keys = freshKeys();
    const c = await gw();
    const session = await c.grantLease(10, { keepAlive: true });
    const a = await tryAcquireSlot(c, keys, req("n1", "g", session.id));
    if (a.kind !== "acquired") throw new Error(a.kind);
    if (what === "pause") await c.txn([], [{ kind: "put", key: keys.pause, value: "{}" }]);
    if (what === "cooldown") await c.txn([], [{ kind: "put", key: keys.cooldown("g"), value: "{}" }]);
    if (what === "lost") {
      await c.txn([], [{ kind: "delete", key: a.slot.key }]);
      const again = await tryAcquireSlot(c, keys, req("n1", "g", session.id)); // same node, new slot
      expect(again.kind).toBe("acquired");
    }
    const fence = await enterRebooting(c, keys, a.slot, a.record, { slotTimeoutSec: 60, bootId: "b1", nowMs: Date.now(), reboots: { node: "n1", history: [] } });
    expect(fence.kind).toBe(what === "lost" ? "slot-lost" : what === "pause" ? "paused" : "cooldown");
    await session.revoke();
  });
});

describe("etcd auth", () => {
  test("a user whose role is limited to the prefix can run the protocol, and nothing outside it", async () => {
    const authed = await startEtcd({ auth: { rootPassword: "rootpw", user: "crd", password: "crdpw", prefix: "/clusterrebootd/" } });
    try {
      const c = await connectEtcd({ endpoints: authed.endpoints, requestTimeoutMs: 3000, auth: { username: "crd", password: "crdpw" } });
      try {
        const keys = makeKeys("/clusterrebootd");
        const lease = await c.grantLease(10, { keepAlive: true });
        const a = await tryAcquireSlot(c, keys, req("n1", "g", lease.id));
        expect(a.kind).toBe("acquired");
        const outside = await c.txn([], [{ kind: "put", key: "/elsewhere/x", value: "1" }]).catch((e: unknown) => e);
        expect(outside).toBeInstanceOf(Error);
        expect(String((outside as Error).message)).toMatch(/permission/i);
        await lease.revoke();
      } finally {
        await c.close();
      }
      const wrong = await connectEtcd({ endpoints: authed.endpoints, requestTimeoutMs: 3000, auth: { username: "crd", password: "nope" } });
      try {
        const err = await wrong.get("/clusterrebootd/x").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as { kind?: string }).kind).toBe("auth");
      } finally {
        await wrong.close();
      }
    } finally {
      await authed.stop();
    }
  });
});

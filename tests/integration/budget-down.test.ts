/**
 * Down nodes in the acquire transaction, against real etcd: the members counted as up must still
 * be up when the slot is created. A session that dies between the snapshot and the commit makes
 * the transaction fail; the re-read counts the node as down and refuses (slots/acquire.ts).
 */
import { expect, test } from "bun:test";
import type { EtcdGateway } from "../../src/etcd/index.ts";
import { makeKeys, readClusterState, tryAcquireSlot, type SlotRequest } from "../../src/slots/index.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { daemonLock, etcdLock } from "../../src/orchestrate/index.ts";
import { noopMetrics } from "../../src/observe/index.ts";
import { systemClock } from "../../src/platform/index.ts";
import { testPlan } from "../support/plan.ts";
import { openHealthySession } from "../support/session.ts";

const fx = etcdFixture("budget-down");

const req = (node: string, o: Partial<SlotRequest> = {}): SlotRequest => ({
  node, group: "g", limit: 1, globalCap: null, holder: "daemon", pid: 1, bootId: "b", leaseId: "0", nowIso: new Date().toISOString(), countDown: { staleAfterMs: 60_000 }, ...o,
});

test("a session that dies between the read and the commit fails the acquisition; the re-read counts it as down", async () => {
  const keys = makeKeys("/budget-down-1");
  const s1 = await openHealthySession(fx.gw, keys, { node: "n1", group: "g", fallback: false, pid: 1, bootId: "b" }, { ttlSec: 5, nowMs: Date.now() });
  const s2 = await openHealthySession(fx.gw, keys, { node: "n2", group: "g", fallback: false, pid: 2, bootId: "b" }, { ttlSec: 5, nowMs: Date.now() });
  // n2 loses power right after n1's snapshot: its session ends before n1's transaction commits.
  const { gw, died } = dyingBeforeCommit(keys.slot("g", "n1"), keys.health("n2"));
  const res = await tryAcquireSlot(gw, keys, { ...req("n1"), leaseId: s1.lease().id });
  expect(died()).toBe(true);
  expect(res).toMatchObject({ kind: "full", scope: "group", down: [{ node: "n2", why: "no_session" }] });
  expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
  // Back (a new session): the slot is free again.
  const again = await openHealthySession(fx.gw, keys, { node: "n2", group: "g", fallback: false, pid: 3, bootId: "b2" }, { ttlSec: 5, nowMs: Date.now() });
  expect((await tryAcquireSlot(fx.gw, keys, { ...req("n1"), leaseId: s1.lease().id })).kind).toBe("acquired");
  for (const s of [s1, s2, again]) await s.close({ revoke: true });
});

test("count_down_nodes off: slots only, as the Go daemon counted", async () => {
  const keys = makeKeys("/budget-down-2");
  await fx.gw.txn([], [{ kind: "put", key: keys.member("gone"), value: JSON.stringify({ node: "gone", group: "g", fallback: false, first_seen: new Date().toISOString() }) }]);
  expect((await tryAcquireSlot(fx.gw, keys, req("n1"))).kind).toBe("full");
  const { countDown: _, ...slotsOnly } = req("n1");
  expect((await tryAcquireSlot(fx.gw, keys, slotsOnly)).kind).toBe("acquired");
});

test("the fence re-decides on a fresh view when a slot was taken since its own (limit 2, a power loss between)", async () => {
  const keys = makeKeys("/budget-down-fence");
  const plan = (node: string) => testPlan({ node, limit: 2 });
  const lock = (node: string, leaseId: () => string) =>
    daemonLock(plan(node), { gw: fx.gw, keys, clock: systemClock, metrics: noopMetrics, pid: 1, leaseId, queue: false });
  // a is a member without a session yet: down in c's view.
  await fx.gw.txn([], [{ kind: "put", key: keys.member("a"), value: JSON.stringify({ node: "a", group: "g", fallback: false, first_seen: new Date().toISOString() }) }]);
  const id = (node: string) => ({ node, group: "g", fallback: false, pid: 1, bootId: "b" });
  const sb = await openHealthySession(fx.gw, keys, id("b"), { ttlSec: 5, nowMs: Date.now() });
  const sc = await openHealthySession(fx.gw, keys, id("c"), { ttlSec: 5, nowMs: Date.now() });
  const lc = lock("c", () => sc.lease().id);
  const got = await lc.acquire();
  if (got.kind !== "acquired") throw new Error(`c: ${got.kind}`);
  const viewUnderSlot = await readClusterState(fx.gw, keys); // c + a down = 2 of 2: c may go
  // While c drains: a comes up (so b may take the second slot), then a loses power.
  const sa = await openHealthySession(fx.gw, keys, id("a"), { ttlSec: 5, nowMs: Date.now() });
  const gb = await lock("b", () => sb.lease().id).acquire();
  expect(gb.kind).toBe("acquired");
  await sa.close({ revoke: true });
  // On its old view c would fence (c + a down = 2, b's session unchanged): 3 down with limit 2.
  const f = await lc.fence(got.slot, { bootId: "b", nowMs: Date.now(), state: viewUnderSlot });
  expect(f.kind).toBe("refused");
  if (f.kind === "refused") expect(f.outcome.message).toContain("a is down");
  expect((await readClusterState(fx.gw, keys)).slots.map((s) => s.record?.phase).sort()).toEqual(["preparing", "preparing"]);
  for (const s of [sb, sc]) await s.close({ revoke: true });
});

/*
 * The global cap across groups. The acquire transaction compared only the acquirer's own group's
 * health keys, and so did the fence: a member of another group whose session ended after the
 * snapshot (at the fence: after the view under the slot, a health check or a drain earlier) was
 * still counted up against the global cap. Now, under a global cap, every group's members counted
 * up are compared by the health key's create revision.
 */
const member = (gw: EtcdGateway, keys: ReturnType<typeof makeKeys>, node: string, group: string) =>
  openHealthySession(gw, keys, { node, group, fallback: false, pid: 1, bootId: `b-${node}` }, { ttlSec: 5, nowMs: Date.now() });

test("global cap: another group's member whose session dies between the read and the commit fails the acquisition", async () => {
  const keys = makeKeys("/budget-down-3");
  const a1 = await member(fx.gw, keys, "a1", "alpha");
  const a2 = await member(fx.gw, keys, "a2", "alpha");
  const b1 = await member(fx.gw, keys, "b1", "beta");
  const b2 = await member(fx.gw, keys, "b2", "beta");
  const alpha = (node: string, lease: string): SlotRequest => ({ ...req(node, { group: "alpha", limit: 2, globalCap: 2 }), leaseId: lease });
  // b1 reboots under a slot: 1 of the global cap 2 is used.
  expect((await tryAcquireSlot(fx.gw, keys, { ...req("b1", { group: "beta", limit: 1, globalCap: 2 }), leaseId: b1.lease().id })).kind).toBe("acquired");
  // b2 (the other group) loses power between a1's snapshot and its commit.
  const { gw, died } = dyingBeforeCommit(keys.slot("alpha", "a1"), keys.health("b2"));
  const res = await tryAcquireSlot(gw, keys, alpha("a1", a1.lease().id));
  expect(died()).toBe(true);
  expect(res).toMatchObject({ kind: "full", scope: "global", limit: 2, down: [{ node: "b2", why: "no_session" }] });
  expect((await readClusterState(fx.gw, keys)).slots.map((s) => s.node)).toEqual(["b1"]);
  for (const s of [a1, a2, b1, b2]) await s.close({ revoke: true });
});

test("global cap: the fence refuses when another group's member went down after the view under the slot", async () => {
  const keys = makeKeys("/budget-down-4");
  const a1 = await member(fx.gw, keys, "a1", "alpha");
  const a2 = await member(fx.gw, keys, "a2", "alpha");
  const b1 = await member(fx.gw, keys, "b1", "beta");
  const b2 = await member(fx.gw, keys, "b2", "beta");
  const subject = { node: "a1", group: "alpha", limit: 2, globalCap: 2, holder: "daemon" as const, pid: 1, bootId: "b-a1", countDown: { staleAfterMs: 60_000 }, maxFailedReboots: 1 };
  const lock = etcdLock({ gw: fx.gw, keys, clock: systemClock, metrics: noopMetrics, subject, lease: { kind: "session", id: () => a1.lease().id }, slotTimeoutSec: 60, cooldownSec: 0, nameHolders: true, deadlineSkewMs: 5_000 });
  expect((await tryAcquireSlot(fx.gw, keys, { ...req("b1", { group: "beta", limit: 1, globalCap: 2 }), leaseId: b1.lease().id })).kind).toBe("acquired");
  const got = await lock.acquire();
  expect(got.kind).toBe("acquired");
  if (got.kind !== "acquired") return;
  // The view under the slot (read before the post-lock checks): b1's slot, a1's, nobody down.
  const state = await lock.view("all");
  // Then b2 loses power: its session ends. a1 + b1 + b2 would be 3 machines down, over the cap of 2.
  await b2.close({ revoke: true });
  const f = await lock.fence(got.slot, { bootId: "b-a1", nowMs: Date.now(), state });
  expect(f.kind).toBe("refused");
  const after = await readClusterState(fx.gw, keys);
  expect(after.slots.find((s) => s.node === "a1")?.record?.phase).toBe("preparing");
  for (const s of [a1, a2, b1]) await s.close({ revoke: true });
});

/**
 * The shared gateway, except that the first transaction putting `slotKey` is preceded by the delete
 * of `healthKey`: a session that ends between the acquirer's read and its commit.
 */
function dyingBeforeCommit(slotKey: string, healthKey: string): { gw: EtcdGateway; died: () => boolean } {
  let died = false;
  const gw: EtcdGateway = Object.assign(Object.create(fx.gw) as EtcdGateway, {
    txn: async (...args: Parameters<EtcdGateway["txn"]>) => {
      if (!died && args[1].some((w) => w.kind === "put" && w.key === slotKey)) {
        died = true;
        await fx.gw.txn([], [{ kind: "delete", key: healthKey }]);
      }
      return fx.gw.txn(...args);
    },
  });
  return { gw, died: () => died };
}

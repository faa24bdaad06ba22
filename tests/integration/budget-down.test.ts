/**
 * Down nodes in the acquire transaction, against real etcd: the members counted as up must still
 * be up when the slot is created. A session that dies between the snapshot and the commit makes
 * the transaction fail; the re-read counts the node as down and refuses (slots/acquire.ts).
 */
import { expect, test } from "bun:test";
import type { EtcdGateway } from "../../src/etcd/index.ts";
import { makeKeys, readClusterState, tryAcquireSlot, type SlotRequest } from "../../src/slots/index.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { daemonLock } from "../../src/orchestrate/index.ts";
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
  let died = false;
  const gw: EtcdGateway = Object.assign(Object.create(fx.gw) as EtcdGateway, {
    txn: async (...args: Parameters<EtcdGateway["txn"]>) => {
      if (!died && args[1].some((w) => w.kind === "put" && w.key === keys.slot("g", "n1"))) {
        died = true;
        await fx.gw.txn([], [{ kind: "delete", key: keys.health("n2") }]);
      }
      return fx.gw.txn(...args);
    },
  });
  const res = await tryAcquireSlot(gw, keys, { ...req("n1"), leaseId: s1.lease().id });
  expect(died).toBe(true);
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
  const keys = makeKeys("/budget-down-3");
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

/**
 * The budget from a snapshot: slots and members down without one (slots/down.ts), the freeze, and
 * which machine a record belongs to (slots/identity.ts). Pure functions: no etcd here.
 */
import { describe, expect, test } from "bun:test";
import { admission, emptyClusterState, foreignMachine, type ClusterState, type HealthRecord, type SlotEntry, type SlotRequest } from "../../../src/slots/index.ts";

const NOW = Date.UTC(2026, 11, 7, 14, 0, 0);
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const STALE = 30_000;

function health(node: string, group: string, o: Partial<HealthRecord> = {}): HealthRecord {
  return { node, group, healthy: true, phase: "heartbeat", checked_at: iso(1000), boot_id: "b", pid: 1, seq: 1, ...o };
}
function slot(node: string, group: string): SlotEntry {
  return { key: `/p/slots/${group}/${node}`, group, node, record: undefined, createRevision: 1, modRevision: 1, lease: "0" };
}
function state(members: [string, string][], healthy: HealthRecord[], slots: SlotEntry[] = []): ClusterState {
  return {
    ...emptyClusterState(),
    slots,
    members: new Map(members.map(([n, g]) => [n, { node: n, group: g, fallback: false, first_seen: iso(0) }])),
    health: new Map(healthy.map((h) => [h.node, h])),
  };
}
const req = (o: Partial<SlotRequest> = {}): SlotRequest => ({ node: "n1", group: "g", limit: 1, globalCap: null, holder: "daemon", pid: 1, bootId: "b", leaseId: "1", nowIso: iso(0), countDown: { staleAfterMs: STALE }, ...o });

describe("down nodes count against the budget", () => {
  test("a member with no live session uses the only slot of its group; the refusal names it", () => {
    const s = state([["n1", "g"], ["n2", "g"], ["n3", "g"]], [health("n1", "g"), health("n2", "g")]);
    const a = admission(s, req());
    expect(a).toMatchObject({ kind: "full", scope: "group", limit: 1, holders: [], down: [{ node: "n3", group: "g", why: "no_session" }] });
    // count_down_nodes: false (the Go behaviour): slots only.
    expect(admission(s, req({ countDown: undefined })).kind).toBe("ok");
  });

  test("a stale record is down; a timer node's record is trusted until presence_until", () => {
    const stale = health("n2", "g", { checked_at: iso(STALE + 1) });
    expect(admission(state([["n1", "g"], ["n2", "g"]], [stale]), req())).toMatchObject({ kind: "full", down: [{ node: "n2", why: "stale" }] });
    const timer = health("n2", "g", { checked_at: iso(600_000), presence_until: iso(-60_000) });
    expect(admission(state([["n1", "g"], ["n2", "g"]], [timer]), req()).kind).toBe("ok");
    const expired = health("n2", "g", { checked_at: iso(600_000), presence_until: iso(1) });
    expect(admission(state([["n1", "g"], ["n2", "g"]], [expired]), req()).kind).toBe("full");
  });

  test("a node holding a slot is counted once; other groups' downs use only the global cap", () => {
    const s = state([["n1", "g"], ["n2", "g"], ["x1", "other"]], [health("n1", "g")], [slot("n2", "g")]);
    expect(admission(s, req({ limit: 2 })).kind).toBe("ok"); // n2: one slot, not also down
    expect(admission(s, req({ limit: 2, globalCap: 2 }))).toMatchObject({ kind: "full", scope: "global", down: [{ node: "x1" }] });
  });

  test("the acquirer itself is never counted, even before its first health record", () => {
    expect(admission(state([["n1", "g"]], []), req()).kind).toBe("ok");
  });

  test("a frozen group refuses before anything else is counted; an unreadable freeze still freezes", () => {
    const s = { ...state([["n1", "g"]], []), frozen: new Map([["g", { record: undefined }]]) };
    expect(admission(s, req())).toEqual({ kind: "frozen", group: "g", freeze: undefined });
    expect(admission(s, req({ group: "h" })).kind).toBe("ok");
  });
});

describe("which machine a record belongs to", () => {
  const me = { machineId: "m1", hardwareId: "mac:aa" };
  test("another machine id is another machine", () => {
    expect(foreignMachine({ machine_id: "m2" }, me)).toMatchObject({ clone: false });
  });
  test("the same machine id on other hardware is a disk clone", () => {
    expect(foreignMachine({ machine_id: "m1", hardware_id: "mac:bb" }, me)).toEqual({ theirs: "machine m1 (hardware mac:bb)", clone: true });
  });
  test("ours, and records too old to tell", () => {
    expect(foreignMachine({ machine_id: "m1", hardware_id: "mac:aa" }, me)).toBeUndefined();
    expect(foreignMachine({ machine_id: "m1" }, me)).toBeUndefined();
    expect(foreignMachine({}, me)).toBeUndefined();
    expect(foreignMachine({ machine_id: "m1", hardware_id: "mac:bb" }, { machineId: "m1" })).toBeUndefined();
  });
});

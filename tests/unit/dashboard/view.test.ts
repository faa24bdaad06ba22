/** The page's state document from a cluster state (pure), and the phase tracker's spans. */
import { describe, expect, test } from "bun:test";
import { buildView, createPhaseTracker, type ViewOptions } from "../../../src/dashboard/index.ts";
import { emptyClusterState, type ClusterState, type HealthRecord, type SlotEntry, type SlotRecord } from "../../../src/slots/index.ts";
import { parseWindows } from "../../../src/windows/index.ts";

const T0 = Date.parse("2026-03-02T10:00:00Z");
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const opts = (o: Partial<ViewOptions> = {}): ViewOptions => ({
  namespace: "/crd",
  limitOf: (g) => (g === "workers" ? 2 : 1),
  globalCap: null,
  configuredGroups: ["workers"],
  windows: undefined,
  publishIntervalMs: 10_000,
  healthTimeoutMs: 5_000,
  ...o,
});

function state(p: Partial<ClusterState> = {}): ClusterState {
  return { ...emptyClusterState(7), ...p };
}

function slot(node: string, group: string, phase: SlotRecord["phase"], extra: Partial<SlotRecord> = {}): SlotEntry {
  const record: SlotRecord = { node, group, phase, holder: "daemon", pid: 1, boot_id: "b", acquired_at: iso(T0 - 60_000), phase_at: iso(T0 - 30_000), limit: 2, global_cap: null, ...extra };
  return { key: `/crd/slots/${group}/${node}`, group, node, record, createRevision: 1, modRevision: 1, lease: "1" };
}

const health = (node: string, group: string, extra: Partial<HealthRecord> = {}): HealthRecord => ({ node, group, healthy: true, phase: "heartbeat", checked_at: iso(T0 - 1_000), boot_id: "b", pid: 1, seq: 1, ...extra });

describe("buildView", () => {
  test("groups show used/limit with the smallest limit any holder recorded; nodes their slot phase and since", () => {
    const v = buildView({ state: state({ slots: [slot("w1", "workers", "rebooting", { limit: 1, deadline: iso(T0 + 600_000) })], health: new Map([["w2", health("w2", "workers")]]) }), nowMs: T0, opts: opts() });
    expect(v.groups).toEqual([{ name: "workers", used: 1, limit: 1, holders: ["w1"], down: [], cooldown: null, frozen: null }]);
    expect(v.nodes.map((n) => [n.node, n.phase, n.health, n.since])).toEqual([
      // Rebooting under its slot: down, whatever its last health record said (issue 24, finding 5).
      ["w1", "rebooting", "down", iso(T0 - 30_000)],
      ["w2", "idle", "healthy", null],
    ]);
    expect(v.nodes[0]!.slot).toEqual({ phase: "rebooting", holder: "daemon", acquired_at: iso(T0 - 60_000), deadline: iso(T0 + 600_000) });
  });

  test("who waits and why: the daemon's blocked_reason wins; else the reason the page can see, in gate order", () => {
    const waiting = health("w2", "workers", { needs_reboot: true });
    const full = state({ slots: [slot("w1", "workers", "preparing"), slot("w3", "workers", "preparing")], health: new Map([["w2", waiting]]) });
    const why = (s: ClusterState, o = opts()) => buildView({ state: s, nowMs: T0, opts: o }).nodes.find((n) => n.node === "w2")!.waiting;
    expect(why(full)).toEqual({ reason: "group workers full (2/2 slots)", source: "derived" });
    const cooling = state({ health: new Map([["w2", waiting]]), cooldowns: new Map([["workers", { record: { node: "w1", group: "workers", released_at: iso(T0 - 5_000), duration_sec: 60 }, lease: "9" }]]) });
    expect(why(cooling)).toEqual({ reason: "group workers cooling down", source: "derived" });
    expect(why({ ...cooling, pausePresent: true })).toEqual({ reason: "cluster paused", source: "derived" });
    const w = parseWindows({ deny: [], allow: ["Sat 00:00-Sun 00:00"], timezone: "UTC" });
    if (!w.ok) throw new Error("windows");
    expect(why(cooling, opts({ windows: w.windows }))).toEqual({ reason: "outside the allow windows", source: "derived" });
    const told = state({ health: new Map([["w2", { ...waiting, blocked_reason: "health script exit 1", blocked_since: iso(T0 - 90_000) }]]) });
    const node = buildView({ state: told, nowMs: T0, opts: opts() }).nodes[0]!;
    expect([node.phase, node.waiting, node.since]).toEqual(["waiting", { reason: "health script exit 1", source: "daemon" }, iso(T0 - 90_000)]);
    // A pre-lock health check means the node wants a slot, even from a daemon without the new fields.
    expect(buildView({ state: state({ health: new Map([["w2", health("w2", "workers", { phase: "pre-lock" })]]) }), nowMs: T0, opts: opts() }).nodes[0]!.phase).toBe("waiting");
    expect(buildView({ state: state({ health: new Map([["w2", health("w2", "workers", { phase: "pre-lock", needs_reboot: false })]]) }), nowMs: T0, opts: opts() }).nodes[0]!.phase).toBe("idle");
  });

  test("a member with no live session is down and uses its group's budget; a frozen group says so first", () => {
    const member = (node: string) => [node, { node, group: "workers", fallback: false, first_seen: iso(T0 - DAY) }] as const;
    const s = state({ members: new Map([member("w1"), member("w2")]), health: new Map([["w2", health("w2", "workers", { needs_reboot: true })]]) });
    const v = buildView({ state: s, nowMs: T0, opts: opts() });
    expect(v.nodes.find((n) => n.node === "w1")).toMatchObject({ health: "down", health_detail: "no live session: counts against the budget" });
    expect(v.groups.find((g) => g.name === "workers")).toMatchObject({ used: 1, down: ["w1"], frozen: null });
    const frozen = { ...s, frozen: new Map([["workers", { record: { group: "workers", node: "w9", slot: "/p/slots/workers/w9", reason: "never_returned" as const, at: iso(T0), failures: 1, max_failed_reboots: 1 } }]]) };
    const f = buildView({ state: frozen, nowMs: T0, opts: opts() });
    expect(f.groups.find((g) => g.name === "workers")?.frozen).toEqual({ node: "w9", reason: "never_returned", at: iso(T0) });
    expect(f.nodes.find((n) => n.node === "w2")?.waiting?.reason).toContain("frozen after a failed reboot");
  });

  test("health: stale after the policy's threshold, unhealthy with its reason; an unreadable pause still pauses", () => {
    const s = state({
      pausePresent: true,
      health: new Map([
        ["a", health("a", "g", { checked_at: iso(T0 - 46_000) })],
        ["b", health("b", "g", { healthy: false, reason: "monitor exit 3" })],
      ]),
    });
    const v = buildView({ state: s, nowMs: T0, opts: opts() });
    expect(v.nodes.map((n) => [n.node, n.health, n.health_detail])).toEqual([
      ["a", "stale", "heartbeat"],
      ["b", "unhealthy", "monitor exit 3"],
    ]);
    expect(v.paused?.reason).toContain("unreadable");
    expect(v.groups.map((g) => g.name)).toEqual(["g", "workers"]);
  });

  test("cooldown shows until when; the timeline lists reboot commands of the last day; global cap", () => {
    const s = state({
      slots: [slot("w1", "workers", "verifying", { global_cap: 3 })],
      cooldowns: new Map([["other", { record: { node: "o1", group: "other", released_at: iso(T0 - 10_000), duration_sec: 60 }, lease: "5" }]]),
      reboots: new Map([["w1", { node: "w1", history: [iso(T0 - 2 * 86_400_000), iso(T0 - 20_000)], last_reboot_at: iso(T0 - 20_000) }]]),
    });
    const v = buildView({ state: s, nowMs: T0, opts: opts({ globalCap: 5 }) });
    expect(v.groups.find((g) => g.name === "other")!.cooldown).toEqual({ node: "o1", released_at: iso(T0 - 10_000), until: iso(T0 + 50_000) });
    expect(v.timeline.reboots).toEqual([{ node: "w1", at: iso(T0 - 20_000) }]);
    expect(v.global).toEqual({ used: 1, limit: 3 });
    expect(v.nodes[0]!.reboots_24h).toBe(1);
  });
});

describe("phase tracker", () => {
  test("spans open and close as phases change; idle first seen has no since; vanished nodes close their span", () => {
    const t = createPhaseTracker();
    const at = (s: ClusterState, ms: number) => t.annotate(buildView({ state: s, nowMs: ms, opts: opts() }), ms);
    const waiting = state({ health: new Map([["w1", health("w1", "workers", { needs_reboot: true })]]) });
    expect(at(state({ health: new Map([["w1", health("w1", "workers")]]) }), T0).nodes[0]!.since).toBeNull();
    const v1 = at(waiting, T0 + 1_000);
    expect(v1.nodes[0]!.since).toBe(iso(T0 + 1_000));
    expect(v1.timeline.spans).toEqual([{ node: "w1", group: "workers", phase: "waiting", from: iso(T0 + 1_000), to: null }]);
    expect(at(waiting, T0 + 2_000).nodes[0]!.since).toBe(iso(T0 + 1_000)); // unchanged phase keeps its since
    // The slot was taken at its phase_at (T0 + 2.5 s), before the page saw it: waiting ends there.
    const v3 = at(state({ slots: [slot("w1", "workers", "preparing", { phase_at: iso(T0 + 2_500) })] }), T0 + 3_000);
    expect(v3.timeline.spans).toEqual([
      { node: "w1", group: "workers", phase: "waiting", from: iso(T0 + 1_000), to: iso(T0 + 2_500) },
      { node: "w1", group: "workers", phase: "preparing", from: iso(T0 + 2_500), to: null },
    ]);
    // A phase dated before the previous one began never makes a span end before it starts.
    const t2 = createPhaseTracker();
    t2.annotate(buildView({ state: waiting, nowMs: T0, opts: opts() }), T0);
    const odd = t2.annotate(buildView({ state: state({ slots: [slot("w1", "workers", "preparing")] }), nowMs: T0 + 1_000, opts: opts() }), T0 + 1_000);
    expect(odd.timeline.spans.map((s) => [s.phase, s.from, s.to])).toEqual([
      ["waiting", iso(T0), iso(T0)],
      ["preparing", iso(T0), null],
    ]);
    const v4 = at(state(), T0 + 4_000);
    expect(v4.nodes).toEqual([]);
    expect(v4.timeline.spans.map((s) => [s.phase, s.to])).toEqual([
      ["waiting", iso(T0 + 2_500)],
      ["preparing", iso(T0 + 4_000)],
    ]);
  });

  test("without the daemon's fields, a heartbeat after a pre-lock check keeps the node waiting; monitor ends it", () => {
    const t = createPhaseTracker();
    const at = (phase: string, ms: number) => {
      const v = buildView({ state: state({ health: new Map([["w1", health("w1", "workers", { phase })]]) }), nowMs: ms, opts: opts(), prior: t.phaseOf });
      return t.annotate(v, ms).nodes[0]!.phase;
    };
    expect([at("heartbeat", T0), at("pre-lock", T0 + 1), at("heartbeat", T0 + 2), at("heartbeat", T0 + 3), at("monitor", T0 + 4), at("heartbeat", T0 + 5)]).toEqual(["idle", "waiting", "waiting", "waiting", "idle", "idle"]);
  });
});

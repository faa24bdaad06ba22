import { describe, expect, test } from "bun:test";
import { classifyPeers, evaluatePolicy, type PolicyConfig } from "../../../src/cluster/index.ts";
import { emptyClusterState, type ClusterState, type HealthRecord, type SlotEntry } from "../../../src/slots/index.ts";

const NOW = Date.UTC(2025, 0, 1, 12);
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

function health(node: string, healthy: boolean, msAgo = 1000): HealthRecord {
  return { node, group: "g", healthy, phase: "heartbeat", ...(healthy ? {} : { reason: "heartbeat exit 1" }), checked_at: iso(msAgo), boot_id: "b", pid: 1, seq: 1 };
}
function state(opts: { members?: string[]; health?: HealthRecord[]; slots?: string[] }): ClusterState {
  return {
    ...emptyClusterState(),
    slots: (opts.slots ?? []).map((node): SlotEntry => ({ key: `/p/slots/g/${node}`, group: "g", node, record: undefined, createRevision: 1, modRevision: 1, lease: "0" })),
    members: new Map((opts.members ?? []).map((m) => [m, { node: m, group: "g", fallback: false, first_seen: iso(0) }])),
    health: new Map((opts.health ?? []).map((h) => [h.node, h])),
  };
}
const NONE: PolicyConfig = { minHealthyFraction: null, minHealthyAbsolute: null, forbidIfOnlyFallbackLeft: false, fallbackNodes: [] };
const opts = { nowMs: NOW, publishIntervalMs: 15_000, healthTimeoutMs: 30_000 };
const verdict = (s: ClusterState, cfg: Partial<PolicyConfig> = {}) => evaluatePolicy(classifyPeers(s, "self", opts), "self", { ...NONE, ...cfg });

describe("cluster policy on the state after this node goes down (W2)", () => {
  test.each([
    ["no peers, no policy", state({}), {}, "allowed"],
    ["unhealthy peer blocks", state({ health: [health("a", false)] }), {}, "blocked"],
    ["absolute 2 with 2 healthy others", state({ health: [health("a", true), health("b", true)] }), { minHealthyAbsolute: 2 }, "allowed"],
    // Go counted self as healthy here (3 ≥ 3); after this node goes down only 2 remain.
    ["absolute 3 with 2 healthy others", state({ health: [health("a", true), health("b", true)] }), { minHealthyAbsolute: 3 }, "blocked"],
    ["fraction 0.6 of 3 expected: 2 healthy others pass", state({ health: [health("a", true), health("b", true)] }), { minHealthyFraction: 0.6 }, "allowed"],
    ["fraction 0.75 of 4 expected: missing member counts against", state({ members: ["a", "b", "c"], health: [health("a", true), health("b", true)] }), { minHealthyFraction: 0.75 }, "blocked"],
    ["a slot holder is never healthy", state({ health: [health("a", true)], slots: ["a"] }), { minHealthyAbsolute: 1 }, "blocked"],
    ["a stale record is not healthy", state({ health: [health("a", true, 10 * 60_000)] }), { minHealthyAbsolute: 1 }, "blocked"],
    ["last healthy fallback other than self must remain", state({ health: [health("fb", true)] }), { forbidIfOnlyFallbackLeft: true, fallbackNodes: ["fb"] }, "allowed"],
    ["no healthy fallback would remain", state({ health: [health("fb", false, 1000), health("x", true)] }), { forbidIfOnlyFallbackLeft: true, fallbackNodes: ["fb"] }, "blocked"],
    ["self is the only fallback", state({ health: [health("x", true)] }), { forbidIfOnlyFallbackLeft: true, fallbackNodes: ["self"] }, "blocked"],
  ] as const)("%s", (_name, s, cfg, expected) => {
    expect(verdict(s, cfg).kind).toBe(expected);
  });

  test("reasons name the unhealthy node and the numbers", () => {
    const v = verdict(state({ members: ["c"], health: [health("a", false), health("b", true)] }), { minHealthyAbsolute: 2, minHealthyFraction: 0.75 });
    expect(v.kind).toBe("blocked");
    if (v.kind !== "blocked") return;
    expect(v.reasons.join("; ")).toContain("a (heartbeat, heartbeat exit 1)");
    expect(v.reasons.join("; ")).toContain("below minimum 2");
    expect(v.reasons.join("; ")).toContain("0.75 requirement (3 of 4)");
    expect(v.blockers.map((b) => b.node)).toEqual(["a"]);
  });

  test("peers are classified healthy / unhealthy / rebooting / missing / stale", () => {
    const s = state({ members: ["m"], health: [health("h", true), health("u", false), health("s", true, 600_000), health("r", true)], slots: ["r"] });
    expect(classifyPeers(s, "self", opts).map((p) => `${p.node}:${p.status}`)).toEqual(["h:healthy", "m:missing", "r:rebooting", "s:stale", "u:unhealthy"]);
  });
});

/**
 * The chaos run's two checkers, proven on hand-made inputs: a checker that cannot see a violation
 * would let every chaos run pass. Ledger lines are `<ms> <node> <kind> …` (scripts/sim/ledger.ts);
 * etcd history events are what etcd-history.ts reads back from a real cluster.
 */
import { describe, expect, test } from "bun:test";
import { auditHistory, type HistoryEvent } from "../../scripts/chaos/etcd-history.ts";
import { awayFromLedger, checkLedger, type LedgerFacts } from "../../scripts/chaos/ledger-check.ts";
import { parseLedger } from "../../scripts/sim/ledger.ts";

/** One node's full cycle: post-lock check, reboot, down, boot, post-boot check. */
const cycle = (node: string, t: number, len = 100) => [
  `${t} ${node} health post-lock ok`,
  `${t + 1} ${node} reboot b-${node}-${t}`,
  `${t + 2} ${node} down`,
  `${t + len - 10} ${node} boot n-${node}-${t}`,
  `${t + len} ${node} health post-boot ok`,
];

const facts = (over: Partial<LedgerFacts> = {}): LedgerFacts => ({
  groupOf: (n) => (n.startsWith("a") ? "alpha" : "beta"),
  limitOf: (g) => (g === "alpha" ? 2 : 1),
  pauses: [],
  denies: new Map(),
  pauseSlackMs: 50,
  ...over,
});

const check = (lines: string[], over: Partial<LedgerFacts> = {}) => checkLedger(parseLedger(lines.join("\n")), facts(over));

describe("ledger checker", () => {
  test.each([
    ["one after the other in a limit-1 group", [...cycle("b1", 0), ...cycle("b2", 200)], 1, 0],
    ["second post-lock before the first post-boot ok", [...cycle("b1", 0), ...cycle("b2", 50)], 2, 1],
    ["two at once in a limit-2 group is fine", [...cycle("a1", 0), ...cycle("a2", 10)], 2, 0],
    ["three at once in a limit-2 group", [...cycle("a1", 0), ...cycle("a2", 10), ...cycle("a3", 20)], 3, 1],
    ["a heartbeat and a noop reboot do not open a window", ["0 b1 health heartbeat ok", "5 b1 reboot x noop", ...cycle("b2", 10)], 1, 0],
  ] as const)("%s", (_name, lines, peak, violations) => {
    const v = check([...lines]);
    expect([...v.peaks.values()].reduce((m, p) => Math.max(m, p.max), 0)).toBe(peak);
    expect(v.violations.length).toBe(violations);
  });

  test("the global cap counts machines away across every group", () => {
    const lines = [...cycle("a1", 0), ...cycle("b1", 10), ...cycle("a2", 20)];
    expect(check(lines).violations).toEqual([]);
    const v = check(lines, { globalCap: 2 });
    expect(v.globalPeak.max).toBe(3);
    expect(v.violations).toHaveLength(1);
    expect(v.violations[0]).toContain("global cap 2");
    expect(check([...cycle("a1", 0), ...cycle("b1", 200), ...cycle("a2", 10)], { globalCap: 2 }).violations).toEqual([]);
  });

  test("the window ends at the last post-boot check before the next post-lock (a verify killed before release)", () => {
    const lines = ["0 b1 health post-lock ok", "1 b1 reboot x", "50 b1 boot y", "60 b1 health post-boot ok", "90 b1 health post-boot ok", "300 b1 health post-lock ok"];
    expect(awayFromLedger(parseLedger(lines.join("\n")))).toEqual([{ node: "b1", start: 0, end: 90 }]);
  });

  test("a window closed without a passing post-boot check ends at its last evidence, not later", () => {
    const lines = ["0 b1 health post-lock ok", "1 b1 reboot x", "50 b1 boot y", "300 b1 health post-lock ok"];
    expect(awayFromLedger(parseLedger(lines.join("\n")))).toEqual([{ node: "b1", start: 0, end: 50 }]);
  });

  test("a node still away at the end of the ledger stays away", () => {
    expect(awayFromLedger(parseLedger(["0 b1 health post-lock ok", "1 b1 reboot x"].join("\n")))).toEqual([{ node: "b1", start: 0, end: undefined }]);
  });

  test.each([
    ["reboot well inside a pause", { pauses: [{ start: 0, end: 1000 }] }, 1],
    ["reboot within the slack after the pause began", { pauses: [{ start: 480, end: 1000 }] }, 0],
    ["reboot after resume", { pauses: [{ start: 0, end: 400 }] }, 0],
    ["reboot inside a deny window", { denies: new Map([["b1", [{ start: 0, end: 1000, slackMs: 0 }]]]) }, 1],
    ["reboot after the deny window was lifted", { denies: new Map([["b1", [{ start: 0, end: 400, slackMs: 0 }]]]) }, 0],
    ["deny window of another node", { denies: new Map([["b2", [{ start: 0, end: 1000, slackMs: 0 }]]]) }, 0],
  ] as const)("%s", (_name, over, violations) => {
    expect(check(cycle("b1", 500), over).violations.length).toBe(violations);
  });
});

const P = "/clusterrebootd";
const slot = (rev: number, node: string, group: string, phase: string): HistoryEvent => ({
  rev,
  kind: "put",
  key: `${P}/slots/${group}/${node}`,
  value: JSON.stringify({ node, group, phase }),
});
const del = (rev: number, key: string): HistoryEvent => ({ rev, kind: "delete", key, value: "" });
const put = (rev: number, key: string): HistoryEvent => ({ rev, kind: "put", key, value: "{}" });
const limitOf = (g: string) => (g === "alpha" ? 2 : 1);

describe("etcd history audit", () => {
  test("a clean hand-off with its cooldown passes and counts the fences", () => {
    const events = [
      slot(2, "b1", "beta", "preparing"),
      slot(3, "b1", "beta", "rebooting"),
      slot(4, "b1", "beta", "verifying"),
      del(5, `${P}/slots/beta/b1`),
      put(5, `${P}/cooldown/beta`),
      del(6, `${P}/cooldown/beta`),
      slot(7, "b2", "beta", "preparing"),
      slot(8, "b2", "beta", "rebooting"),
      del(9, `${P}/slots/beta/b2`),
    ];
    const a = auditHistory(events, P, limitOf);
    expect(a.violations).toEqual([]);
    expect(a.fences).toBe(2);
    expect(a.acquisitions).toBe(2);
    expect(a.peaks.get("beta")?.max).toBe(1);
    expect(a.slotsLeft).toEqual([]);
  });

  test.each([
    ["two slots in a limit-1 group", [slot(2, "b1", "beta", "preparing"), slot(3, "b2", "beta", "preparing")], /group beta has 2 slots/],
    ["a fence while paused", [slot(2, "b1", "beta", "preparing"), put(3, `${P}/pause`), slot(4, "b1", "beta", "rebooting")], /entered rebooting while the cluster was paused/],
    ["a fence during the group's cooldown", [slot(2, "b1", "beta", "preparing"), put(3, `${P}/cooldown/beta`), slot(4, "b1", "beta", "rebooting")], /entered rebooting during its group's cooldown/],
    ["a slot taken while paused", [put(2, `${P}/pause`), slot(3, "b1", "beta", "preparing")], /took a slot while the cluster was paused/],
    ["a slot taken during the group's cooldown", [put(2, `${P}/cooldown/beta`), slot(3, "b1", "beta", "preparing")], /took a slot during its group's cooldown/],
  ] as const)("finds %s", (_name, events, message) => {
    const a = auditHistory([...events], P, limitOf);
    expect(a.violations.join("\n")).toMatch(message);
  });

  test("a release and the next acquisition in separate revisions never count as an overlap; a slot left is reported", () => {
    const a = auditHistory([slot(2, "b1", "beta", "rebooting"), del(3, `${P}/slots/beta/b1`), slot(4, "b2", "beta", "preparing")], P, limitOf);
    expect(a.violations).toEqual([]);
    expect(a.slotsLeft).toEqual([`${P}/slots/beta/b2`]);
  });
});

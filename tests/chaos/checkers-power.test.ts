/**
 * The checkers' issue-22 rules on hand-made inputs (tests/chaos/checkers.test.ts has the others):
 * unplanned power-offs counted by the ledger's budget rule (scripts/chaos/ledger-budget.ts), no
 * reboot and no slot in a frozen group, no slot written by a clone. Each rule is shown to catch a
 * violation and to let the matching non-violation pass.
 */
import { describe, expect, test } from "bun:test";
import { auditHistory, slotPutsCarrying, type HistoryEvent } from "../../scripts/chaos/etcd-history.ts";
import { unplannedFromLedger } from "../../scripts/chaos/ledger-budget.ts";
import { checkLedger, type LedgerFacts } from "../../scripts/chaos/ledger-check.ts";
import { parseLedger } from "../../scripts/sim/ledger.ts";

/** One node's full cycle from its post-lock check at `t`: reboot, down, boot, post-boot check. */
const cycle = (node: string, t: number, len = 10_000) => [
  `${t} ${node} health post-lock ok`,
  `${t + 1} ${node} reboot b-${node}-${t}`,
  `${t + 2} ${node} down`,
  `${t + len - 10} ${node} boot n-${node}-${t}`,
  `${t + len} ${node} health post-boot ok`,
];
/** A power cut at `t`, back (booted) at `back` (none: still off at the end). */
const off = (node: string, t: number, back?: number) => [`${t} ${node} off`, ...(back === undefined ? [] : [`${back} ${node} boot p-${node}-${t}`])];

const facts = (over: Partial<LedgerFacts> = {}): LedgerFacts => ({
  groupOf: (n) => (n.startsWith("a") ? "alpha" : "beta"),
  limitOf: (g) => (g === "alpha" ? 2 : 1),
  pauses: [],
  denies: new Map(),
  pauseSlackMs: 500,
  // Counted from 3 s (TTL) + 3 s (margin) after the cut.
  unplanned: { leaseTtlMs: 3_000, marginMs: 3_000 },
  ...over,
});
const check = (lines: string[], over: Partial<LedgerFacts> = {}) => checkLedger(parseLedger(lines.join("\n")), facts(over));

describe("ledger: unplanned downs count against the budget once etcd can know them", () => {
  test.each([
    ["a slot taken in a limit-1 group while another node is off (session expired)", [...off("b3", 0, 30_000), ...cycle("b1", 10_000)], 1],
    ["…but not before its session can have expired (TTL + margin)", [...off("b3", 0, 30_000), ...cycle("b1", 5_000)], 0],
    ["…nor after it booted again", [...off("b3", 0, 8_000), ...cycle("b1", 9_000)], 0],
    ["a power cut while the group is at its limit with a reboot is the environment's doing", [...cycle("b1", 0), ...off("b3", 1_000, 30_000)], 0],
    ["power cuts alone above the limit are the environment's doing", [...off("b2", 0, 30_000), ...off("b3", 100, 30_000)], 0],
    ["a limit-2 group: one off and one rebooting leave no room for a third", [...off("a1", 0, 30_000), ...cycle("a2", 10_000), ...cycle("a3", 12_000)], 1],
    ["a limit-2 group: one off leaves room for one reboot", [...off("a1", 0, 30_000), ...cycle("a2", 10_000), ...cycle("a3", 25_000)], 0],
    ["a node still off at the end of the ledger", [...off("b3", 0), ...cycle("b1", 50_000)], 1],
  ] as const)("%s", (_name, lines, violations) => {
    const v = check([...lines]);
    expect(v.violations.length).toBe(violations);
    if (violations) expect(v.violations[0]).toMatch(/^group (alpha|beta): \d nodes away at once \(limit \d\) at .*took a slot while .*\(off since /);
  });

  test("most nodes down at once counts the power cuts too; the planned peak does not", () => {
    const v = check([...cycle("b1", 0), ...off("b3", 1_000, 30_000)]);
    expect(v.peaks.get("beta")?.max).toBe(1);
    expect(v.downPeaks.get("beta")?.max).toBe(2);
    expect(v.powerOffs).toBe(1);
  });

  test("an etcd member killed after the cut delays the count (a new leader renews every lease)", () => {
    const lines = (at: number) => [...off("b3", 0, 60_000), ...cycle("b1", at)];
    const disrupted = { unplanned: { leaseTtlMs: 3_000, marginMs: 3_000, etcdDisruptions: [2_000] } };
    expect(check(lines(10_000), disrupted).violations).toEqual([]);
    expect(check(lines(13_000), disrupted).violations).toHaveLength(1);
  });

  test("an etcd wipe ends the count: the new cluster has no record of a machine off since before", () => {
    const lines = [...off("b3", 0, 60_000), ...cycle("b1", 10_000)];
    expect(check(lines, { unplanned: { leaseTtlMs: 3_000, marginMs: 3_000, wipes: [8_000] } }).violations).toEqual([]);
    expect(check(lines, { unplanned: { leaseTtlMs: 3_000, marginMs: 3_000, wipes: [12_000] } }).violations).toHaveLength(1);
  });

  test("the global cap counts power cuts in every group", () => {
    const lines = [...off("a1", 0, 60_000), ...cycle("b1", 10_000), ...cycle("a2", 10_010)];
    const v = check(lines, { globalCap: 2 });
    expect(v.violations).toHaveLength(1);
    expect(v.violations[0]).toMatch(/^fleet: 3 nodes away at once \(global cap 2\).*a2 took a slot while b1 \(reboot\), a1 \(off since/);
    expect(check(lines).violations).toEqual([]);
  });

  test("off to the next boot; a second off before booting changes nothing", () => {
    const w = unplannedFromLedger(parseLedger([...off("b3", 0), "5 b3 off", "100 b3 boot x", ...off("b2", 50)].join("\n")));
    expect(w).toEqual([
      { node: "b3", start: 0, end: 100 },
      { node: "b2", start: 50, end: undefined },
    ]);
  });
});

describe("ledger: no reboot command while the node's group is frozen", () => {
  test.each([
    ["reboot well inside the freeze", [{ start: 0, end: 20_000 }], "beta", 1],
    ["reboot within the slack after the freeze was seen", [{ start: 9_800, end: 20_000 }], "beta", 0],
    ["reboot after the resume", [{ start: 0, end: 9_000 }], "beta", 0],
    ["another group frozen", [{ start: 0, end: 20_000 }], "alpha", 0],
  ] as const)("%s", (_name, intervals, group, violations) => {
    const v = check(cycle("b1", 10_000), { freezes: new Map([[group, [...intervals]]]) });
    expect(v.violations.length).toBe(violations);
    if (violations) expect(v.violations[0]).toMatch(/while group beta was frozen/);
  });
});

const P = "/clusterrebootd";
const slot = (rev: number, node: string, phase: string, extra: Record<string, string> = {}): HistoryEvent => ({
  rev,
  kind: "put",
  key: `${P}/slots/beta/${node}`,
  value: JSON.stringify({ node, group: "beta", phase, ...extra }),
});
const del = (rev: number, key: string): HistoryEvent => ({ rev, kind: "delete", key, value: "" });
const frozen = (rev: number): HistoryEvent => ({ rev, kind: "put", key: `${P}/frozen/beta`, value: JSON.stringify({ group: "beta", node: "b1", reason: "never_returned" }) });

describe("etcd audit: the freeze", () => {
  test.each([
    ["a slot taken while the group is frozen", [frozen(2), slot(3, "b2", "preparing")], /b2 \(beta\) took a slot while its group was frozen/],
    ["a fence while the group is frozen", [slot(2, "b2", "preparing"), frozen(3), slot(4, "b2", "rebooting")], /b2 \(beta\) entered rebooting while its group was frozen/],
  ] as const)("finds %s", (_name, events, message) => {
    expect(auditHistory([...events], P, () => 1).violations.join("\n")).toMatch(message);
  });

  test("the failed slot freed with the freeze, a node coming back re-creating its slot, a slot after resume: fine", () => {
    const a = auditHistory(
      [slot(2, "b1", "rebooting"), del(3, `${P}/slots/beta/b1`), frozen(3), slot(4, "b1", "verifying"), del(5, `${P}/slots/beta/b1`), del(6, `${P}/frozen/beta`), slot(7, "b2", "preparing"), del(8, `${P}/slots/beta/b2`)],
      P,
      () => 1,
    );
    expect(a.violations).toEqual([]);
    expect(a.freezes).toBe(1);
    expect(a.frozenLeft).toEqual([]);
  });

  test("a group still frozen at the end is reported", () => {
    expect(auditHistory([frozen(2)], P, () => 1).frozenLeft).toEqual(["beta"]);
  });
});

describe("etcd audit: slots written by a clone", () => {
  test("a slot put carrying a clone's hardware id or boot id is found; the original's is not", () => {
    const ids = new Map([
      ["hw-clone", "b1~clone"],
      ["boot-clone", "b1~clone"],
    ]);
    const events = [slot(2, "b1", "preparing", { hardware_id: "hw-orig", boot_id: "boot-orig" }), slot(3, "b1", "verifying", { hardware_id: "hw-clone", boot_id: "boot-orig" }), del(4, `${P}/slots/beta/b1`), slot(5, "b1", "preparing", { boot_id: "boot-clone" })];
    const found = slotPutsCarrying(events, P, ids);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/rev 3: beta\/b1 written in phase verifying with hardware_id of b1~clone/);
    expect(found[1]).toMatch(/rev 5: .*boot_id of b1~clone/);
  });
});

describe("etcd audit: members down without a session count against their group", () => {
  const member = (rev: number, node: string, group = "beta"): HistoryEvent => ({ rev, kind: "put", key: `${P}/members/${node}`, value: JSON.stringify({ node, group }) });
  const health = (rev: number, node: string): HistoryEvent => ({ rev, kind: "put", key: `${P}/health/${node}`, value: "{}" });
  const gone = (rev: number, node: string) => del(rev, `${P}/health/${node}`);
  const start = [member(2, "b1"), health(3, "b1"), member(4, "b2"), health(5, "b2"), member(6, "a1", "alpha"), health(7, "a1")];
  const audit = (events: HistoryEvent[]) => auditHistory([...start, ...events], P, () => 1, null, { downMembers: true });

  test("a slot taken while another member of the limit-1 group has no session is found", () => {
    expect(audit([gone(8, "b2"), slot(9, "b1", "preparing")]).violations.join("\n")).toMatch(/rev 9: b1 \(beta\) took a slot while 0 slot\(s\) \(\) and 1 member\(s\) without a session \(b2\) filled its limit 1/);
  });

  test.each([
    ["the member is back", [gone(8, "b2"), health(9, "b2"), slot(10, "b1", "preparing")]],
    ["the member without a session is in another group", [gone(8, "a1"), slot(9, "b1", "preparing")]],
    ["a member that lost its session while holding a slot is counted by its slot, then back before the next acquisition", [slot(8, "b2", "rebooting"), gone(9, "b2"), del(10, `${P}/slots/beta/b2`), health(11, "b2"), slot(12, "b1", "preparing")]],
    ["the acquirer itself has no session yet", [gone(8, "b1"), slot(9, "b1", "preparing")]],
  ] as const)("fine when %s", (_name, events) => {
    expect(audit([...events]).violations).toEqual([]);
  });

  test("off unless asked (slots-only coordinators, the demo)", () => {
    expect(auditHistory([...start, gone(8, "b2"), slot(9, "b1", "preparing")], P, () => 1).violations).toEqual([]);
  });
  test("with a global cap, members of every group without a session count against it", () => {
    const capped = (events: HistoryEvent[]) => auditHistory([...start, ...events], P, () => 2, 2, { downMembers: true });
    // b2 reboots under a slot, a1 (alpha) lost its session: a1 + b2 fill the cap of 2 when b1 takes a slot.
    expect(capped([slot(8, "b2", "rebooting"), gone(9, "a1"), slot(10, "b1", "preparing")]).violations.join("\n")).toMatch(/rev 10: b1 \(beta\) took a slot while 1 slot\(s\) \(b2\) and 1 member\(s\) without a session \(a1\) filled the global cap 2/);
    expect(capped([slot(8, "b2", "rebooting"), gone(9, "a1"), health(10, "a1"), slot(11, "b1", "preparing")]).violations).toEqual([]);
  });
});

/**
 * The fleet ledger analysis that the daemon tests rely on (scripts/sim/ledger.ts). Pure and fast,
 * but kept beside those tests: a checker that cannot see an overlap would let every rolling-reboot
 * test pass, so it is proven here on hand-made ledgers.
 */
import { describe, expect, test } from "bun:test";
import { awayWindows, handoffs, maxOverlap, parseLedger, percentile } from "../../scripts/sim/ledger.ts";

const LEDGER = `1000 n1 health pre-lock ok
1010 n1 reboot aaaa
1020 n1 down
1200 n1 boot bbbb
1300 n1 health post-boot ok
1500 n2 reboot cccc noop
1600 n3 health heartbeat hang
garbage line
17`;

describe("parseLedger", () => {
  test("reads every kind of line and skips what does not parse", () => {
    expect(parseLedger(LEDGER)).toEqual([
      { at: 1000, node: "n1", kind: "health", phase: "pre-lock", result: "ok" },
      { at: 1010, node: "n1", kind: "reboot", bootId: "aaaa", noop: false },
      { at: 1020, node: "n1", kind: "down" },
      { at: 1200, node: "n1", kind: "boot", bootId: "bbbb" },
      { at: 1300, node: "n1", kind: "health", phase: "post-boot", result: "ok" },
      { at: 1500, node: "n2", kind: "reboot", bootId: "cccc", noop: true },
      { at: 1600, node: "n3", kind: "health", phase: "heartbeat", result: "hang" },
    ]);
  });
});

const reboot = (node: string, at: number) => `${at} ${node} reboot x`;

describe("maxOverlap of away windows", () => {
  test.each([
    ["one after the other", [reboot("a", 0), reboot("b", 200)], { a: [100], b: [300] }, 1],
    ["release and next reboot in the same ms is a hand-off", [reboot("a", 0), reboot("b", 100)], { a: [100], b: [300] }, 1],
    ["b reboots before a released", [reboot("a", 0), reboot("b", 99)], { a: [100], b: [300] }, 2],
    ["a never released: still away", [reboot("a", 0), reboot("b", 500)], { b: [600] }, 2],
    ["a release before the reboot does not close it", [reboot("a", 100), reboot("b", 150)], { a: [50, 200], b: [300] }, 2],
    ["three at once", [reboot("a", 0), reboot("b", 1), reboot("c", 2)], { a: [9], b: [9], c: [9] }, 3],
  ] as const)("%s", (_name, lines, releases, max) => {
    const windows = awayWindows(parseLedger(lines.join("\n")), new Map(Object.entries(releases).map(([k, v]) => [k, [...v]])));
    expect(maxOverlap(windows).max).toBe(max);
  });
});

describe("handoffs", () => {
  test("each release pairs with the next reboot of another node of its group", () => {
    const ledger = parseLedger([reboot("a1", 0), reboot("b1", 5), reboot("a2", 130), reboot("b2", 400)].join("\n"));
    const group = (n: string) => (n.startsWith("a") ? "ga" : "gb");
    const releases = [
      { node: "a1", group: "ga", at: 100 },
      { node: "b1", group: "gb", at: 350 },
      { node: "a2", group: "ga", at: 500 },
    ];
    expect(handoffs(ledger, releases, group).map((h) => [h.from, h.to, h.ms])).toEqual([
      ["a1", "a2", 30],
      ["b1", "b2", 50],
    ]);
  });

  test.each([
    [[5, 1, 3], 50, 3],
    [[5, 1, 3], 100, 5],
    [[7], 50, 7],
  ] as const)("percentile(%p, %p) = %p", (values, p, want) => {
    expect(percentile(values, p)).toBe(want);
  });
});

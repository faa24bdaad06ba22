/**
 * Issue 13: window times are read as the Go daemon read them (each side of ":" a signed decimal
 * integer, leading zeros allowed), so a Go config keeps working. Odd spellings load with a
 * warning that gives the canonical form; what Go rejects stays an error.
 */
import { describe, expect, test } from "bun:test";
import { checkWindowExpression, evaluateWindows, parseWindows, windowWarnings } from "../../../src/windows/index.ts";
import { loadData, withKeys } from "../config/_helpers.ts";

const utc = (d: number, h: number, mi = 0) => Date.UTC(2024, 0, d, h, mi); // 1 Jan 2024 was a Monday

describe("Go-compatible times", () => {
  test.each<[string, string, string, number, number]>([
    // time, canonical, expression using it, an instant inside, the first instant after
    ["1:5", "01:05", "Mon 1:5-02:00", utc(1, 1, 5), utc(1, 2)],
    ["01:0", "01:00", "Mon 01:0-02:00", utc(1, 1), utc(1, 2)],
    ["001:00", "01:00", "Mon 001:00-02:00", utc(1, 1), utc(1, 2)],
    ["+1:00", "01:00", "Mon +1:00-02:00", utc(1, 1), utc(1, 2)],
  ])("%p is accepted as %p, with a warning naming the canonical form", (time, canonical, expr, inside, after) => {
    expect(checkWindowExpression(expr)).toBeNull();
    const r = parseWindows({ deny: [expr], allow: [], timezone: "UTC" });
    if (!r.ok) throw new Error(r.errors.join("; "));
    expect(evaluateWindows(r.windows, inside - 1).kind).toBe("allowed");
    expect(evaluateWindows(r.windows, inside).kind).toBe("denied");
    expect(evaluateWindows(r.windows, after).kind).toBe("allowed");
    expect(windowWarnings({ deny: [expr], allow: [] })).toEqual([
      `windows.deny[0]: time "${time}" is read as "${canonical}" (accepted for Go compatibility; write "${canonical}")`,
    ]);
  });

  test.each<[string, string]>([
    ["Mon 10:00-+24:00", "24:00"],
    ["Mon 10:00-024:00", "24:00"],
    ["Mon -0:00-01:00", "00:00"],
    ["Mon 00000000000000000000001:00-02:00", "01:00"],
    ["first Sun 2:0-5:00", "02:00"],
  ])("%p: %p", (expr, canonical) => {
    expect(checkWindowExpression(expr)).toBeNull();
    expect(windowWarnings({ deny: [], allow: [expr] })[0]).toContain(`is read as "${canonical}"`);
  });

  test("the documented forms H:MM and HH:MM give no warning", () => {
    expect(windowWarnings({ deny: ["9:00-10:00", "Mon 09:30-24:00", "first Sun 02:00-05:00"], allow: ["2026-12-24"] })).toEqual([]);
  });

  test.each<[string, string]>([
    ["Mon 1:-02:00", 'invalid time "1:"'], // empty minute
    ["Mon :30-02:00", 'invalid time ":30"'],
    ["Mon +:00-02:00", 'invalid time "+:00"'], // a sign without digits
    ["Mon ++1:00-02:00", 'invalid time "++1:00"'],
    ["Mon 1_0:00-12:00", 'invalid time "1_0:00"'], // Go's Atoi takes no underscores
    ["Mon 0x1:00-02:00", 'invalid time "0x1:00"'],
    ["Mon １:00-02:00", 'invalid time "１:00"'], // full-width digit
    ["Mon 1:00:00-02:00", "seconds are not supported"],
    ["Mon 24:00-02:00", '"24:00" is only allowed as an end time'],
    ["Mon -1:00-02:00", 'invalid time "-1:00" (expected HH:MM, hour 0-23)'],
    ["Mon 1:60-02:00", 'invalid time "1:60" (expected HH:MM, minute 0-59)'],
    ["Mon 1:+60-02:00", 'invalid time "1:+60" (expected HH:MM, minute 0-59)'],
    ["Mon 99999999999999999999:00-02:00", "hour 0-23"], // Go: value out of range
    ["Mon 01:00-24:01", 'invalid time "24:01" (expected HH:MM, hour 0-23, or 24:00)'],
  ])("%p is still rejected (%s)", (expr, message) => {
    expect(checkWindowExpression(expr) ?? "").toContain(message);
  });

  test("the config loader returns the warnings and still loads", async () => {
    const r = await loadData(withKeys({ windows: { deny: ["Mon 10:00-11:00", "Tue 1:5-2:00"], allow: ["+1:00-03:00"] } }));
    if (!r.ok) throw new Error(r.problems.join("; "));
    expect(r.warnings).toEqual([
      'windows.deny[1]: time "1:5" is read as "01:05" (accepted for Go compatibility; write "01:05")',
      'windows.allow[0]: time "+1:00" is read as "01:00" (accepted for Go compatibility; write "01:00")',
    ]);
  });
});

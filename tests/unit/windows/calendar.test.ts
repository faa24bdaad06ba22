/**
 * Calendar rules (dates, date ranges, monthly "first Sun …"): parsing, errors naming the entry,
 * evaluation in UTC, and how far ahead nextWindowChange looks for them. DST cases are in
 * calendar-dst.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { parseExpression } from "../../../src/windows/_parse.ts";
import {
  checkWindowExpression,
  evaluateWindows,
  localTimeText,
  nextWindowChange,
  nextWindowHorizonMs,
  parseWindows,
  type WindowSet,
} from "../../../src/windows/index.ts";

const DAY = 86_400_000;
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s);

function windows(deny: string[], allow: string[] = [], timezone = "UTC"): WindowSet {
  const r = parseWindows({ deny, allow, timezone });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.windows;
}
const kind = (w: WindowSet, t: number) => evaluateWindows(w, t).kind;

describe("calendar rules: parsing", () => {
  test.each<[string, object]>([
    ["2026-12-24", { kind: "dates", fromDay: 20_811, toDay: 20_811 }],
    ["2026-12-24..2027-01-02", { kind: "dates", fromDay: 20_811, toDay: 20_820 }],
    [" 2026-12-24 .. 2027-01-02 ", { kind: "dates", fromDay: 20_811, toDay: 20_820 }],
    ["2024-02-29", { kind: "dates", fromDay: 19_782, toDay: 19_782 }],
    ["first Sun 02:00-05:00", { kind: "monthly", nth: 1, weekday: 0, shift: 0, startMinute: 120, length: 180 }],
    ["2nd Tue+1 22:00-04:00", { kind: "monthly", nth: 2, weekday: 2, shift: 1, startMinute: 1320, length: 360 }],
    ["2nd tuesday + 1 22:00 - 04:00", { kind: "monthly", nth: 2, weekday: 2, shift: 1, startMinute: 1320, length: 360 }],
    ["LAST fri-2 10:00-10:00", { kind: "monthly", nth: -1, weekday: 5, shift: -2, startMinute: 600, length: 1440 }],
    ["third Wed 00:00-24:00", { kind: "monthly", nth: 3, weekday: 3, shift: 0, startMinute: 0, length: 1440 }],
    ["5th Sat 23:30-00:30", { kind: "monthly", nth: 5, weekday: 6, shift: 0, startMinute: 1410, length: 60 }],
  ])("%p", (expr, rule) => {
    const r = parseExpression(expr);
    expect(r).toEqual({ ok: true, rule: rule as never, warnings: [] });
  });

  test.each<[string, string]>([
    ["2026-02-30", 'invalid date "2026-02-30" (no such day)'],
    ["2026-13-01", 'invalid date "2026-13-01" (no such day)'],
    ["2025-02-29", 'invalid date "2025-02-29" (no such day)'],
    ["2026-1-5", 'invalid date "2026-1-5" (expected YYYY-MM-DD, e.g. 2026-12-24)'],
    ["2026-12-24 - 2027-01-02", 'write the range with ".."'],
    ["2026-12-24..", 'invalid date "" (expected YYYY-MM-DD'],
    ["2026-12-24..2027-01-02..2027-02-01", 'invalid date range "2026-12-24..2027-01-02..2027-02-01"'],
    ["2027-01-02..2026-12-24", 'date range "2027-01-02..2026-12-24" ends before it starts'],
    ["2026-12-24 22:00-23:00", 'a date covers the whole day; remove "22:00-23:00"'],
    ["first Sun", 'missing time in "first Sun"'],
    ["first Sun 02:00", 'missing "-" after the start time'],
    ["first 02:00-03:00", 'invalid monthly rule "first"'],
    ["6th Sun 02:00-03:00", 'unknown ordinal "6th" (expected first..fifth, 1st..5th or last)'],
    ["first Sunny 02:00-03:00", 'unknown day "Sunny"'],
    ["first Sat,Sun 02:00-03:00", 'invalid monthly rule "first Sat,Sun"'],
    ["first Mon-Fri 02:00-03:00", 'invalid monthly rule "first Mon-Fri"'],
    ["2nd Tue+29 22:00-04:00", 'day shift "+29" out of range (1-28 days)'],
    ["2nd Tue+0 22:00-04:00", 'day shift "+0" out of range'],
    ["first Sun 02:00-Mon 05:00", 'a monthly rule has no end day: "Mon 05:00"'],
    ["first Sun 25:00-05:00", 'invalid time "25:00" (expected HH:MM, hour 0-23)'],
    ["first Sun 24:00-05:00", '"24:00" is only allowed as an end time'],
    ["first Sun 02:00-", 'empty end in "first Sun 02:00-"'],
  ])("%p is rejected: %s", (expr, message) => {
    expect(checkWindowExpression(expr) ?? "").toContain(message);
  });

  test("errors name the entry, in both lists", () => {
    const r = parseWindows({ deny: ["Mon 10:00-11:00", "2026-02-30", "first Sun 02:00-03:00"], allow: ["7th Sun 02:00-03:00"], timezone: "UTC" });
    expect(r).toEqual({
      ok: false,
      errors: ['windows.deny[1]: invalid date "2026-02-30" (no such day)', 'windows.allow[0]: unknown ordinal "7th" (expected first..fifth, 1st..5th or last)'],
    });
  });
});

describe("calendar rules: evaluation (UTC)", () => {
  test.each<[string, number, boolean, string]>([
    // Dates: whole days, ranges include both ends.
    ["2026-12-24", utc(2026, 12, 23, 23, 59, 59), false, "the evening before"],
    ["2026-12-24", utc(2026, 12, 24), true, "midnight"],
    ["2026-12-24", utc(2026, 12, 24, 23, 59, 59), true, "the last second"],
    ["2026-12-24", utc(2026, 12, 25), false, "the next day"],
    ["2026-12-24..2027-01-02", utc(2026, 12, 31, 12), true, "across the year end"],
    ["2026-12-24..2027-01-02", utc(2027, 1, 2, 23, 59), true, "the last day is included"],
    ["2026-12-24..2027-01-02", utc(2027, 1, 3), false, "over"],
    ["2026-12-24..2027-01-02", utc(2025, 12, 31, 12), false, "a date is not yearly"],
    // Monthly: Patch Tuesday of December 2026 is the 8th; the day after is Wednesday the 9th.
    ["2nd Tue+1 22:00-04:00", utc(2026, 12, 9, 21, 59), false, "before"],
    ["2nd Tue+1 22:00-04:00", utc(2026, 12, 9, 22), true, "opens on the Wednesday"],
    ["2nd Tue+1 22:00-04:00", utc(2026, 12, 10, 3, 59), true, "the overnight span belongs to the day it starts"],
    ["2nd Tue+1 22:00-04:00", utc(2026, 12, 10, 4), false, "closed"],
    ["2nd Tue+1 22:00-04:00", utc(2026, 12, 8, 22), false, "Patch Tuesday itself"],
    ["2nd Tue+1 22:00-04:00", utc(2026, 12, 16, 22), false, "the Wednesday after the 3rd Tuesday"],
    ["2nd Tue+1 22:00-04:00", utc(2027, 1, 13, 23), true, "January: 2nd Tue is the 12th"],
    // Overnight: a "first Sun" span that starts on the first Sunday ends on the Monday…
    ["first Sun 22:00-04:00", utc(2027, 1, 4, 3), true, "Mon 4 Jan 03:00, after the first Sunday"],
    // …and the night *into* the first Sunday is not part of it.
    ["first Sun 22:00-04:00", utc(2027, 1, 3, 3), false, "Sun 3 Jan 03:00 (span of Sat 2 Jan, a Saturday)"],
    // "last" across the month end: the last Sunday of January 2027 is the 31st.
    ["last Sun 22:00-04:00", utc(2027, 2, 1, 3, 59), true, "1 Feb, still the span of 31 Jan"],
    ["last Sun 22:00-04:00", utc(2027, 1, 24, 23), false, "24 Jan is not the last Sunday"],
    ["last Sun 00:00-24:00", utc(2026, 12, 27, 12), true, "27 Dec 2026"],
    // A fifth Sunday only in months that have one.
    ["5th Sun 00:00-24:00", utc(2027, 1, 31, 12), true, "31 Jan 2027 is the fifth Sunday"],
    ["5th Sun 00:00-24:00", utc(2026, 12, 27, 12), false, "December 2026 has four Sundays"],
    // A shift may cross into the previous month: the day before the first Tuesday of Dec 2026.
    ["first Tue-1 00:00-24:00", utc(2026, 11, 30, 12), true, "Mon 30 Nov"],
    ["first Tue-1 00:00-24:00", utc(2026, 12, 1, 12), false, "Tue 1 Dec"],
  ])("deny %p at %p → inside=%p (%s)", (expr, t, inside) => {
    expect(kind(windows([expr]), t)).toBe(inside ? "denied" : "allowed");
  });

  test("calendar and weekly rules mix in both lists; deny still wins", () => {
    const w = windows(["2026-12-24..2027-01-02", "first Mon 00:00-24:00"], ["Tue-Thu 22:00-04:00", "2026-12-20"]);
    expect(kind(w, utc(2026, 12, 20, 12))).toBe("allowed"); // allow date (a Sunday)
    expect(kind(w, utc(2026, 12, 22, 23))).toBe("allowed"); // Tuesday night
    expect(kind(w, utc(2026, 12, 29, 23))).toBe("denied"); // Tuesday night inside the holiday freeze
    expect(kind(w, utc(2027, 1, 4, 12))).toBe("denied"); // first Monday
    expect(kind(w, utc(2027, 1, 5, 12))).toBe("outside_allow");
    expect(evaluateWindows(w, utc(2027, 1, 4, 12))).toEqual({ kind: "denied", matchedDeny: "first Mon 00:00-24:00" });
  });
});

describe("calendar rules: next change (what status shows as the next opening)", () => {
  test.each<[string[], string[], number, number | null, string]>([
    [["2026-12-24..2027-01-02"], [], utc(2026, 12, 25, 12), utc(2027, 1, 3), "the end of a 10-day freeze"],
    [["2026-12-24..2027-01-02"], [], utc(2026, 12, 1), utc(2026, 12, 24), "its start, 23 days ahead"],
    [[], ["first Sun 02:00-05:00"], utc(2026, 12, 7), utc(2027, 1, 3, 2), "a month ahead"],
    [[], ["2nd Tue+1 22:00-04:00"], utc(2026, 12, 9, 23), utc(2026, 12, 10, 4), "closes the next morning"],
    [[], ["5th Sun 02:00-03:00"], utc(2027, 2, 1), utc(2027, 5, 30, 2), "the next month with a fifth Sunday"],
    [["2027-01-01"], ["* 00:00-24:00"], utc(2026, 12, 31, 23), utc(2027, 1, 1), "a deny date inside an always-open allow"],
    [["2026-01-01..2028-12-31"], [], utc(2026, 6, 1), null, "beyond the 400-day horizon"],
  ])("deny %p allow %p from %p → %p (%s)", (deny, allow, from, expected) => {
    expect(nextWindowChange(windows(deny, allow), from)).toBe(expected);
  });

  test("the horizon is 8 days for weekly rules and 400 days once a calendar rule is configured", () => {
    expect(nextWindowHorizonMs(windows(["Mon 10:00-11:00"]))).toBe(8 * DAY);
    expect(nextWindowHorizonMs(windows(["Mon 10:00-11:00"], ["last Sun 02:00-03:00"]))).toBe(400 * DAY);
  });

  test("localTimeText shows the wall clock of the zone", () => {
    expect(localTimeText(windows(["2027-01-01"], [], "Europe/Berlin"), utc(2027, 1, 2, 23))).toBe("2027-01-03 00:00");
    expect(localTimeText(windows(["2027-01-01"], [], "America/New_York"), utc(2027, 1, 3, 2, 5))).toBe("2027-01-02 21:05");
  });
});

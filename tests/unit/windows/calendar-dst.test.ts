/**
 * Calendar rules on the wall clock across DST changes, in the style of dst.test.ts. The monthly
 * cases are chosen so the rule's day *is* the transition day (DST rules are themselves "last Sun",
 * "2nd Sun", "first Sun" rules):
 *
 * - Europe/Berlin    2024: spring Sun 31 Mar 01:00Z (02:00 CET → 03:00 CEST), the last Sunday;
 *                          fall   Sun 27 Oct 01:00Z (03:00 CEST → 02:00 CET), the last Sunday
 * - America/New_York 2024: spring Sun 10 Mar 07:00Z (02:00 EST → 03:00 EDT), the 2nd Sunday;
 *                          fall   Sun  3 Nov 06:00Z (02:00 EDT → 01:00 EST), the first Sunday
 * - Australia/Sydney 2024: fall   Sun  7 Apr local, 6 Apr 16:00Z (03:00 AEDT → 02:00 AEST), the first Sunday;
 *                          spring Sun  6 Oct local, 5 Oct 16:00Z (02:00 AEST → 03:00 AEDT), the first Sunday
 */
import { describe, expect, test } from "bun:test";
import { evaluateWindows, nextWindowChange, parseWindows, type WindowSet } from "../../../src/windows/index.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s);

function windows(deny: string[], allow: string[], timezone: string): WindowSet {
  const r = parseWindows({ deny, allow, timezone });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.windows;
}
const inDeny = (tz: string, expr: string, t: number) => evaluateWindows(windows([expr], [], tz), t).kind === "denied";

describe("calendar rules at DST transitions", () => {
  test.each<[string, string, number, boolean, string]>([
    // Berlin spring: 02:00-03:00 does not exist, so "last Sun 02:00-05:00" opens at the jump (2 real hours).
    ["Europe/Berlin", "last Sun 02:00-05:00", utc(2024, 3, 31, 0, 59, 59), false, "01:59:59 CET"],
    ["Europe/Berlin", "last Sun 02:00-05:00", utc(2024, 3, 31, 1), true, "03:00 CEST, right after the gap"],
    ["Europe/Berlin", "last Sun 02:00-05:00", utc(2024, 3, 31, 2, 59, 59), true, "04:59:59 CEST"],
    ["Europe/Berlin", "last Sun 02:00-05:00", utc(2024, 3, 31, 3), false, "05:00 CEST"],
    ["Europe/Berlin", "last Sun 02:00-03:00", utc(2024, 3, 31, 1), false, "wholly inside the gap: never opens"],
    // Berlin fall: 02:00-03:00 happens twice and is inside both times.
    ["Europe/Berlin", "last Sun 02:00-03:00", utc(2024, 10, 27, 0), true, "02:00 CEST (first time)"],
    ["Europe/Berlin", "last Sun 02:00-03:00", utc(2024, 10, 27, 1, 30), true, "02:30 CET (second time)"],
    ["Europe/Berlin", "last Sun 02:00-03:00", utc(2024, 10, 27, 2), false, "03:00 CET"],
    // Dates are local days: 31 Mar 2024 in Berlin has 23 hours, 27 Oct has 25.
    ["Europe/Berlin", "2024-03-31", utc(2024, 3, 30, 22, 59, 59), false, "30 Mar 23:59:59 CET"],
    ["Europe/Berlin", "2024-03-31", utc(2024, 3, 30, 23), true, "31 Mar 00:00 CET"],
    ["Europe/Berlin", "2024-03-31", utc(2024, 3, 31, 21, 59, 59), true, "31 Mar 23:59:59 CEST"],
    ["Europe/Berlin", "2024-03-31", utc(2024, 3, 31, 22), false, "1 Apr 00:00 CEST"],
    ["Europe/Berlin", "2024-10-27", utc(2024, 10, 26, 22), true, "27 Oct 00:00 CEST"],
    ["Europe/Berlin", "2024-10-27", utc(2024, 10, 27, 22, 59, 59), true, "27 Oct 23:59:59 CET"],
    ["Europe/Berlin", "2024-10-27", utc(2024, 10, 27, 23), false, "28 Oct 00:00 CET"],
    // New York spring (2nd Sunday of March): 01:00-03:00 keeps one real hour.
    ["America/New_York", "2nd Sun 01:00-03:00", utc(2024, 3, 10, 6), true, "01:00 EST"],
    ["America/New_York", "2nd Sun 01:00-03:00", utc(2024, 3, 10, 6, 59, 59), true, "01:59:59 EST"],
    ["America/New_York", "2nd Sun 01:00-03:00", utc(2024, 3, 10, 7), false, "03:00 EDT"],
    // An overnight span across the spring jump: Sat 9 Mar 22:00 EST → Sun 04:00 EDT, 5 real hours.
    ["America/New_York", "2nd Sat 22:00-04:00", utc(2024, 3, 10, 2, 59, 59), false, "Sat 21:59:59 EST"],
    ["America/New_York", "2nd Sat 22:00-04:00", utc(2024, 3, 10, 3), true, "Sat 22:00 EST"],
    ["America/New_York", "2nd Sat 22:00-04:00", utc(2024, 3, 10, 7, 59, 59), true, "Sun 03:59:59 EDT"],
    ["America/New_York", "2nd Sat 22:00-04:00", utc(2024, 3, 10, 8), false, "Sun 04:00 EDT"],
    // New York fall (first Sunday of November): 01:00-02:00 is open for two real hours.
    ["America/New_York", "first Sun 01:00-02:00", utc(2024, 11, 3, 5), true, "01:00 EDT (first time)"],
    ["America/New_York", "first Sun 01:00-02:00", utc(2024, 11, 3, 6, 30), true, "01:30 EST (second time)"],
    ["America/New_York", "first Sun 01:00-02:00", utc(2024, 11, 3, 7), false, "02:00 EST"],
    ["America/New_York", "2024-11-02..2024-11-03", utc(2024, 11, 2, 4), true, "2 Nov 00:00 EDT"],
    ["America/New_York", "2024-11-02..2024-11-03", utc(2024, 11, 4, 4, 59, 59), true, "3 Nov 23:59:59 EST"],
    ["America/New_York", "2024-11-02..2024-11-03", utc(2024, 11, 4, 5), false, "4 Nov 00:00 EST"],
    // Sydney fall (first Sunday of April): the repeated hour is inside both times.
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 4, 6, 14, 59, 59), false, "01:59:59 AEDT"],
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 4, 6, 15), true, "02:00 AEDT (first time)"],
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 4, 6, 16, 30), true, "02:30 AEST (second time)"],
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 4, 6, 17), false, "03:00 AEST"],
    // Sydney spring (first Sunday of October): the window lies in the gap and does not open.
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 10, 5, 15, 59, 59), false, "01:59:59 AEST"],
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 10, 5, 16), false, "03:00 AEDT"],
    // The local date decides: Saturday 13:00Z is already Sunday 7 Apr in Sydney.
    ["Australia/Sydney", "2024-04-07", utc(2024, 4, 6, 12, 59, 59), false, "6 Apr 23:59:59 AEDT"],
    ["Australia/Sydney", "2024-04-07", utc(2024, 4, 6, 13), true, "7 Apr 00:00 AEDT"],
    ["Australia/Sydney", "2024-04-07", utc(2024, 4, 7, 13, 59, 59), true, "7 Apr 23:59:59 AEST (a 25-hour day)"],
    ["Australia/Sydney", "2024-04-07", utc(2024, 4, 7, 14), false, "8 Apr 00:00 AEST"],
  ])("%s %p at %p → inside=%p (%s)", (tz, expr, t, inside) => {
    expect(inDeny(tz, expr, t)).toBe(inside);
  });
});

describe("nextWindowChange with calendar rules across DST", () => {
  test.each<[string, string, number, number | null, string]>([
    ["Europe/Berlin", "last Sun 02:00-05:00", utc(2024, 3, 30, 12), utc(2024, 3, 31, 1), "opens at the jump"],
    ["Europe/Berlin", "last Sun 02:00-05:00", utc(2024, 3, 31, 1), utc(2024, 3, 31, 3), "closes at 05:00 CEST"],
    ["Europe/Berlin", "last Sun 02:00-03:00", utc(2024, 3, 30, 12), utc(2024, 4, 28, 0), "skipped in March: next is 28 Apr"],
    ["Europe/Berlin", "last Sun 02:00-03:00", utc(2024, 10, 27, 0), utc(2024, 10, 27, 2), "stays open through the repeat"],
    ["Europe/Berlin", "2024-03-31", utc(2024, 3, 30, 23), utc(2024, 3, 31, 22), "a 23-hour day"],
    ["America/New_York", "2nd Sun 01:00-03:00", utc(2024, 3, 10, 6), utc(2024, 3, 10, 7), "closes at the jump"],
    ["America/New_York", "2nd Sat 22:00-04:00", utc(2024, 3, 10, 3), utc(2024, 3, 10, 8), "five real hours"],
    ["America/New_York", "first Sun 01:00-02:00", utc(2024, 11, 3, 5), utc(2024, 11, 3, 7), "two real hours"],
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 4, 6, 15), utc(2024, 4, 6, 17), "two real hours"],
    ["Australia/Sydney", "first Sun 02:00-03:00", utc(2024, 10, 5, 12), utc(2024, 11, 2, 15), "skipped in October: 3 Nov"],
    ["Australia/Sydney", "2024-04-07", utc(2024, 4, 6, 13), utc(2024, 4, 7, 14), "a 25-hour day"],
  ])("%s deny %p from %p → %p (%s)", (tz, expr, from, expected) => {
    expect(nextWindowChange(windows([expr], [], tz), from)).toBe(expected);
  });
});

/** The definition: the first minute boundary (or DST jump, which lies on one) where the decision flips. */
function bruteForceNextChange(w: WindowSet, from: number, days: number): number | null {
  const allowed = (t: number) => evaluateWindows(w, t).kind === "allowed";
  const now = allowed(from);
  for (let t = Math.floor(from / MIN) * MIN + MIN; t <= from + days * 24 * HOUR; t += MIN) if (allowed(t) !== now) return t;
  return null;
}

describe("nextWindowChange agrees with a minute-by-minute scan (calendar rules)", () => {
  const sets: [string, string[], string[], number][] = [
    ["Europe/Berlin", ["last Sun 02:00-05:00", "2024-10-26"], ["last Sat+1 01:30-02:30"], utc(2024, 3, 29, 20)],
    ["Europe/Berlin", ["last Sun 02:00-03:00"], ["* 01:00-04:00"], utc(2024, 10, 25, 20)],
    ["America/New_York", ["2nd Sun 01:15-01:45"], ["2nd Sat 22:00-04:00", "2024-03-12"], utc(2024, 3, 8, 20)],
    ["America/New_York", ["first Sun 01:00-02:00"], ["first Sat+1 00:30-03:30"], utc(2024, 11, 1, 20)],
    ["Australia/Sydney", ["2024-04-07"], ["first Sun-1 23:00-03:00"], utc(2024, 4, 4, 20)],
    ["Australia/Sydney", ["first Sun 02:00-03:00"], ["first Sat 22:00-22:00"], utc(2024, 10, 3, 20)],
  ];

  test.each(sets)("%s deny %p allow %p", (tz, deny, allow, start) => {
    const w = windows(deny, allow, tz);
    let t = start + 17_123; // not on a minute boundary
    let compared = 0;
    for (let i = 0; i < 5; i++) {
      const expected = bruteForceNextChange(w, t, 5);
      if (expected === null) break; // the scan is short; the table above covers long gaps
      expect(nextWindowChange(w, t)).toBe(expected);
      compared++;
      t = expected;
    }
    expect(compared).toBeGreaterThanOrEqual(2); // the chain really went through the transition
  });
});

/**
 * Windows are wall-clock intervals in the configured zone. These tables pin down what that means
 * around DST changes: the skipped hour never happens, the repeated hour is inside both times.
 *
 * Transitions used (2024):
 * - Europe/Berlin    spring 31 Mar 01:00Z (02:00 CET → 03:00 CEST); fall 27 Oct 01:00Z (03:00 CEST → 02:00 CET)
 * - America/New_York spring 10 Mar 07:00Z (02:00 EST → 03:00 EDT); fall  3 Nov 06:00Z (02:00 EDT → 01:00 EST)
 * - Australia/Sydney fall    6 Apr 16:00Z (03:00 AEDT → 02:00 AEST, Sun 7 Apr local);
 *                    spring   5 Oct 16:00Z (02:00 AEST → 03:00 AEDT, Sun 6 Oct local)
 */
import { describe, expect, test } from "bun:test";
import {
  evaluateWindows,
  nextWindowChange,
  parseWindows,
  type WindowDecision,
  type WindowSet,
} from "../../../src/windows/index.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function windows(deny: string[], allow: string[], timezone: string): WindowSet {
  const r = parseWindows({ deny, allow, timezone });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.windows;
}

const inDeny = (tz: string, expr: string, t: number) => evaluateWindows(windows([expr], [], tz), t).kind === "denied";
/** Date.UTC with 1-based months, for readable tables. */
const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s);

describe("evaluateWindows at DST transitions", () => {
  test.each<[string, string, number, boolean, string]>([
    // Berlin, spring forward: Sunday 02:00-03:00 does not exist, so the window never opens that day.
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 3, 31, 0, 59, 59), false, "01:59:59 CET"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 3, 31, 1), false, "03:00 CEST, right after the gap"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 4, 7, 0), true, "the next Sunday it opens at 02:00 CEST"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 3, 31, 0, 30), true, "01:30 CET"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 3, 31, 0, 59, 59), true, "01:59:59 CET"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 3, 31, 1), false, "03:00 CEST: window cut short by the gap"],
    ["Europe/Berlin", "Sun 02:30-04:00", utc(2024, 3, 31, 1), true, "03:00 CEST: overlapping window opens at the jump"],
    // Berlin, fall back: 02:00-03:00 happens twice and is inside both times.
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 26, 23, 59, 59), false, "01:59:59 CEST"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 27, 0), true, "02:00 CEST (first time)"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 27, 0, 59, 59), true, "02:59:59 CEST"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 27, 1), true, "02:00 CET (second time)"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 27, 1, 59, 59), true, "02:59:59 CET"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 27, 2), false, "03:00 CET"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 10, 27, 0, 30), false, "02:30 CEST"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 10, 27, 1), true, "02:00 CET: back inside after the jump"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 10, 27, 1, 30), false, "02:30 CET"],
    // New York, spring forward: 02:00-03:00 does not exist.
    ["America/New_York", "Sun 02:00-03:00", utc(2024, 3, 10, 6, 59, 59), false, "01:59:59 EST"],
    ["America/New_York", "Sun 02:00-03:00", utc(2024, 3, 10, 7), false, "03:00 EDT"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 3, 10, 6, 59, 59), true, "01:59:59 EST"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 3, 10, 7), false, "03:00 EDT"],
    // New York, fall back: the repeated hour is 01:00-02:00.
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 11, 3, 4, 59, 59), false, "00:59:59 EDT"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 11, 3, 5), true, "01:00 EDT (first time)"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 11, 3, 5, 59, 59), true, "01:59:59 EDT"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 11, 3, 6), true, "01:00 EST (second time)"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 11, 3, 6, 59, 59), true, "01:59:59 EST"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 11, 3, 7), false, "02:00 EST"],
    ["America/New_York", "Sun 02:00-03:00", utc(2024, 11, 3, 6, 59, 59), false, "01:59:59 EST"],
    ["America/New_York", "Sun 02:00-03:00", utc(2024, 11, 3, 7), true, "02:00 EST: only one real hour"],
    ["America/New_York", "Sun 02:00-03:00", utc(2024, 11, 3, 8), false, "03:00 EST"],
    // Sydney (southern hemisphere): DST ends in April, starts in October.
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 4, 6, 14, 59, 59), false, "01:59:59 AEDT"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 4, 6, 15), true, "02:00 AEDT (first time)"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 4, 6, 16), true, "02:00 AEST (second time)"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 4, 6, 16, 59, 59), true, "02:59:59 AEST"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 4, 6, 17), false, "03:00 AEST"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 10, 5, 15, 59, 59), false, "01:59:59 AEST"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 10, 5, 16), false, "03:00 AEDT, right after the gap"],
    // The weekday is the local one: Saturday 16:00Z is already Sunday in Sydney.
    ["Australia/Sydney", "Sat 00:00-24:00", utc(2024, 10, 5, 13, 59, 59), true, "Sat 23:59:59 AEST"],
    ["Australia/Sydney", "Sat 00:00-24:00", utc(2024, 10, 5, 14), false, "Sun 00:00 AEST"],
  ])("%s %p at %p → inside=%p (%s)", (tz, expr, t, inside) => {
    expect(inDeny(tz, expr, t)).toBe(inside);
  });

  test("an allow window inside the skipped hour leaves the whole spring-forward day outside_allow", () => {
    const w = windows([], ["Sun 02:00-03:00"], "Europe/Berlin");
    const day = utc(2024, 3, 30, 23); // Sun 31 Mar 00:00 CET
    for (let t = day; t < day + 23 * HOUR; t += MIN) {
      expect(evaluateWindows(w, t).kind).toBe("outside_allow");
    }
  });
});

describe("nextWindowChange across DST transitions", () => {
  test.each<[string, string, number, number | null, string]>([
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 3, 30, 12), utc(2024, 4, 7, 0), "skips the day the window does not exist"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1), "closes at the jump, 30 min early"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 3, 31, 1), utc(2024, 3, 31, 23, 30), "next opening: Monday 01:30 CEST"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 26, 23), utc(2024, 10, 27, 0), "opens at 02:00 CEST"],
    ["Europe/Berlin", "Sun 02:00-03:00", utc(2024, 10, 27, 0), utc(2024, 10, 27, 2), "stays open through the repeat"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1), "reopens at the jump back"],
    ["Europe/Berlin", "* 01:30-02:30", utc(2024, 10, 27, 1), utc(2024, 10, 27, 1, 30), "closes at 02:30 CET"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 11, 3, 5), utc(2024, 11, 3, 7), "open for two real hours"],
    ["America/New_York", "Sun 01:00-02:00", utc(2024, 3, 10, 6), utc(2024, 3, 10, 7), "closes at the jump"],
    ["America/New_York", "Sun 02:00-03:00", utc(2024, 3, 9, 12), utc(2024, 3, 17, 6), "skips the missing hour"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 4, 6, 15), utc(2024, 4, 6, 17), "open for two real hours"],
    ["Australia/Sydney", "Sun 02:00-03:00", utc(2024, 10, 5, 12), utc(2024, 10, 12, 15), "skips the missing hour"],
  ])("%s %p from %p → %p (%s)", (tz, expr, from, expected) => {
    expect(nextWindowChange(windows([expr], [], tz), from)).toBe(expected);
  });

  test("returns null when the only opening falls in a skipped hour and the next is beyond 8 days", () => {
    // Fri 12:00 Mar 29 → horizon Sat 6 Apr 12:00; the only opening before it is skipped on Mar 31.
    const w = windows([], ["Sun 02:00-02:30"], "Europe/Berlin");
    expect(nextWindowChange(w, utc(2024, 3, 29, 11))).toBeNull();
  });
});

/** The definition nextWindowChange must agree with: scan every minute boundary for 8 days. */
function bruteForceNextChange(w: WindowSet, from: number): number | null {
  const allowed = (d: WindowDecision) => d.kind === "allowed";
  const now = allowed(evaluateWindows(w, from));
  for (let t = Math.floor(from / MIN) * MIN + MIN; t <= from + 8 * DAY; t += MIN) {
    if (allowed(evaluateWindows(w, t)) !== now) return t;
  }
  return null;
}

describe("nextWindowChange agrees with a minute-by-minute scan", () => {
  const sets: [string, string[], string[]][] = [
    ["Europe/Berlin", ["* 01:30-02:30", "Sun 02:00-03:00"], ["Sat-Sun 00:00-06:00"]],
    ["America/New_York", ["Sun 01:15-01:45"], ["* 00:30-03:30"]],
    ["Australia/Sydney", ["Sun 02:00-03:00"], []],
    ["Australia/Lord_Howe", ["* 01:45-02:15"], []], // 30-minute DST shift
    ["Asia/Kathmandu", ["Mon 00:00-Tue 00:00"], ["* 22:00-02:00"]], // +05:45, no DST
  ];
  const starts = [utc(2024, 3, 29, 20), utc(2024, 10, 26, 20), utc(2024, 4, 5, 20), utc(2024, 10, 4, 20), utc(2024, 11, 2, 20)];

  test.each(sets)("%s deny %p allow %p", (tz, deny, allow) => {
    const w = windows(deny, allow, tz);
    for (const start of starts) {
      // Walk a chain of changes through the transition week, as `status` would over time.
      let t: number | null = start + 17_123; // not on a minute boundary
      for (let i = 0; i < 6 && t !== null; i++) {
        const expected = bruteForceNextChange(w, t);
        expect(nextWindowChange(w, t)).toBe(expected);
        t = expected;
      }
    }
  });
});

import { describe, expect, test } from "bun:test";
import {
  checkTimeZone,
  evaluateWindows,
  hasWindows,
  nextWindowChange,
  parseWindows,
  type WindowSet,
} from "../../../src/windows/index.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/** Sunday 2024-01-07 00:00 UTC starts the reference week. */
const WEEK_START = Date.UTC(2024, 0, 7);

/** `"Tue 22:30"` / `"Tue 22:59:59"` in the reference week (UTC) → epoch ms. */
function at(label: string): number {
  const [day = "", time = ""] = label.split(" ");
  const [h = 0, m = 0, s = 0] = time.split(":").map(Number);
  const d = DAYS.indexOf(day);
  if (d < 0) throw new Error(`bad label ${label}`);
  return WEEK_START + (((d * 24 + h) * 60 + m) * 60 + s) * 1000;
}

function windows(deny: string[], allow: string[] = [], timezone = "UTC"): WindowSet {
  const r = parseWindows({ deny, allow, timezone });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.windows;
}

describe("evaluateWindows: reference examples and edges (UTC)", () => {
  test.each<[string, string, boolean]>([
    ["Mon 00:00-Tue 00:00", "Sun 23:59:59", false],
    ["Mon 00:00-Tue 00:00", "Mon 00:00", true],
    ["Mon 00:00-Tue 00:00", "Mon 23:59:59", true],
    ["Mon 00:00-Tue 00:00", "Tue 00:00", false], // half-open
    ["Tue 22:00-23:00", "Tue 21:59:59", false],
    ["Tue 22:00-23:00", "Tue 22:00", true],
    ["Tue 22:00-23:00", "Tue 22:59:59", true],
    ["Tue 22:00-23:00", "Tue 23:00", false],
    ["Tue 22:00-23:00", "Wed 22:30", false],
    ["* 23:00-06:00", "Wed 22:59:59", false],
    ["* 23:00-06:00", "Wed 23:00", true],
    ["* 23:00-06:00", "Thu 05:59:59", true],
    ["* 23:00-06:00", "Thu 06:00", false],
    ["* 23:00-06:00", "Thu 12:00", false],
    ["* 23:00-06:00", "Sat 23:30", true],
    ["* 23:00-06:00", "Sun 05:00", true], // Saturday's night continues into Sunday
    ["* 23:00-06:00", "Sun 06:00", false],
    ["Fri 18:00-Mon 08:00", "Fri 17:59:59", false],
    ["Fri 18:00-Mon 08:00", "Fri 18:00", true],
    ["Fri 18:00-Mon 08:00", "Sat 12:00", true],
    ["Fri 18:00-Mon 08:00", "Sun 00:00", true],
    ["Fri 18:00-Mon 08:00", "Mon 07:59:59", true],
    ["Fri 18:00-Mon 08:00", "Mon 08:00", false],
    ["Fri 18:00-Mon 08:00", "Wed 12:00", false],
    ["Tue-Thu 22:00-04:00", "Tue 03:00", false],
    ["Tue-Thu 22:00-04:00", "Tue 22:00", true],
    ["Tue-Thu 22:00-04:00", "Wed 03:59:59", true],
    ["Tue-Thu 22:00-04:00", "Wed 04:00", false],
    ["Tue-Thu 22:00-04:00", "Thu 23:00", true],
    ["Tue-Thu 22:00-04:00", "Fri 03:00", true],
    ["Tue-Thu 22:00-04:00", "Fri 04:00", false],
    ["Tue-Thu 22:00-04:00", "Fri 23:00", false],
    ["Tue-Thu 22:00-04:00", "Mon 23:00", false],
    // Saturday crossing midnight wraps to Sunday.
    ["Sat 23:00-01:00", "Sat 22:59:59", false],
    ["Sat 23:00-01:00", "Sat 23:00", true],
    ["Sat 23:00-01:00", "Sun 00:30", true],
    ["Sat 23:00-01:00", "Sun 01:00", false],
    ["Fri-Mon 12:00-13:00", "Sun 12:30", true],
    ["Fri-Mon 12:00-13:00", "Tue 12:30", false],
    // 24:00 as an end time.
    ["Mon 22:00-24:00", "Mon 23:59:59", true],
    ["Mon 22:00-24:00", "Tue 00:00", false],
    ["Sat 20:00-24:00", "Sat 23:59:59", true],
    ["Sat 20:00-24:00", "Sun 00:00", false],
    ["Fri 18:00-Sun 24:00", "Sun 23:59:59", true],
    ["Fri 18:00-Sun 24:00", "Mon 00:00", false],
    // Equal times: 24 h, or the whole week with an end day.
    ["Tue 10:00-10:00", "Wed 09:59:59", true],
    ["Tue 10:00-10:00", "Wed 10:00", false],
    ["Mon 10:00-Mon 10:00", "Mon 09:59:59", true],
    ["Mon 10:00-Mon 10:00", "Thu 03:00", true],
  ])("%p contains %p: %p", (expr, label, inside) => {
    const d = evaluateWindows(windows([expr]), at(label));
    expect(d).toEqual(inside ? { kind: "denied", matchedDeny: expr } : { kind: "allowed" });
  });
});

describe("evaluateWindows: deny wins, allow restricts", () => {
  const w = windows(["  Tue 22:00-23:00 ", "* 22:30-23:30"], ["* 20:00-24:00", "Tue 21:00-22:00"]);

  test.each<[string, object]>([
    ["Tue 22:30", { kind: "denied", matchedDeny: "Tue 22:00-23:00" }], // first deny in config order, trimmed
    ["Tue 23:15", { kind: "denied", matchedDeny: "* 22:30-23:30" }],
    ["Wed 22:45", { kind: "denied", matchedDeny: "* 22:30-23:30" }], // deny wins over the open allow window
    ["Tue 21:30", { kind: "allowed", matchedAllow: "* 20:00-24:00" }], // first allow in config order
    ["Tue 23:45", { kind: "allowed", matchedAllow: "* 20:00-24:00" }],
    ["Tue 12:00", { kind: "outside_allow" }],
    ["Sun 00:00", { kind: "outside_allow" }],
  ])("at %p → %p", (label, expected) => {
    expect(evaluateWindows(w, at(label))).toEqual(expected as never);
  });

  test("without allow windows, anything not denied is allowed with no matchedAllow", () => {
    expect(evaluateWindows(windows(["Tue 22:00-23:00"]), at("Tue 12:00"))).toEqual({ kind: "allowed" });
  });

  test("with no windows at all, everything is allowed and hasWindows is false", () => {
    const w0 = windows([], []);
    expect(hasWindows(w0)).toBe(false);
    expect(evaluateWindows(w0, at("Tue 12:00"))).toEqual({ kind: "allowed" });
    expect(nextWindowChange(w0, at("Tue 12:00"))).toBeNull();
    expect(hasWindows(windows([], ["Mon 10:00-11:00"]))).toBe(true);
    expect(hasWindows(windows(["Mon 10:00-11:00"], []))).toBe(true);
  });
});

describe("parseWindows", () => {
  test("reports every problem, prefixed with its config path, deny first then allow then timezone", () => {
    const r = parseWindows({
      deny: ["Mon 10:00-11:00", "Fry 10:00-11:00"],
      allow: ["25:00-01:00", "* 01:00-02:00", "24:00-01:00"],
      timezone: "Mars/Olympus_Mons",
    });
    expect(r).toEqual({
      ok: false,
      errors: [
        'windows.deny[1]: unknown day "Fry" (expected Sun..Sat or a full name like Monday)',
        'windows.allow[0]: invalid time "25:00" (expected HH:MM, hour 0-23)',
        'windows.allow[2]: "24:00" is only allowed as an end time',
        'windows.timezone: unknown time zone "Mars/Olympus_Mons" (expected an IANA name like "Europe/Berlin", or "local")',
      ],
    });
  });

  test.each<[string, string]>([
    ["Europe/Berlin", "Europe/Berlin"],
    ["europe/berlin", "Europe/Berlin"], // Intl canonicalises case
    ["UTC", "UTC"],
    ["local", new Intl.DateTimeFormat().resolvedOptions().timeZone],
  ])("timezone %p resolves to %p", (tz, expected) => {
    expect(windows([], [], tz).timeZone).toBe(expected);
  });
});

describe("checkTimeZone", () => {
  test.each<[string, string | null]>([
    ["local", null],
    ["UTC", null],
    ["Europe/Berlin", null],
    ["America/New_York", null],
    ["Australia/Sydney", null],
    ["Mars/Olympus_Mons", 'unknown time zone "Mars/Olympus_Mons"'],
    ["Berlin", 'unknown time zone "Berlin"'],
    ["Local", 'unknown time zone "Local"'],
    ["", "time zone must not be empty"],
    ["  ", "time zone must not be empty"],
  ])("%p → %p", (tz, expected) => {
    const error = checkTimeZone(tz);
    if (expected === null) expect(error).toBeNull();
    else expect(error ?? "").toContain(expected);
  });
});

describe("nextWindowChange (UTC)", () => {
  test.each<[string[], string[], string, string | null]>([
    [["Tue 22:00-23:00"], [], "Tue 12:00", "Tue 22:00"], // the deny window starts
    [["Tue 22:00-23:00"], [], "Tue 22:00", "Tue 23:00"],
    [["Tue 22:00-23:00"], [], "Tue 22:59:59", "Tue 23:00"],
    [["Tue 22:00-23:00"], [], "Mon 22:00", "Tue 22:00"],
    // Only allowed ↔ not allowed counts: moving from one deny window into another is no change.
    [["Tue 22:00-23:00", "Tue 23:00-23:30"], [], "Tue 22:10", "Tue 23:30"],
    // Overlapping allow windows keep it allowed across the inner edge.
    [[], ["Mon 10:00-12:00", "Mon 11:00-13:00"], "Mon 10:30", "Mon 13:00"],
    [[], ["Mon 10:00-12:00", "Mon 11:00-13:00"], "Mon 09:00", "Mon 10:00"],
    // outside_allow → denied is still "not allowed"; the answer is when the allow window opens.
    [["Mon 09:00-10:30"], ["Mon 10:00-12:00"], "Mon 08:00", "Mon 10:30"],
    [["Tue 22:00-23:00"], ["* 20:00-24:00"], "Tue 21:00", "Tue 22:00"],
    [["Tue 22:00-23:00"], ["* 20:00-24:00"], "Tue 22:30", "Tue 23:00"],
    [["Tue 22:00-23:00"], ["* 20:00-24:00"], "Tue 23:30", "Wed 00:00"],
    [["Mon 10:00-Mon 10:00"], [], "Wed 00:00", null], // always denied: never changes
    [[], ["* 00:00-00:00"], "Wed 00:00", null], // always allowed
  ])("deny %p allow %p at %p → %p", (deny, allow, label, expected) => {
    const from = at(label);
    const next = nextWindowChange(windows(deny, allow), from);
    expect(next).toBe(expected === null ? null : at(expected));
  });

  test("finds the next week's opening 7 days ahead, with millisecond precision from a fractional now", () => {
    const w = windows(["Tue 22:00-22:01"]);
    expect(nextWindowChange(w, at("Tue 22:01") + 0.5)).toBe(at("Tue 22:00") + 7 * 86_400_000);
    expect(nextWindowChange(w, at("Tue 21:59:59") + 999.5)).toBe(at("Tue 22:00"));
  });
});

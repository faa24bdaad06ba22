/** `status`'s next-window line and JSON object (issue 14). */
import { describe, expect, test } from "bun:test";
import { outlookLine, windowOutlook } from "../../../src/cli/_window-outlook.ts";
import { parseWindows, type WindowSet } from "../../../src/windows/index.ts";

function windows(deny: string[], allow: string[], timezone: string): WindowSet {
  const r = parseWindows({ deny, allow, timezone });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.windows;
}

describe("windowOutlook", () => {
  test("inside a holiday freeze: when the next window opens, in the zone and in UTC", () => {
    const w = windows(["2026-12-24..2027-01-02"], ["first Sun 02:00-05:00"], "Europe/Berlin");
    const now = Date.UTC(2026, 11, 25, 12);
    const o = windowOutlook(w, now);
    expect(o).toEqual({
      timezone: "Europe/Berlin",
      open_now: false,
      next_change: "2027-01-03T01:00:00.000Z",
      next_change_local: "2027-01-03 02:00",
      horizon_days: 400,
    });
    expect(outlookLine(o!, now)).toBe("next window opens: 2027-01-03 02:00 Europe/Berlin (2027-01-03T01:00:00.000Z, in 8d 13h)");
  });

  test("inside a window: until when reboots are allowed", () => {
    const w = windows([], ["Tue-Thu 22:00-04:00"], "UTC");
    const now = Date.UTC(2024, 0, 2, 23, 30); // Tue 23:30
    expect(outlookLine(windowOutlook(w, now)!, now)).toBe("reboots allowed until: 2024-01-03 04:00 UTC (2024-01-03T04:00:00.000Z, in 4h 30m)");
  });

  test("no change within the horizon, and nothing to say without windows", () => {
    const w = windows(["2026-01-01..2030-12-31"], [], "UTC");
    const now = Date.UTC(2026, 5, 1);
    expect(outlookLine(windowOutlook(w, now)!, now)).toBe("next window opens: not within 400 days (UTC)");
    expect(windowOutlook(windows([], [], "UTC"), now)).toBeNull();
  });
});

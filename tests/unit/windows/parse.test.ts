import { describe, expect, test } from "bun:test";
import { parseExpression, type WeekInterval } from "../../../src/windows/_parse.ts";
import { checkWindowExpression } from "../../../src/windows/index.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** `"Mon 22:00"` → week minute; `"Sun+1 00:00"` (next week's Sunday) → 10080. */
function wm(label: string): number {
  const [day = "", time = ""] = label.split(" ");
  const [h = "0", m = "0"] = time.split(":");
  const d = day === "Sun+1" ? 7 : DAYS.indexOf(day);
  if (d < 0) throw new Error(`bad label ${label}`);
  return (d * 24 + Number(h)) * 60 + Number(m);
}
const iv = (from: string, to: string): WeekInterval => ({ start: wm(from), end: wm(to) });

const sorted = (ivs: readonly WeekInterval[]) => [...ivs].sort((a, b) => a.start - b.start);

function intervalsOf(expr: string): readonly WeekInterval[] {
  const r = parseExpression(expr);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(expr)} to parse: ${r.error}`);
  if (r.rule.kind !== "weekly") throw new Error(`expected ${JSON.stringify(expr)} to be a weekly rule`);
  return r.rule.intervals;
}

describe("parseExpression: valid expressions", () => {
  test.each<[string, WeekInterval[]]>([
    ["Tue 22:00-23:00", [iv("Tue 22:00", "Tue 23:00")]],
    ["Mon 00:00-Tue 00:00", [iv("Mon 00:00", "Tue 00:00")]],
    ["Fri 18:00-Mon 08:00", [iv("Fri 18:00", "Sun+1 00:00"), iv("Sun 00:00", "Mon 08:00")]],
    ["Tue-Thu 22:00-04:00", [iv("Tue 22:00", "Wed 04:00"), iv("Wed 22:00", "Thu 04:00"), iv("Thu 22:00", "Fri 04:00")]],
    // Saturday windows crossing midnight wrap to Sunday.
    ["Sat 23:00-01:00", [iv("Sat 23:00", "Sun+1 00:00"), iv("Sun 00:00", "Sun 01:00")]],
    ["Sat 22:00-Sun 02:00", [iv("Sat 22:00", "Sun+1 00:00"), iv("Sun 00:00", "Sun 02:00")]],
    // Day names: abbreviations, full names, case-insensitive, ranges wrapping the week.
    ["monday 09:00-10:00", [iv("Mon 09:00", "Mon 10:00")]],
    ["TUES 09:00-10:00", [iv("Tue 09:00", "Tue 10:00")]],
    ["Weds 09:00-10:00", [iv("Wed 09:00", "Wed 10:00")]],
    ["thur 09:00-10:00", [iv("Thu 09:00", "Thu 10:00")]],
    ["Thurs 09:00-10:00", [iv("Thu 09:00", "Thu 10:00")]],
    ["Fri-Mon 09:00-10:00", ["Sun", "Mon", "Fri", "Sat"].map((d) => iv(`${d} 09:00`, `${d} 10:00`))],
    ["Fri - Sun 09:00-10:00", ["Sun", "Fri", "Sat"].map((d) => iv(`${d} 09:00`, `${d} 10:00`))],
    ["Mon-Mon 09:00-10:00", [iv("Mon 09:00", "Mon 10:00")]],
    // Comma lists, spaces after commas, duplicates merged (sorted by day).
    ["Wed,Mon 09:00-10:00", [iv("Mon 09:00", "Mon 10:00"), iv("Wed 09:00", "Wed 10:00")]],
    ["Mon, Wed,  Mon 09:00-10:00", [iv("Mon 09:00", "Mon 10:00"), iv("Wed 09:00", "Wed 10:00")]],
    ["Mon,Tue-Wed 09:00-10:00", ["Mon", "Tue", "Wed"].map((d) => iv(`${d} 09:00`, `${d} 10:00`))],
    // Omitted day spec and "*" both mean every day.
    [
      "* 23:00-06:00",
      [
        ...["Sun", "Mon", "Tue", "Wed", "Thu", "Fri"].map((d, i) => iv(`${d} 23:00`, `${DAYS[i + 1]} 06:00`)),
        iv("Sat 23:00", "Sun+1 00:00"),
        iv("Sun 00:00", "Sun 06:00"),
      ],
    ],
    ["9:00-9:30", DAYS.map((d) => iv(`${d} 09:00`, `${d} 09:30`))],
    // Whitespace around "-", surrounding whitespace, tabs.
    ["  Mon 10:00 - 12:00\t", [iv("Mon 10:00", "Mon 12:00")]],
    ["Fri 18:00 - Mon 08:00", [iv("Fri 18:00", "Sun+1 00:00"), iv("Sun 00:00", "Mon 08:00")]],
    // Equal times: 24 h without an end day, the whole week with one.
    ["Tue 10:00-10:00", [iv("Tue 10:00", "Wed 10:00")]],
    ["Mon 10:00-Mon 10:00", [iv("Mon 10:00", "Sun+1 00:00"), iv("Sun 00:00", "Mon 10:00")]],
    ["Sun 00:00-Sun 00:00", [iv("Sun 00:00", "Sun+1 00:00")]],
    // 24:00 as an end time means the end of that day.
    ["Mon 22:00-24:00", [iv("Mon 22:00", "Tue 00:00")]],
    ["Mon 00:00-24:00", [iv("Mon 00:00", "Tue 00:00")]],
    ["Sat 20:00-24:00", [iv("Sat 20:00", "Sun+1 00:00")]],
    ["Fri 18:00-Sun 24:00", [iv("Fri 18:00", "Sun+1 00:00"), iv("Sun 00:00", "Mon 00:00")]],
    ["Mon 00:00-Sun 24:00", [iv("Mon 00:00", "Sun+1 00:00"), iv("Sun 00:00", "Mon 00:00")]],
    // End day before the start day moves into the next week.
    ["Wed 12:00-Tue 12:00", [iv("Wed 12:00", "Sun+1 00:00"), iv("Sun 00:00", "Tue 12:00")]],
  ])("%p parses to the expected week intervals", (expr, expected) => {
    expect(sorted(intervalsOf(expr))).toEqual(sorted(expected));
    expect(checkWindowExpression(expr)).toBeNull();
  });
});

describe("checkWindowExpression: invalid expressions name the offending token", () => {
  test.each<[string, string]>([
    ["", "empty expression"],
    ["   ", "empty expression"],
    ["Mon", 'missing time in "Mon"'],
    ["Mon 10-12", 'missing time in "Mon 10-12"'],
    ["Mon 10:00", 'missing "-" after the start time in "Mon 10:00"'],
    ["Mon 10:00 12:00", 'missing "-"'],
    ["10:00-", 'empty end in "10:00-"'],
    ["Fry 10:00-11:00", 'unknown day "Fry"'],
    ["Mon,Fry 10:00-11:00", 'unknown day "Fry"'],
    ["Mon-Fry 10:00-11:00", 'unknown day "Fry"'],
    ["Mon Tue 10:00-11:00", 'unknown day "Mon Tue" (expected Sun..Sat or a full name like Monday; separate days with commas)'],
    ["25:00-01:00", 'invalid time "25:00" (expected HH:MM, hour 0-23)'],
    ["01:00-25:00", 'invalid time "25:00" (expected HH:MM, hour 0-23, or 24:00)'],
    ["10:60-11:00", 'invalid time "10:60" (expected HH:MM, minute 0-59)'],
    ["10am-11:00", 'missing "-" after the start time in "10am-11:00"'],
    ["10am-11:00 ", 'missing "-" after the start time'],
    ["Mon 10am-11am", 'missing time in "Mon 10am-11am"'],
    ["10:00-11am", 'invalid time "11am" (expected HH:MM or 24:00)'],
    ["ab:cd-10:00", 'invalid time "ab:cd" (expected HH:MM)'],
    ["10:00:00-11:00", 'invalid time "10:00:00" (expected HH:MM; seconds are not supported)'],
    ["-1:00-02:00", 'invalid time "-1:00"'],
    ["24:00-01:00", '"24:00" is only allowed as an end time'],
    ["Mon 24:00-Tue 01:00", '"24:00" is only allowed as an end time'],
    ["10:00-24:30", 'invalid time "24:30" (expected HH:MM, hour 0-23, or 24:00)'],
    ["*,Mon 10:00-11:00", '"*" must stand alone, not in a day list ("*,Mon")'],
    ["Mon,,Tue 10:00-11:00", 'empty day in day list "Mon,,Tue"'],
    ["Mon, 10:00-11:00", 'empty day in day list "Mon,"'],
    ["Mon-Tue-Wed 10:00-11:00", 'invalid day range "Mon-Tue-Wed"'],
    ["Mon- 10:00-11:00", 'invalid day range "Mon-" (missing a day on one side of "-")'],
    ["10:00 11:00-12:00", 'unexpected extra time in "10:00"'],
    ["Mon 10:00-Tue-Wed 11:00", 'the end day must be a single day, got "Tue-Wed"'],
    ["Mon 10:00-Tue,Wed 11:00", 'the end day must be a single day, got "Tue,Wed"'],
    ["Mon 10:00-* 11:00", 'the end day must be a single day, not "*"'],
    ["Mon 10:00-Tues 11:00 12:00", 'unexpected extra time in "Tues 11:00"'],
    ["10:00-Mon 11:00", 'an end day ("Mon") needs exactly one start day, got none (every day)'],
    ["Mon,Tue 10:00-Wed 11:00", 'an end day ("Wed") needs exactly one start day, got "Mon,Tue"'],
    ["Mon 10:00-12:00-13:00", 'invalid time "12:00-13:00"'],
    ["Mon 10:00-Fry 11:00", 'unknown day "Fry"'],
  ])("%p is rejected", (expr, message) => {
    const error = checkWindowExpression(expr);
    expect(error).not.toBeNull();
    expect(error ?? "").toContain(message);
  });
});

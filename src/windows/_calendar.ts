/**
 * Calendar rules (issue 14), beside the weekly grammar of `_parse.ts`:
 *
 *   dates   := date | date ".." date         whole local days, both ends included
 *   date    := YYYY "-" MM "-" DD            a real calendar date (2026-02-30 is an error)
 *   monthly := ordinal WS day [shift] WS time "-" time
 *   ordinal := first | second | third | fourth | fifth | last | 1st | 2nd | 3rd | 4th | 5th
 *   shift   := ("+" | "-") N                 N = 1…28 days after/before that weekday
 *
 * `2nd Tue+1 22:00-04:00` is "the day after Patch Tuesday, 22:00 to 04:00 the next morning". A
 * monthly span belongs to the day it starts: when the end is not after the start it ends the next
 * day (equal times: 24 hours), exactly like a weekly window without an end day. Months without a
 * fifth such weekday have no window that month.
 *
 * Everything is evaluated on the *local day number*: days since 1970-01-01 on the wall clock of the
 * configured zone. The civil-date arithmetic is done here (proleptic Gregorian, H. Hinnant's
 * algorithms) instead of through Date, so it is exact for any day number and never throws.
 */
import { fail, MINUTES_PER_DAY, parseTime, type Warn } from "./_time.ts";

export type CalendarRule =
  | { kind: "dates"; fromDay: number; toDay: number } // local day numbers, inclusive
  | {
      kind: "monthly";
      nth: 1 | 2 | 3 | 4 | 5 | -1; // -1 = last
      weekday: number; // 0 = Sunday
      shift: number; // days added to the nth weekday
      startMinute: number;
      length: number; // 1…1440 minutes
    };

const ORDINALS: ReadonlyMap<string, 1 | 2 | 3 | 4 | 5 | -1> = new Map([
  ...(["first", "1st"] as const).map((n) => [n, 1] as const),
  ...(["second", "2nd"] as const).map((n) => [n, 2] as const),
  ...(["third", "3rd"] as const).map((n) => [n, 3] as const),
  ...(["fourth", "4th"] as const).map((n) => [n, 4] as const),
  ...(["fifth", "5th"] as const).map((n) => [n, 5] as const),
  ["last", -1] as const,
]);
const MAX_SHIFT = 28;

/** Is this a calendar rule (as opposed to the weekly grammar)? Decided by its first token only. */
export function isCalendarExpression(expr: string): boolean {
  const first = (expr.trim().split(/\s+/)[0] ?? "").toLowerCase();
  return /^\d{4}-/.test(first) || ORDINALS.has(first) || /^\d+(st|nd|rd|th)$/.test(first);
}

/** Parse a calendar rule; throws WindowSyntaxError (caught by the caller) on bad input. */
export function parseCalendar(raw: string, dayNames: ReadonlyMap<string, number>, warn: Warn): CalendarRule {
  const expr = raw.trim();
  return /^\d{4}-/.test(expr) ? parseDates(expr) : parseMonthly(expr, dayNames, warn);
}

/** Is local minute `m` (minutes since 1970-01-01 00:00 on the local wall clock) inside the rule? */
export function calendarContains(rule: CalendarRule, m: number): boolean {
  const day = Math.floor(m / MINUTES_PER_DAY);
  if (rule.kind === "dates") return rule.fromDay <= day && day <= rule.toDay;
  // A span is at most one day long, so it started today or yesterday.
  for (const start of [day, day - 1]) {
    const s = start * MINUTES_PER_DAY + rule.startMinute;
    if (s <= m && m < s + rule.length && isNthWeekday(start - rule.shift, rule.nth, rule.weekday)) return true;
  }
  return false;
}

/**
 * Minutes of the day at which the rule can open or close. Every day has them (a superset of the
 * real edges), which is all the next-change search needs: it re-evaluates at each one.
 */
export function calendarEdgeMinutes(rule: CalendarRule): number[] {
  if (rule.kind === "dates") return [0];
  return [rule.startMinute, (rule.startMinute + rule.length) % MINUTES_PER_DAY];
}

/** Local day number → civil date (month 1-12, day 1-31). */
export function civilFromDays(z: number): { year: number; month: number; day: number } {
  const zz = z + 719_468;
  const era = Math.floor(zz / 146_097);
  const doe = zz - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Civil date → local day number (inverse of civilFromDays). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

// --- internal ---

function parseDates(expr: string): CalendarRule {
  const parts = expr.split("..").map((s) => s.trim());
  if (parts.length > 2) fail(`invalid date range "${expr}" (expected YYYY-MM-DD..YYYY-MM-DD)`);
  const [first = "", second] = parts;
  const fromDay = parseDate(first, expr);
  const toDay = second === undefined ? fromDay : parseDate(second, expr);
  if (toDay < fromDay) fail(`date range "${expr}" ends before it starts`);
  return { kind: "dates", fromDay, toDay };
}

function parseDate(text: string, expr: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) {
    if (/^\d{4}-\d{1,2}-\d{1,2}\s*[-–]\s*\d{4}-/.test(text)) fail(`invalid date range "${expr}" (write the range with "..": 2026-12-24..2027-01-02)`);
    if (/^\d{4}-\d{2}-\d{2}\s+\S/.test(text)) fail(`a date covers the whole day; remove "${text.slice(10).trim()}" from "${expr}" (times go with weekly or monthly rules)`);
    fail(`invalid date "${text}" (expected YYYY-MM-DD, e.g. 2026-12-24)`);
  }
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const z = daysFromCivil(year, month, day);
  const back = civilFromDays(z);
  if (month < 1 || month > 12 || back.month !== month || back.day !== day) fail(`invalid date "${text}" (no such day)`);
  return z;
}

function parseMonthly(expr: string, dayNames: ReadonlyMap<string, number>, warn: Warn): CalendarRule {
  const colon = expr.indexOf(":");
  if (colon < 0) fail(`missing time in "${expr}" (expected e.g. "first Sun 02:00-05:00")`);
  // The weekly grammar's splitting rule: the range separator is the first "-" after the first ":".
  const dash = expr.indexOf("-", colon);
  if (dash < 0) fail(`missing "-" after the start time in "${expr}" (expected e.g. "first Sun 02:00-05:00")`);
  const startText = expr.slice(0, dash).trim();
  const endText = expr.slice(dash + 1).trim();
  if (endText === "") fail(`empty end in "${expr}" (expected a time after "-")`);
  const tokens = startText.split(/\s+/);
  const startTime = tokens.pop() ?? "";
  const head = tokens.join(" ");
  const m = /^(\S+)\s+([A-Za-z]+)(?:\s*([+-])\s*(\d+))?$/.exec(head);
  if (m === null) fail(`invalid monthly rule "${head}" (expected e.g. "first Sun" or "2nd Tue+1")`);
  const [, ordText = "", dayText = "", sign, shiftText] = m;
  const nth = ORDINALS.get(ordText.toLowerCase());
  if (nth === undefined) fail(`unknown ordinal "${ordText}" (expected first..fifth, 1st..5th or last)`);
  const weekday = dayNames.get(dayText.toLowerCase());
  if (weekday === undefined) fail(`unknown day "${dayText}" in "${head}" (a monthly rule names one day, Sun..Sat)`);
  let shift = 0;
  if (shiftText !== undefined) {
    shift = Number(shiftText);
    if (!(shift >= 1 && shift <= MAX_SHIFT)) fail(`day shift "${sign}${shiftText}" out of range (1-${MAX_SHIFT} days)`);
    if (sign === "-") shift = -shift;
  }
  const startMinute = parseTime(startTime, "start", warn);
  if (/\s/.test(endText)) fail(`a monthly rule has no end day: "${endText}" (spans past midnight end the next morning, e.g. "2nd Tue+1 22:00-04:00")`);
  const endMinute = parseTime(endText, "end", warn);
  // Same-day end unless end ≤ start: then it ends the next day (equal times: 24 hours).
  const length = endMinute > startMinute ? endMinute - startMinute : endMinute - startMinute + MINUTES_PER_DAY;
  return { kind: "monthly", nth, weekday, shift, startMinute, length };
}

/** Is local day `z` the nth (or last, -1) `weekday` of its month? */
function isNthWeekday(z: number, nth: number, weekday: number): boolean {
  if (mod7(z + 4) !== weekday) return false; // 1970-01-01 was a Thursday
  const { year, month, day } = civilFromDays(z);
  if (nth > 0) return Math.ceil(day / 7) === nth;
  return day + 7 > daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  return month === 12 ? 31 : daysFromCivil(year, month + 1, 1) - daysFromCivil(year, month, 1);
}

function mod7(n: number): number {
  return ((n % 7) + 7) % 7;
}

/**
 * Parser for one maintenance-window expression, plus W21's `24:00` end time
 * (docs/WEAKNESSES.md §Compatibility: maintenance windows).
 *
 *   expr    := start "-" end             whitespace around "-" allowed
 *   start   := [dayspec WS] time         dayspec omitted = "*" (every day)
 *   end     := [day WS] time             end day optional
 *   time    := H ":" MM                  hour 0-23, minute 0-59; "24:00" only as an end time;
 *                                        each side read as Go's Atoi does (`_time.ts`)
 *   dayspec := "*" | item ("," item)*    "*" stands alone; duplicates are merged
 *   item    := day | day "-" day         ranges wrap the week: Fri-Mon = Fri,Sat,Sun,Mon
 *
 * Splitting rule (kept from the Go daemon so existing configs mean the same thing): the range
 * separator is the first "-" *after* the first ":". That is what lets day ranges (`Tue-Thu`) sit
 * in front of the start time without being mistaken for the separator.
 *
 * The result is a list of half-open intervals in *week minutes*: minutes since Sunday 00:00 of
 * the wall clock, 0 ≤ start < end ≤ MINUTES_PER_WEEK. Intervals that cross the week end are
 * split in two, so evaluation never has to think about wrapping.
 *
 * Calendar rules (dates, date ranges, "first Sun …") are recognised by their first token and
 * parsed in `_calendar.ts`; times of day (Go-compatible) in `_time.ts`.
 */
import { isCalendarExpression, parseCalendar, type CalendarRule } from "./_calendar.ts";
import { fail, MINUTES_PER_DAY, parseTime, WindowSyntaxError, type Warn } from "./_time.ts";

export { MINUTES_PER_DAY };
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** Half-open `[start, end)` in week minutes, never wrapping (see file comment). */
export interface WeekInterval {
  readonly start: number;
  readonly end: number;
}

/** One parsed expression: weekly intervals (non-empty), or a calendar rule. */
export type WindowRule = { kind: "weekly"; intervals: readonly WeekInterval[] } | CalendarRule;

export type ExpressionResult =
  | { ok: true; rule: WindowRule; warnings: string[] } // warnings: accepted but non-canonical spellings
  | { ok: false; error: string }; // operator-facing message naming the offending token

/** Parse one expression; never throws, whatever the input. */
export function parseExpression(raw: string): ExpressionResult {
  const warnings: string[] = [];
  const warn: Warn = (w) => warnings.push(w);
  try {
    const rule: WindowRule = isCalendarExpression(raw)
      ? parseCalendar(raw, DAY_NAMES, warn)
      : { kind: "weekly", intervals: toIntervals(splitExpression(raw, warn)) };
    return { ok: true, rule, warnings };
  } catch (err) {
    if (err instanceof WindowSyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

// --- internal ---

interface Split {
  startDays: readonly number[]; // 0 = Sunday … 6 = Saturday, sorted, unique
  startMinute: number; // 0 … 1439
  endDay: number | null; // explicit end day, or null when omitted
  endMinute: number; // 0 … 1440 (1440 = "24:00")
}

const DAY_NAMES: ReadonlyMap<string, number> = new Map([
  ...["sun", "sunday"].map((n) => [n, 0] as const),
  ...["mon", "monday"].map((n) => [n, 1] as const),
  ...["tue", "tues", "tuesday"].map((n) => [n, 2] as const),
  ...["wed", "weds", "wednesday"].map((n) => [n, 3] as const),
  ...["thu", "thur", "thurs", "thursday"].map((n) => [n, 4] as const),
  ...["fri", "friday"].map((n) => [n, 5] as const),
  ...["sat", "saturday"].map((n) => [n, 6] as const),
]);

function splitExpression(raw: string, warn: Warn): Split {
  const expr = raw.trim();
  if (expr === "") fail("empty expression");
  const colon = expr.indexOf(":");
  if (colon < 0) fail(`missing time in "${expr}" (expected HH:MM, e.g. "Mon 22:00-06:00")`);
  const dash = expr.indexOf("-", colon);
  if (dash < 0) fail(`missing "-" after the start time in "${expr}" (expected e.g. "Mon 22:00-06:00")`);
  // Never empty: it contains the colon.
  const startText = expr.slice(0, dash).trim();
  const endText = expr.slice(dash + 1).trim();
  if (endText === "") fail(`empty end in "${expr}" (expected a time after "-")`);

  // Checked left to right, so the reported problem is the first one a reader meets.
  const start = splitSide(startText);
  const startDays = start.days === null ? [0, 1, 2, 3, 4, 5, 6] : parseDaySpec(start.days);
  const startMinute = parseTime(start.time, "start", warn);
  const end = splitSide(endText);
  let endDay: number | null = null;
  if (end.days !== null) {
    if (end.days === "*") fail(`the end day must be a single day, not "*"`);
    const days = parseDaySpec(end.days);
    if (days.length !== 1) fail(`the end day must be a single day, got "${end.days}"`);
    if (startDays.length !== 1) {
      const got = start.days === null ? "none (every day)" : `"${start.days}"`;
      fail(`an end day ("${end.days}") needs exactly one start day, got ${got}`);
    }
    endDay = days[0] ?? null;
  }
  const endMinute = parseTime(end.time, "end", warn);
  return { startDays, startMinute, endDay, endMinute };
}

/** `"Mon, Tue 22:00"` → days `"Mon, Tue"`, time `"22:00"`; days null when only a time is given. */
function splitSide(text: string): { days: string | null; time: string } {
  const tokens = text.split(/\s+/);
  const time = tokens.pop() ?? "";
  const days = tokens.join(" ");
  if (days.includes(":")) fail(`unexpected extra time in "${days}" (one time per side)`);
  return { days: days === "" ? null : days, time };
}

/** `"*"`, `"Mon"`, `"Mon,Wed-Fri"`, `"Fri - Mon"` → sorted unique day numbers. */
function parseDaySpec(spec: string): number[] {
  const trimmed = spec.trim();
  if (trimmed === "*") return [0, 1, 2, 3, 4, 5, 6];
  const items = trimmed.split(",").map((s) => s.trim());
  const days = new Set<number>();
  for (const item of items) {
    if (item === "") fail(`empty day in day list "${trimmed}"`);
    if (item === "*") fail(`"*" must stand alone, not in a day list ("${trimmed}")`);
    for (const d of parseDayItem(item)) days.add(d);
  }
  return [...days].sort((a, b) => a - b);
}

function parseDayItem(item: string): number[] {
  const parts = item.split("-").map((s) => s.trim());
  if (parts.length > 2) fail(`invalid day range "${item}" (expected e.g. "Mon-Fri")`);
  const [first = "", last] = parts;
  const from = parseDay(first, item);
  if (last === undefined) return [from];
  const to = parseDay(last, item);
  const out: number[] = [];
  // Walk forward and wrap at Saturday, so Fri-Mon covers the weekend.
  for (let d = from; ; d = (d + 1) % 7) {
    out.push(d);
    if (d === to) return out;
  }
}

function parseDay(name: string, context: string): number {
  if (name === "") fail(`invalid day range "${context}" (missing a day on one side of "-")`);
  const day = DAY_NAMES.get(name.toLowerCase());
  if (day !== undefined) return day;
  const hint = /\s/.test(name) ? "; separate days with commas" : "";
  return fail(`unknown day "${name}" (expected Sun..Sat or a full name like Monday${hint})`);
}

/**
 * The split form as non-wrapping week intervals
 * (docs/WEAKNESSES.md §Compatibility: maintenance windows).
 */
function toIntervals(s: Split): WeekInterval[] {
  if (s.endDay !== null) {
    const startDay = s.startDays[0] ?? 0;
    const start = startDay * MINUTES_PER_DAY + s.startMinute;
    let end = s.endDay * MINUTES_PER_DAY + s.endMinute;
    // Move the end forward by whole weeks until it lies after the start (equal → whole week).
    while (end <= start) end += MINUTES_PER_WEEK;
    return wrapWeek(start, end);
  }
  // Same-day end unless end ≤ start, which crosses midnight; equal times mean a full 24 h.
  const length =
    s.endMinute > s.startMinute ? s.endMinute - s.startMinute : s.endMinute - s.startMinute + MINUTES_PER_DAY;
  return s.startDays.flatMap((d) => {
    const start = d * MINUTES_PER_DAY + s.startMinute;
    return wrapWeek(start, start + length);
  });
}

/** Split `[start, end)` (start < week, end ≤ start + week) at the week boundary. */
function wrapWeek(start: number, end: number): WeekInterval[] {
  if (end <= MINUTES_PER_WEEK) return [{ start, end }];
  const pieces: WeekInterval[] = [{ start, end: MINUTES_PER_WEEK }];
  const rest = end - MINUTES_PER_WEEK;
  if (rest > 0) pieces.push({ start: 0, end: rest });
  return pieces;
}

/**
 * Times of day (`HH:MM`) and the syntax-error plumbing shared by the weekly and calendar parsers.
 *
 * Go compatibility (issue 13): the Go daemon split a time at ":" and read each side as a signed
 * decimal integer (optional `+`/`-`, then one or more ASCII digits, leading zeros allowed), then
 * range-checked it. So `1:5`, `01:0`, `001:00`, `+1:00` and even `-0:00` were valid there, and an
 * existing config must mean the same thing here. We accept exactly that set and nothing more:
 * empty sides, spaces, underscores, non-ASCII digits, more than one ":" and out-of-range values
 * are errors. Forms outside the documented `H:MM`/`HH:MM` produce a warning with the canonical
 * spelling, so operators can tidy their config without it breaking.
 */

export const MINUTES_PER_DAY = 24 * 60;

/** Internal control flow only: every syntax error is caught at the parser's front door. */
export class WindowSyntaxError extends Error {}

export function fail(message: string): never {
  throw new WindowSyntaxError(message);
}

/** Collects warnings while one expression is parsed. */
export type Warn = (message: string) => void;

/**
 * Minute of the day (0…1439, or 1440 for an end time of `24:00`). `side` decides whether 24:00
 * is allowed and how messages read.
 */
export function parseTime(token: string, side: "start" | "end", warn: Warn): number {
  const orEnd = side === "end" ? ", or 24:00" : "";
  const parts = token.split(":");
  const fields = parts.map(goAtoi);
  if (parts.length === 3 && fields.every((f) => f !== null)) {
    fail(`invalid time "${token}" (expected HH:MM; seconds are not supported)`);
  }
  const [hour, minute] = fields;
  if (parts.length !== 2 || hour === null || minute === null || hour === undefined || minute === undefined) {
    fail(`invalid time "${token}" (expected HH:MM${side === "end" ? " or 24:00" : ""})`);
  }
  let value: number;
  if (hour === 24 && minute === 0) {
    if (side === "start") fail(`"24:00" is only allowed as an end time`);
    value = MINUTES_PER_DAY; // the end of that day
  } else {
    if (hour < 0 || hour > 23) fail(`invalid time "${token}" (expected HH:MM, hour 0-23${orEnd})`);
    if (minute < 0 || minute > 59) fail(`invalid time "${token}" (expected HH:MM, minute 0-59)`);
    value = hour * 60 + minute;
  }
  if (!/^\d{1,2}:\d{2}$/.test(token)) {
    const canonical = formatTime(value);
    warn(`time "${token}" is read as "${canonical}" (accepted for Go compatibility; write "${canonical}")`);
  }
  return value;
}

/** `65` → `"01:05"`, `1440` → `"24:00"`. */
export function formatTime(minuteOfDay: number): string {
  const h = Math.floor(minuteOfDay / 60);
  const m = minuteOfDay % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/**
 * Go's `strconv.Atoi` on one side of the ":": the value, or null where Go reports a syntax error.
 * Values too large for Go's int come back as Infinity (Go: range error), which every range check
 * rejects, so the exact size does not matter.
 */
function goAtoi(s: string): number | null {
  const m = /^([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return null;
  const digits = (m[2] ?? "").replace(/^0+(?=[0-9])/, "");
  const magnitude = digits.length > 6 ? Infinity : Number(digits);
  if (magnitude === 0) return 0; // "-0" is 0, not -0
  return m[1] === "-" ? -magnitude : magnitude;
}

/**
 * Wall-clock time in a named zone, via Intl (no tz database of our own to keep current).
 *
 * Everything here works with the *week position*: milliseconds since Sunday 00:00 of the local
 * wall clock. We only ask Intl for weekday/hour/minute/second, never the year, because that is
 * all windows need and it sidesteps era/negative-year formatting at the edges of the Date range.
 */

export const MS_PER_MINUTE = 60_000;
export const MS_PER_DAY = 24 * 60 * MS_PER_MINUTE;
export const MS_PER_WEEK = 7 * MS_PER_DAY;
/** The Unix epoch (1970-01-01) was a Thursday: add this to epoch ms to count from a Sunday. */
const EPOCH_TO_SUNDAY_MS = 4 * MS_PER_DAY;

const WEEKDAYS: ReadonlyMap<string, number> = new Map(
  ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].map((d, i) => [d, i] as const),
);

/** Zone name → formatter. Building a DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Error message for an unusable zone, or null. `local` means the process's zone (TZ); otherwise
 * anything Intl accepts (IANA names such as `Europe/Berlin`, `UTC`).
 */
export function checkZone(tz: string): string | null {
  if (tz.trim() === "") return `time zone must not be empty (use an IANA name like "Europe/Berlin" or "local")`;
  if (tz === "local") return null;
  try {
    formatterFor(tz);
    return null;
  } catch (err) {
    if (err instanceof RangeError) {
      return `unknown time zone "${tz}" (expected an IANA name like "Europe/Berlin", or "local")`;
    }
    throw err;
  }
}

/**
 * The canonical zone name for a checked zone. `local` is resolved once, here, so a parsed
 * window set keeps meaning the zone the process had when the config was loaded.
 */
export function resolveZone(tz: string): string {
  if (tz === "local") return new Intl.DateTimeFormat().resolvedOptions().timeZone;
  return formatterFor(tz).resolvedOptions().timeZone;
}

/**
 * Milliseconds since Sunday 00:00 on the wall clock of `zone` at instant `epochMs`, in
 * [0, MS_PER_WEEK). Throws RangeError for an instant outside the Date range (a caller bug).
 */
export function localWeekPosition(zone: string, epochMs: number): number {
  let weekday = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(zone).formatToParts(epochMs)) {
    if (part.type === "weekday") weekday = WEEKDAYS.get(part.value) ?? -1;
    else if (part.type === "hour") hour = Number(part.value) % 24; // some engines say "24" at midnight
    else if (part.type === "minute") minute = Number(part.value);
    else if (part.type === "second") second = Number(part.value);
  }
  if (weekday < 0) throw new Error(`windows: Intl returned no usable weekday for ${epochMs} in ${zone}`);
  // Intl has no sub-second offsets, so the instant's own milliseconds carry over unchanged.
  const millis = mod(epochMs, 1000);
  return (((weekday * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millis;
}

/**
 * UTC offset of `zone` at `epochMs` in ms (local = utc + offset). Derived from week positions:
 * real offsets are within ±1 day, so the difference modulo a week is unambiguous.
 */
export function offsetAt(zone: string, epochMs: number): number {
  const diff = mod(localWeekPosition(zone, epochMs) - utcWeekPosition(epochMs), MS_PER_WEEK);
  return diff >= MS_PER_WEEK / 2 ? diff - MS_PER_WEEK : diff;
}

/**
 * Minutes since 1970-01-01 00:00 on the wall clock of `zone` at `epochMs` (the coordinate every
 * rule is evaluated on). Pure arithmetic past the one Intl call, so it never overflows a Date.
 */
export function localMinuteAt(zone: string, epochMs: number): number {
  return Math.floor((epochMs + offsetAt(zone, epochMs)) / MS_PER_MINUTE);
}

/** Week position of a "local epoch" value (utc + offset), i.e. ms since a Sunday 00:00. */
export function weekPositionOfLocal(localMs: number): number {
  return mod(localMs + EPOCH_TO_SUNDAY_MS, MS_PER_WEEK);
}

export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

// --- internal ---

function utcWeekPosition(epochMs: number): number {
  return weekPositionOfLocal(epochMs);
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    // en-US with hourCycle h23 gives stable English weekday names and hours 0-23.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      weekday: "short",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

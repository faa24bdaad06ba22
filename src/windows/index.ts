/**
 * Maintenance windows: when may this node reboot? Pure functions over a parsed `WindowSet`.
 *
 * Semantics (docs/WEAKNESSES.md §Compatibility: maintenance windows; W21 adds `timezone` and `24:00`):
 *
 * - A window expression denotes a set of **wall-clock intervals** in a week, half-open
 *   `[start, end)` at minute resolution (grammar: `_parse.ts`).
 * - An instant is inside a window when its **local wall-clock time in the configured zone**
 *   (weekday, hour, minute) falls in one of those intervals. The zone is an IANA name or `local`
 *   (the process's zone, resolved once when parsing).
 * - Consequences at DST changes, which follow from that rule and are intended:
 *   - spring forward: wall-clock times that do not exist that day (Berlin `Sun 02:00-03:00` on
 *     the last Sunday of March) are never "now", so a window lying wholly inside the gap does
 *     not open that day, and one overlapping it is shorter by the gap;
 *   - fall back: wall-clock times that happen twice are inside the window **both** times, so
 *     `Sun 02:00-03:00` on the fall-back day is open for two real hours.
 * - Decision: any deny window open → `denied` (first match in config order; deny always wins).
 *   Otherwise, if allow windows exist, `allowed` only when one is open, else `outside_allow`.
 *   No allow windows → `allowed`.
 */
import { parseExpression, type WeekInterval } from "./_parse.ts";
import { checkZone, localWeekPosition, MS_PER_MINUTE, resolveZone } from "./_zone.ts";
import { nextDecisionChange } from "./_next.ts";

export type WindowDecision =
  | { kind: "allowed"; matchedAllow?: string } // no deny matched; allow matched (or none configured)
  | { kind: "denied"; matchedDeny: string } // inside a deny window (first match in config order)
  | { kind: "outside_allow" }; // allow windows configured, none open

/** One expression as configured, with its week intervals. */
export interface ParsedWindow {
  /** The expression as written (trimmed), for messages like `blocked by deny window "<expr>"`. */
  readonly expr: string;
  readonly intervals: readonly WeekInterval[];
}

/**
 * Parsed windows. Treat as opaque; only `timeZone` (the resolved IANA zone, e.g. for status
 * output) is meant to be read outside this folder.
 */
export interface WindowSet {
  readonly timeZone: string;
  readonly deny: readonly ParsedWindow[];
  readonly allow: readonly ParsedWindow[];
}

/**
 * Parse and validate the windows config. Collects **all** problems (not just the first), each
 * prefixed with its config path (`windows.deny[0]: …`, `windows.allow[2]: …`,
 * `windows.timezone: …`) so the config loader can report them in one go. Never throws.
 */
export function parseWindows(input: {
  deny: readonly string[];
  allow: readonly string[];
  timezone: string;
}): { ok: true; windows: WindowSet } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const parseList = (list: readonly string[], key: "deny" | "allow"): ParsedWindow[] =>
    list.flatMap((expr, i) => {
      const r = parseExpression(expr);
      if (r.ok) return [{ expr: expr.trim(), intervals: r.intervals }];
      errors.push(`windows.${key}[${i}]: ${r.error}`);
      return [];
    });
  const deny = parseList(input.deny, "deny");
  const allow = parseList(input.allow, "allow");
  const zoneError = checkZone(input.timezone);
  if (zoneError !== null) errors.push(`windows.timezone: ${zoneError}`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, windows: { timeZone: resolveZone(input.timezone), deny, allow } };
}

/**
 * The decision at instant `nowMs` (epoch ms). Throws only for an instant outside the Date range,
 * which is a caller bug.
 */
export function evaluateWindows(w: WindowSet, nowMs: number): WindowDecision {
  if (!hasWindows(w)) return { kind: "allowed" }; // skip the Intl call: nothing to look up
  return decisionAtMinute(w, Math.floor(localWeekPosition(w.timeZone, nowMs) / MS_PER_MINUTE));
}

/**
 * The next instant (epoch ms, > nowMs) at which the decision flips between allowed and not
 * allowed (`denied` and `outside_allow` both count as not allowed), looking up to 8 days ahead;
 * null when it does not flip within that horizon (including when no windows are configured).
 * For "window opens in 3h12m" in `status`. Exact to the millisecond, including DST jumps.
 */
export function nextWindowChange(w: WindowSet, nowMs: number): number | null {
  if (!hasWindows(w)) return null;
  return nextDecisionChange(w.timeZone, edgesOf(w), (minute) => isAllowed(decisionAtMinute(w, minute)), nowMs);
}

/** False when neither deny nor allow windows are configured: the windows step is skipped. */
export function hasWindows(w: WindowSet): boolean {
  return w.deny.length > 0 || w.allow.length > 0;
}

/** Syntax check of one expression: the error message (without a config-path prefix) or null. */
export function checkWindowExpression(expr: string): string | null {
  const r = parseExpression(expr);
  return r.ok ? null : r.error;
}

/** Check a `windows.timezone` value: the error message or null. `local` is always fine. */
export function checkTimeZone(tz: string): string | null {
  return checkZone(tz);
}

// --- internal ---

function decisionAtMinute(w: WindowSet, minute: number): WindowDecision {
  const deny = w.deny.find((p) => contains(p, minute));
  if (deny !== undefined) return { kind: "denied", matchedDeny: deny.expr };
  if (w.allow.length === 0) return { kind: "allowed" };
  const allow = w.allow.find((p) => contains(p, minute));
  return allow === undefined ? { kind: "outside_allow" } : { kind: "allowed", matchedAllow: allow.expr };
}

function contains(p: ParsedWindow, minute: number): boolean {
  return p.intervals.some((iv) => iv.start <= minute && minute < iv.end);
}

function isAllowed(d: WindowDecision): boolean {
  return d.kind === "allowed";
}

/** Week minutes where some interval starts or ends: the only places the decision can change. */
function edgesOf(w: WindowSet): number[] {
  const edges = new Set<number>();
  for (const p of [...w.deny, ...w.allow]) {
    for (const iv of p.intervals) {
      edges.add(iv.start);
      edges.add(iv.end);
    }
  }
  return [...edges].sort((a, b) => a - b);
}

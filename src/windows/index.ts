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
 * - Calendar rules (`_calendar.ts`: dates `2026-12-24`, ranges `2026-12-24..2027-01-02`, monthly
 *   `first Sun 02:00-05:00`, `2nd Tue+1 22:00-04:00`) are read on the same wall clock: a date is
 *   every instant whose local date is that day; a monthly span starts on its day's local time and
 *   belongs to the day it starts. Every form is allowed in both lists (a deny monthly rule such
 *   as `first Mon 00:00-24:00` blocks; an allow date is a one-off maintenance day).
 * - Decision: any deny window open → `denied` (first match in config order; deny always wins).
 *   Otherwise, if allow windows exist, `allowed` only when one is open, else `outside_allow`.
 *   No allow windows → `allowed`.
 */
import { calendarContains, calendarEdgeMinutes, civilFromDays } from "./_calendar.ts";
import { MINUTES_PER_DAY, MINUTES_PER_WEEK, parseExpression, type WindowRule } from "./_parse.ts";
import { formatTime } from "./_time.ts";
import { checkZone, localMinuteAt, mod, resolveZone } from "./_zone.ts";
import { CALENDAR_HORIZON_MS, nextDecisionChange, NEXT_CHANGE_HORIZON_MS } from "./_next.ts";

export type WindowDecision =
  | { kind: "allowed"; matchedAllow?: string } // no deny matched; allow matched (or none configured)
  | { kind: "denied"; matchedDeny: string } // inside a deny window (first match in config order)
  | { kind: "outside_allow" }; // allow windows configured, none open

/** One expression as configured, with its parsed rule. */
export interface ParsedWindow {
  /** The expression as written (trimmed), for messages like `blocked by deny window "<expr>"`. */
  readonly expr: string;
  readonly rule: WindowRule;
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
      if (r.ok) return [{ expr: expr.trim(), rule: r.rule }];
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
  return decisionAtMinute(w, localMinuteAt(w.timeZone, nowMs));
}

/**
 * The next instant (epoch ms, > nowMs) at which the decision flips between allowed and not
 * allowed (`denied` and `outside_allow` both count as not allowed), looking up to 8 days ahead
 * (400 days when a calendar rule is configured, see `nextWindowHorizonMs`); null when it does not
 * flip within that horizon (including when no windows are configured). For "next window opens"
 * in `status`. Exact to the millisecond, including DST jumps.
 */
export function nextWindowChange(w: WindowSet, nowMs: number): number | null {
  if (!hasWindows(w)) return null;
  const allowedAt = (minute: number) => isAllowed(decisionAtMinute(w, minute));
  return nextDecisionChange(w.timeZone, edgesOf(w), allowedAt, nowMs, nextWindowHorizonMs(w));
}

/** How far nextWindowChange looks ahead for this set (for "not within N days" messages). */
export function nextWindowHorizonMs(w: WindowSet): number {
  const calendar = [...w.deny, ...w.allow].some((p) => p.rule.kind !== "weekly");
  return calendar ? CALENDAR_HORIZON_MS : NEXT_CHANGE_HORIZON_MS;
}

/** `"2026-12-24 02:00"`: the wall-clock time of `epochMs` in the set's zone (for status lines). */
export function localTimeText(w: WindowSet, epochMs: number): string {
  const minute = localMinuteAt(w.timeZone, epochMs);
  const day = Math.floor(minute / MINUTES_PER_DAY);
  const { year, month, day: dom } = civilFromDays(day);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${String(year).padStart(4, "0")}-${pad(month)}-${pad(dom)} ${formatTime(minute - day * MINUTES_PER_DAY)}`;
}

/** False when neither deny nor allow windows are configured: the windows step is skipped. */
export function hasWindows(w: WindowSet): boolean {
  return w.deny.length > 0 || w.allow.length > 0;
}

/**
 * Parse one expression for the config schema, which reports the error at the entry's own path;
 * `warnings` are accepted but non-canonical spellings.
 */
export function parseWindowExpression(expr: string): { ok: true; window: ParsedWindow; warnings: string[] } | { ok: false; error: string } {
  const r = parseExpression(expr);
  return r.ok ? { ok: true, window: { expr: expr.trim(), rule: r.rule }, warnings: r.warnings } : { ok: false, error: r.error };
}

/** The set from expressions parsed one by one (parseWindowExpression) and a checked zone name. */
export function windowSet(timezone: string, deny: readonly ParsedWindow[], allow: readonly ParsedWindow[]): WindowSet {
  return { timeZone: resolveZone(timezone), deny, allow };
}

/** Syntax check of one expression: the error message (without a config-path prefix) or null. */
export function checkWindowExpression(expr: string): string | null {
  const r = parseExpression(expr);
  return r.ok ? null : r.error;
}

/**
 * Warnings for valid but non-canonical spellings (Go-compatible times like `1:5`), each prefixed
 * with its config path like the errors of parseWindows. Invalid expressions give none (they are
 * errors already).
 */
export function windowWarnings(input: { deny: readonly string[]; allow: readonly string[] }): string[] {
  const out: string[] = [];
  for (const key of ["deny", "allow"] as const) {
    input[key].forEach((expr, i) => {
      const r = parseExpression(expr);
      if (r.ok) for (const w of r.warnings) out.push(`windows.${key}[${i}]: ${w}`);
    });
  }
  return out;
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

/** `minute` is a local minute (since 1970-01-01 00:00 on the wall clock). */
function contains(p: ParsedWindow, minute: number): boolean {
  if (p.rule.kind !== "weekly") return calendarContains(p.rule, minute);
  // The Unix epoch was a Thursday: shift by four days to count week minutes from a Sunday.
  const weekMinute = mod(minute + 4 * MINUTES_PER_DAY, MINUTES_PER_WEEK);
  return p.rule.intervals.some((iv) => iv.start <= weekMinute && weekMinute < iv.end);
}

function isAllowed(d: WindowDecision): boolean {
  return d.kind === "allowed";
}

/** Week minutes where some interval starts or ends: the only places the decision can change. */
function edgesOf(w: WindowSet): number[] {
  const edges = new Set<number>();
  for (const p of [...w.deny, ...w.allow]) {
    if (p.rule.kind === "weekly") {
      for (const iv of p.rule.intervals) {
        edges.add(iv.start);
        edges.add(iv.end);
      }
      continue;
    }
    for (const m of calendarEdgeMinutes(p.rule)) for (let d = 0; d < 7; d++) edges.add(d * MINUTES_PER_DAY + m);
  }
  return [...edges].sort((a, b) => a - b);
}

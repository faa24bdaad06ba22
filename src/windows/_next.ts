/**
 * "When does the decision next change?" without asking Intl for every minute of 8 days.
 *
 * The answer must equal a minute-by-minute scan of local wall-clock time, but that would be
 * ~11,500 Intl calls. Instead: while the zone's UTC offset stays constant, local time advances
 * linearly with epoch time, so the decision can only change where local time reaches an interval
 * edge. We jump straight to the next edge (in epoch ms, via the current offset), and if the
 * offset differs there, binary-search the exact transition instant and re-evaluate from it
 * (after a DST jump local time lands somewhere new, possibly inside or outside a window).
 *
 * Assumption, stated because it is the one way this could disagree with a full scan: the offset
 * does not change and change back within one jump. Jumps are capped at MAX_JUMP_MS, and no zone
 * has two transitions within hours of each other.
 */
import { MS_PER_DAY, MS_PER_MINUTE, MS_PER_WEEK, offsetAt, weekPositionOfLocal } from "./_zone.ts";

/** Look this far ahead: a week covers every weekly window, the extra day covers a DST shift. */
export const NEXT_CHANGE_HORIZON_MS = 8 * MS_PER_DAY;
/**
 * With calendar rules: a monthly rule recurs within ~5 weeks (a "fifth Sun" within months), a
 * date range can be anywhere; a year and a bit covers every yearly pattern.
 */
export const CALENDAR_HORIZON_MS = 400 * MS_PER_DAY;
/** Longest jump on one offset sample; see the assumption in the file comment. */
const MAX_JUMP_MS = 6 * 60 * MS_PER_MINUTE;
/** Largest valid Date time value (ECMA-262); Intl throws beyond it. */
const MAX_DATE_MS = 8.64e15;

/**
 * First instant in (nowMs, nowMs + horizonMs] where `allowedAtMinute` of the local minute (minutes
 * since 1970-01-01 00:00 on the zone's wall clock) differs from its value at nowMs, or null.
 * `edgeMinutes` are week minutes (0…10080) where the decision can change; a superset is fine
 * (calendar rules give an edge every day at each of their times).
 */
export function nextDecisionChange(
  zone: string,
  edgeMinutes: readonly number[],
  allowedAtMinute: (localMinute: number) => boolean,
  nowMs: number,
  horizonMs: number = NEXT_CHANGE_HORIZON_MS,
): number | null {
  const edges = [...new Set(edgeMinutes.map((m) => (m * MS_PER_MINUTE) % MS_PER_WEEK))].sort((a, b) => a - b);
  if (edges.length === 0) return null;
  const limit = Math.min(nowMs + horizonMs, MAX_DATE_MS);
  // Whole milliseconds keep the binary search finite; within one ms nothing can change.
  let t = Math.floor(nowMs);
  let offset = offsetAt(zone, t);
  const allowedNow = allowedAtMinute(localMinute(t + offset));
  for (;;) {
    const step = Math.min(msToNextEdge(edges, weekPositionOfLocal(t + offset)), MAX_JUMP_MS);
    let next = t + step;
    if (next > limit) return null;
    let nextOffset = offsetAt(zone, next);
    if (nextOffset !== offset) {
      next = firstOffsetChange(zone, t, next, offset);
      nextOffset = offsetAt(zone, next);
    }
    t = next;
    offset = nextOffset;
    if (allowedAtMinute(localMinute(t + offset)) !== allowedNow) return t;
  }
}

// --- internal ---

function localMinute(localMs: number): number {
  return Math.floor(localMs / MS_PER_MINUTE);
}

/** Distance (> 0) from week position `p` to the next edge strictly after it, wrapping the week. */
function msToNextEdge(edges: readonly number[], p: number): number {
  for (const e of edges) if (e > p) return e - p;
  return (edges[0] ?? 0) + MS_PER_WEEK - p;
}

/** Smallest ms in (lo, hi] whose offset is not `offset`, given offset(lo) = offset ≠ offset(hi). */
function firstOffsetChange(zone: string, lo: number, hi: number, offset: number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === offset) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * `status`'s "when does the next window open?" (issue 14), in one line for humans and one object
 * for `--json`. Computed from the plan's windows and the clock, independent of how far the pass
 * got (a kill switch stops it before the window gate, but the operator still wants to know).
 */
import { evaluateWindows, hasWindows, localTimeText, nextWindowChange, nextWindowHorizonMs, type WindowSet } from "../windows/index.ts";

export interface WindowOutlook {
  timezone: string;
  open_now: boolean;
  /** When the window opens (open_now false) or closes (open_now true); null: not within the horizon. */
  next_change: string | null;
  next_change_local: string | null;
  horizon_days: number;
}

/** Null when no windows are configured (nothing to say). */
export function windowOutlook(w: WindowSet, nowMs: number): WindowOutlook | null {
  if (!hasWindows(w)) return null;
  const next = nextWindowChange(w, nowMs);
  return {
    timezone: w.timeZone,
    open_now: evaluateWindows(w, nowMs).kind === "allowed",
    next_change: next === null ? null : new Date(next).toISOString(),
    next_change_local: next === null ? null : localTimeText(w, next),
    horizon_days: Math.round(nextWindowHorizonMs(w) / 86_400_000),
  };
}

/** `next window opens: 2027-01-03 02:00 Europe/Berlin (2027-01-03T01:00:00.000Z, in 7d 3h)`. */
export function outlookLine(o: WindowOutlook, nowMs: number): string {
  // "Open" means allowed: no deny window, and inside an allow window if any are configured.
  const what = o.open_now ? "reboots allowed until" : "next window opens";
  if (o.next_change === null) return `${what}: not within ${o.horizon_days} days (${o.timezone})`;
  const inText = durationText(Date.parse(o.next_change) - nowMs);
  return `${what}: ${o.next_change_local} ${o.timezone} (${o.next_change}, in ${inText})`;
}

function durationText(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d}d ${h}h`;
  return h > 0 ? `${h}h ${m}m` : `${m}m`;
}

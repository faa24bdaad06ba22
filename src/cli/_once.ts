/**
 * `run --once` on a held slot: the Go daemon tries the lock up to 5 times, sleeping the lock
 * backoff between attempts (bounded by backoff_min_sec/backoff_max_sec), before it gives up with
 * lock_unavailable (exit 4); scripts that run `--once` from cron rely on that patience. We retry
 * the whole diagnostic pass, and only for lock_unavailable: every other outcome is final at once.
 * The stop signal ends the wait early; the last report is then returned as it was.
 */
import type { Logger } from "../observe/index.ts";
import { backoffDelay } from "../orchestrate/index.ts";
import type { Coordinator } from "../orchestrate/index.ts";
import type { Outcome } from "../orchestrate/outcome.ts";

/** Go's attempt count for `run` and `run --once` (status makes one). */
export const ONCE_LOCK_ATTEMPTS = 5;

export interface OnceRetryDeps {
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Resolves after `ms` or as soon as `signal` aborts; never throws (the Clock port). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  log: Logger;
  rand?: () => number;
}

export async function retryWhileSlotTaken<R extends { outcome: Outcome }>(
  pass: () => Promise<R>,
  signal: AbortSignal,
  deps: OnceRetryDeps,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const r = await pass();
    if (r.outcome.kind !== "lock_unavailable" || attempt >= ONCE_LOCK_ATTEMPTS || signal.aborted) {
      if (r.outcome.kind === "lock_unavailable" && attempt >= ONCE_LOCK_ATTEMPTS) deps.log.event("warn", "lock_failed", { attempts: attempt });
      return r;
    }
    const delay = backoffDelay(attempt, deps.backoffMinMs, deps.backoffMaxMs, deps.rand);
    deps.log.event("info", "lock_backoff", { attempt, delay_ms: delay });
    await deps.sleep(delay, signal);
    if (signal.aborted) return r;
  }
}

/** The coordinator's backoff bounds, clock and log. */
export function onceRetryDeps(co: Coordinator): OnceRetryDeps {
  const { plan, ports } = co;
  return { backoffMinMs: plan.backoffMinMs, backoffMaxMs: plan.backoffMaxMs, sleep: (ms, s) => ports.clock.sleep(ms, s), log: ports.log };
}

/** Process-level concerns of `run`: signals and waiting for etcd. */
import { isTransient } from "../etcd/index.ts";
import { IdentityConflictError } from "../slots/index.ts";
import type { Logger } from "../observe/index.ts";
import type { Plan } from "../orchestrate/context.ts";
import { backoffDelay } from "../orchestrate/index.ts";
import type { Clock } from "../platform/index.ts";

/** Deadline for a graceful stop; systemd's TimeoutStopSec should be longer. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * First SIGTERM/SIGINT: abort the current step and stop (exit 0). Second: exit at once. A stop
 * that takes longer than SHUTDOWN_TIMEOUT_MS exits too, so systemd never has to SIGKILL us.
 */
export function handleSignals(log: Logger) {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      log.event("warn", "second_signal", { signal: sig });
      process.exit(1);
    }
    log.event("info", "stopping", { signal: sig });
    ac.abort();
    setTimeout(() => {
      log.event("error", "stop_timeout", { after_ms: SHUTDOWN_TIMEOUT_MS });
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
  };
  // SIGHUP must never kill us (the runtime default). One that arrives before the reload handler is
  // installed (e.g. while waiting for etcd at boot) is remembered and applied once it is.
  let hup: (() => void) | undefined;
  let pendingHup = false;
  const ignoreHup = () => {
    if (hup) return hup();
    pendingHup = true;
    log.event("info", "sighup_deferred", { reason: "reload applies once the daemon loop runs" });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", ignoreHup);
  return {
    signal: ac.signal,
    /** Installs (or with undefined removes) the SIGHUP reload handler. */
    onHup(fn: (() => void) | undefined) {
      hup = fn;
      if (fn && pendingHup) {
        pendingHup = false;
        fn();
      }
    },
    dispose() {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      process.off("SIGHUP", ignoreHup);
    },
  };
}

/** Retries `fn` with backoff while etcd is unavailable; says what it waits for. */
export async function waitForEtcd<T>(
  co: { plan: Pick<Plan, "backoffMinMs" | "backoffMaxMs">; ports: { clock: Clock; log: Logger } },
  signal: AbortSignal,
  once: boolean,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // Another machine uses our node name: no waiting helps; the caller refuses to run (exit 2).
      if (err instanceof IdentityConflictError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      if (once || !isTransient(err)) {
        co.ports.log.event("error", "etcd_unavailable", { error: msg });
        if (!once && !isTransient(err)) throw err;
        return undefined;
      }
      const delay = backoffDelay(attempt, co.plan.backoffMinMs, co.plan.backoffMaxMs);
      co.ports.log.event("warn", "waiting_for_etcd", { error: msg, attempt, retry_in_ms: delay });
      await co.ports.clock.sleep(delay, signal);
    }
  }
  return undefined;
}

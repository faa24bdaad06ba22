/**
 * The long-running daemon: passes every check interval, woken at once by changes to slots, pause and
 * cooldown keys (instant hand-off), backoff with jitter from the configured bounds on errors (W23),
 * heartbeats that keep the health record fresh, and a quiet log (only changes are logged, W18).
 */
import type { HealthRunner } from "../health/index.ts";
import type { Clock } from "../platform/index.ts";
import { isTransient } from "../etcd/index.ts";
import type { Coordinator, EtcdCoordinator } from "./context.ts";
import { OUTCOMES } from "./outcome.ts";
import { runPass } from "./pass.ts";
import type { PassReport } from "./report.ts";
import { checkHealth, healthReason, publishHealth } from "./_steps.ts";
import { recordPass } from "./_metrics.ts";
import { afterPass, type BlockTracker } from "./_events.ts";
import { Waker, watchCoordinationKeys, watchKillSwitch, watchNamedHealth, type WakeOn } from "./_wake.ts";


export interface LoopHooks {
  onReport?(r: PassReport): void;
  /** Called before every pass; returns the coordinator to use (a SIGHUP reload builds a new one). */
  refresh?(co: Coordinator): Coordinator | Promise<Coordinator>;
}

export async function runLoop(co: Coordinator, signal: AbortSignal, hooks: LoopHooks = {}): Promise<PassReport | undefined> {
  const { ports } = co;
  const waker = new Waker();
  const ref = { co: { ...co, health: trackHealth(co.health, co.ports.clock) } };
  // Who we wait for: nothing in particular (any slot freed), or — in the FIFO queue — the
  // ticket just ahead of ours, so a release wakes the next in line, not every waiter.
  const wake: WakeOn = { ahead: undefined, downs: new Set() };
  const watches = co.mode === "etcd" ? await watchCoordinationKeys(() => ref.co, co, wake, () => waker.kick()) : [];
  const healthWake = co.mode === "etcd" ? watchNamedHealth(co, wake, () => waker.kick()) : undefined;
  const killSwitchWatch = watchKillSwitch(co.plan.killSwitchFile, () => waker.kick());
  const heartbeat = startHeartbeat(ref, signal);
  let last: PassReport | undefined;
  let lastKey = "";
  let errors = 0;
  const seenGroups = new Set<string>();
  const blocked: BlockTracker = {};
  try {
    while (!signal.aborted) {
      const next = await hooks.refresh?.(ref.co);
      if (next && next !== ref.co) ref.co = { ...next, health: next.health === ref.co.health ? ref.co.health : trackHealth(next.health, next.ports.clock) };
      co = ref.co;
      const plan = co.plan;
      let report: PassReport;
      try {
        report = await runPass(co, "run", signal);
      } catch (err) {
        if (signal.aborted) break;
        errors++;
        co.ports.metrics.inc("pass_errors_total");
        if (isTransient(err)) co.ports.metrics.set("etcd_up", 0);
        const delay = backoffDelay(errors, plan.backoffMinMs, plan.backoffMaxMs, () => ports.clock.random());
        ports.log.event(isTransient(err) ? "warn" : "error", "pass_failed", {
          error: err instanceof Error ? err.message : String(err),
          attempt: errors,
          retry_in_ms: delay,
        });
        await waker.wait(delay, ports.clock, signal);
        continue;
      }
      errors = 0;
      last = report;
      const m = co.ports.metrics;
      recordPass(m, report, ports.clock.now());
      m.set("etcd_up", 1);
      for (const g of Object.keys(report.slotsInUse ?? {})) seenGroups.add(g);
      for (const g of seenGroups) m.set("slots_in_use", report.slotsInUse?.[g] ?? 0, { group: g });
      const key = `${report.outcome.kind}|${report.outcome.message}`;
      if (key !== lastKey) {
        logOutcome(co, report);
        lastKey = key;
      }
      afterPass(co, report, blocked);
      if (co.mode === "etcd") {
        const needs = report.preDetectors?.requiresReboot ?? false;
        co.session.setStatus({
          needs_reboot: needs,
          ...(needs && OUTCOMES[report.outcome.kind].blocked ? { blocked_reason: report.outcome.message.slice(0, 200) } : {}),
          ...(blocked.since !== undefined ? { blocked_since: new Date(blocked.since).toISOString() } : {}),
        });
      }
      wake.ahead = report.outcome.kind === "lock_unavailable" ? report.queue?.ahead : undefined;
      wake.downs = new Set(report.outcome.kind === "lock_unavailable" ? (report.outcome.holders ?? []) : []);
      await healthWake?.want(wake.ahead === undefined && wake.downs.size > 0);
      hooks.onReport?.(report);
      const kind = report.outcome.kind;
      // Another machine uses our node name: refuse to run on (the daemon exits 2).
      if (kind === "identity_conflict") break;
      if (kind === "runtime_error") errors++;
      // After the reboot command we stay up and wait for the shutdown (W11); if the machine is
      // still here after the grace period, the next pass takes the "did not happen" path.
      const wait =
        kind === "rebooting"
          ? plan.rebootGraceMs
          : // Right after a real reboot, check again at once (detectors may still fire: the loop
            // guard decides). After a reboot that did not happen, wait like everyone else so a
            // node whose reboot never takes effect cannot grab the slot again ahead of waiters.
            (kind === "post_boot_released" && report.rebooted) || kind === "recheck_cleared"
            ? 0
            : kind === "runtime_error"
              ? backoffDelay(errors, plan.backoffMinMs, plan.backoffMaxMs, () => ports.clock.random())
              : plan.checkIntervalMs;
      if (wait > 0) await waker.wait(wait, ports.clock, signal, kind !== "rebooting");
    }
  } finally {
    heartbeat.stop();
    killSwitchWatch?.close();
    await Promise.all(watches.map((w) => w.cancel()));
    await healthWake?.want(false);
  }
  return last;
}

/**
 * Exponential from min to max, with jitter in the upper half so retries spread out. The loop
 * passes its clock's randomness; the default is for callers outside a coordinator.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, rand = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.max(minMs, base / 2 + (rand() * base) / 2));
}

// --- internal ---

/** Wraps the health runner to remember when the script last ran (heartbeats skip if recent, W31). */
function trackHealth(inner: HealthRunner, clock: Clock): HealthRunner & { lastRunAt: number } {
  const t = {
    lastRunAt: 0,
    async run(...args: Parameters<HealthRunner["run"]>) {
      const res = await inner.run(...args);
      t.lastRunAt = clock.now();
      return res;
    },
  };
  return t;
}

/**
 * Keeps the health record fresh between passes (W31: skipped when a pass just ran the script).
 * A change of verdict is logged and shown as the `healthy` gauge: an unhealthy heartbeat blocks
 * every other node's reboot, so the operator of this node must be able to see it here.
 */
function startHeartbeat(ref: { co: Coordinator & { health: HealthRunner & { lastRunAt: number } } }, signal: AbortSignal) {
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  let lastHealthy: boolean | undefined;
  void (async () => {
    while (!both.aborted) {
      const { co } = ref;
      const { plan, ports, health } = co;
      await ports.clock.sleep(plan.publishIntervalMs, both);
      if (both.aborted || co.mode !== "etcd") break;
      if (ports.clock.now() - health.lastRunAt < plan.publishIntervalMs * 0.9) continue;
      try {
        const { h } = await checkHealth({ ...co, health }, "heartbeat", { lockHeld: false, lockAttempts: 0 }, both);
        if (both.aborted) break;
        const healthy = h.kind === "pass";
        ports.metrics.set("healthy", healthy ? 1 : 0);
        if (healthy !== lastHealthy) {
          ports.log.event(healthy ? "info" : "warn", "health_changed", { phase: "heartbeat", healthy, ...(healthy ? {} : { reason: healthReason(h), output: (h.stdout + h.stderr).slice(-512) }) });
          lastHealthy = healthy;
        }
        await co.session.ensureLease();
        await publishHealth(co, h, "heartbeat");
      } catch (err) {
        ports.log.event("warn", "heartbeat_failed", { error: err instanceof Error ? err.message : String(err) });
      }
    }
  })();
  return { stop: () => stop.abort() };
}

/** The `run_outcome` log line of a pass (the daemon logs it on change; a single pass always). */
export function logOutcome(co: Coordinator, report: PassReport): void {
  co.ports.log.event(OUTCOMES[report.outcome.kind].level, "run_outcome", { status: report.outcome.kind, message: report.outcome.message, dry_run: report.dryRun, ...(report.slot ? { slot: report.slot.key, phase: report.slot.phase } : {}) });
}

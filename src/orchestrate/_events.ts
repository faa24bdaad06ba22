/**
 * Operator-facing events derived from pass reports: webhook notifications (reboot started or
 * failed — command failed, reboot did not happen, unhealthy after boot —, node back healthy,
 * blocked for longer than the threshold).
 */
import type { RebootFailure } from "../observe/index.ts";
import type { Coordinator } from "./context.ts";
import { isBlocked } from "./outcome.ts";
import type { PassReport } from "./report.ts";

export interface BlockTracker {
  /** Since when this node has needed a reboot without holding a slot (slot_wait_seconds). */
  waitingSince?: number;
  since?: number;
  reason?: string;
  notified?: boolean;
  /** Our slot's post-boot checks failing: since when, and whether reboot_failed went out. */
  unhealthy?: { slot: string; since: number; notified: boolean };
}

/** How long the reboot waits for the `reboot_started` webhook: once the machine is down it is lost. */
export const ANNOUNCE_TIMEOUT_MS = 3_000;

/** Sends `reboot_started` and waits (bounded) for its delivery, right before the reboot command. */
export async function announceReboot(co: Coordinator, fields: Record<string, unknown>): Promise<void> {
  const n = co.notifier;
  n.notify("reboot_started", fields);
  const stop = new AbortController();
  await Promise.race([n.idle(), co.ports.clock.sleep(ANNOUNCE_TIMEOUT_MS, stop.signal)]);
  stop.abort();
}

export function afterPass(co: Coordinator, r: PassReport, t: BlockTracker): void {
  const n = co.notifier;
  const now = co.ports.clock.now();
  const kind = r.outcome.kind;
  if (r.rebootCommand && !r.rebootCommand.ok) n.notify("reboot_failed", failure("command_failed", r, { error: r.rebootCommand.error }));
  if (kind === "post_boot_released") n.notify("node_healthy", { group: r.group, message: r.outcome.message });
  if (kind === "post_boot_released" && r.rebooted === false) n.notify("reboot_failed", failure("reboot_not_happened", r));
  unhealthyAfterBoot(co, r, t, now);
  const needs = r.preDetectors?.requiresReboot ?? true;
  if (r.slot?.attempts !== undefined) {
    co.ports.metrics.observe("slot_wait_seconds", Math.max(0, now - (t.waitingSince ?? now)) / 1000);
    t.waitingSince = undefined;
  } else if (r.preDetectors?.requiresReboot) t.waitingSince ??= now;
  else if (r.preDetectors) t.waitingSince = undefined;
  if (isBlocked(kind) && needs) {
    if (t.since === undefined) t.since = now;
    t.reason = kind;
    const blockedMs = now - t.since;
    if (!t.notified && blockedMs >= co.plan.blockedThresholdMs) {
      t.notified = true;
      co.ports.log.event("warn", "blocked_too_long", { reason: kind, message: r.outcome.message, blocked_s: Math.round(blockedMs / 1000) });
      n.notify("blocked", { group: r.group, reason: kind, message: r.outcome.message, blocked_since: new Date(t.since).toISOString() });
    }
  } else if (kind !== "runtime_error") {
    t.since = undefined;
    t.reason = undefined;
    t.notified = false;
  }
}

const failure = (cause: RebootFailure, r: PassReport, extra: Record<string, unknown> = {}) => ({ cause, group: r.group, slot: r.slot?.key, message: r.outcome.message, ...extra });

/**
 * Back from the reboot, but the post-boot checks keep failing: the node holds its slot and its
 * group waits. Told once per slot, after `unhealthyAfterBootMs` (services take a while to start).
 */
function unhealthyAfterBoot(co: Coordinator, r: PassReport, t: BlockTracker, now: number): void {
  const slot = r.slot?.key;
  if (r.outcome.kind !== "health_blocked" || r.slot?.phase !== "verifying" || !slot) {
    // A pass that failed says nothing about health; anything else ends the episode.
    if (r.outcome.kind !== "runtime_error") t.unhealthy = undefined;
    return;
  }
  if (t.unhealthy?.slot !== slot) t.unhealthy = { slot, since: now, notified: false };
  if (t.unhealthy.notified || now - t.unhealthy.since < co.plan.unhealthyAfterBootMs) return;
  t.unhealthy.notified = true;
  co.notifier.notify("reboot_failed", failure("unhealthy_after_boot", r, { unhealthy_since: new Date(t.unhealthy.since).toISOString() }));
}

/**
 * lock_backend: fleetlock — a remote FleetLock server as the daemon's lock backend, so
 * clusterrebootd nodes can join an existing airlock / FleetLock deployment. Pause, cooldown,
 * budget and cluster policy are the server's (no cluster view here); the local gates and the
 * reboot command are the lifecycle's, as for any node. Like Zincati: pre-reboot (recursive lock)
 * before rebooting, steady-state (unlock-if-held) whenever the node is healthy and needs nothing —
 * which is also how the slot is released after boot.
 */
import { noOwnSlot, outcome, type LockBackend, type Outcome, type OutcomeKind } from "../orchestrate/index.ts";
import type { FleetLockCallResult, FleetLockClient } from "./client.ts";

export function remoteLock(client: FleetLockClient, id: string, group: string): LockBackend {
  const key = `fleetlock:${group}/${id}`;
  return {
    kind: "fleetlock",
    throughReboot: { issued: "the FleetLock server holds our lock through the reboot", failed: "the lock is released by steady-state once the node is healthy" },
    view: async () => undefined,
    wouldAcquire: () => outcome("lock_skipped", `would ask the FleetLock server for a slot (id ${id}, group ${group})`),
    async acquire() {
      const res = await client.preReboot(id, group);
      if (res.kind !== "ok") return { kind: "refused", outcome: refusal(res) };
      return { kind: "acquired", slot: { key, group, phase: "preparing" }, attempts: 1 };
    },
    // The server fenced before it answered 200: the grant is already the long-lived lock.
    fence: async (slot) => ({ kind: "fenced", slot: { ...slot, phase: "rebooting" } }),
    async release() {
      const res = await client.steadyState(id, group);
      return res.kind === "ok" ? { kind: "released", cooldownSec: 0 } : { kind: "not-held" };
    },
    async idle() {
      const res = await client.steadyState(id, group);
      return res.kind === "ok" ? { kind: "ok", said: "steady-state reported" } : { kind: "refused", outcome: refusal(res) };
    },
    // No view, so never a slot of our own: the post-boot release is the steady-state above.
    ...noOwnSlot,
  };
}

/** Server error kinds (ours and airlock's) mapped to our outcomes. */
function refusal(res: Exclude<FleetLockCallResult, { kind: "ok" }>): Outcome {
  if (res.kind === "refused" || res.kind === "http_error") {
    const k = res.error.kind;
    const msg = `FleetLock server refused: ${k}: ${res.error.value}`;
    const map: Record<string, OutcomeKind> = {
      failed_lock_semaphore_full: "lock_unavailable",
      draining: "lock_unavailable",
      conflict: "lock_unavailable",
      paused: "paused",
      cooldown: "cooldown_active",
      window_closed: "window_outside_allow",
      health_blocked: "health_blocked",
      drain_blocked: "drain_blocked",
    };
    return outcome(map[k] ?? "runtime_error", msg);
  }
  if (res.kind === "timeout") return outcome("runtime_error", `FleetLock server did not answer within ${Math.round(res.timeoutMs / 1000)}s`);
  if (res.kind === "network_error") return outcome("runtime_error", `FleetLock server unreachable: ${res.message}`);
  return outcome("runtime_error", "FleetLock call aborted");
}

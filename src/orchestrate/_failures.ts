/**
 * Failed reboots as the lifecycle sees them: slots past their deadline turned into failures (by
 * any pass, through the lock port), and the freeze that the K-th failure of a group leaves
 * behind. What is written is slots/failure.ts's business; this says it, counts it and notifies.
 */
import { downMembers, staleAfterMs, type ClusterState } from "../slots/index.ts";
import type { Coordinator, PassMode } from "./context.ts";
import type { StaleSlotFailure } from "./lock.ts";

/**
 * Turns slots past their deadline into failures before anything is decided on the view, and
 * reads the view again when one was freed (a frozen group must be seen by this very pass).
 * status writes nothing: it shows the slot as it is.
 */
export async function sweepStaleSlots(co: Coordinator, state: ClusterState | undefined, mode: PassMode): Promise<ClusterState | undefined> {
  if (mode === "status" || !state || !co.lock.sweep) return state;
  const failed = await co.lock.sweep(state, co.plan.node);
  for (const f of failed) recordFailure(co, f);
  return failed.length ? co.lock.view("slots") : state;
}

export function recordFailure(co: Coordinator, f: Pick<StaleSlotFailure, "node" | "group" | "slot" | "froze" | "failures" | "limit"> & { reason: string; deadline?: string }): void {
  const { log, metrics } = co.ports;
  metrics.inc("failed_reboots_total", { reason: f.reason });
  // `failed_node`: a notification's `node` is the sender (the node that saw the failure).
  const fields = { failed_node: f.node, group: f.group, slot: f.slot, reason: f.reason, failures: f.failures, max_failed_reboots: f.limit, ...(f.deadline ? { deadline: f.deadline } : {}) };
  if (!f.froze) {
    log.event("error", "reboot_failed_recorded", fields);
    return;
  }
  log.event("error", "group_frozen", { ...fields, resume: `clusterrebootd resume --group ${f.group}` });
  metrics.set("group_frozen", 1, { group: f.group });
  co.notifier.notify("group_frozen", { ...fields, resume: `clusterrebootd resume --group ${f.group}` });
}

/** The gauges that show frozen groups, from a view (cleared for groups no longer frozen). */
export function showFrozen(co: Coordinator, state: ClusterState | undefined): void {
  if (!state) return;
  co.ports.metrics.reset("group_frozen");
  for (const g of state.frozen.keys()) co.ports.metrics.set("group_frozen", 1, { group: g });
}

/** The down_nodes gauge from a full view (members down without a slot, per group). */
export function showDown(co: Coordinator, state: ClusterState | undefined): void {
  if (!state || state.members.size === 0) return;
  const down = downMembers(state, co.plan.node, { nowMs: co.ports.clock.now(), staleAfterMs: staleAfterMs(co.plan.publishIntervalMs, co.plan.healthTimeoutMs) });
  co.ports.metrics.reset("down_nodes");
  const groups = new Set([...state.members.values()].map((m) => m.group));
  for (const g of groups) co.ports.metrics.set("down_nodes", down.filter((d) => d.group === g).length, { group: g });
}

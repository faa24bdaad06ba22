/**
 * The daemon's gates, applied to a FleetLock client: pause, cooldown and budget (from
 * `admission`), maintenance windows and cluster health policy. Pure functions over one snapshot;
 * each refusal is a protocol error with the kind a client can count.
 */
import { classifyPeers, evaluatePolicy } from "../cluster/index.ts";
import { admission, type AcquireResult, type ClusterState, type SlotEntry } from "../slots/index.ts";
import { evaluateWindows } from "../windows/index.ts";
import type { BackendSettings } from "./backend.ts";
import { fleetError, type ClientParams, type FleetLockError } from "./protocol.ts";

/** Window and policy, in that order; undefined = both allow. Pause/cooldown/budget are admission's. */
export function windowAndPolicy(s: BackendSettings, state: ClusterState, p: ClientParams, nowMs: number): FleetLockError | undefined {
  return windowGate(s, nowMs) ?? policyGate(s, state, p, nowMs);
}

export function windowGate(s: BackendSettings, nowMs: number): FleetLockError | undefined {
  const w = evaluateWindows(s.windows, nowMs);
  if (w.kind === "denied") return fleetError("window_closed", `reboots are blocked by deny window "${w.matchedDeny}" (${s.windows.timeZone})`);
  if (w.kind === "outside_allow") return fleetError("window_closed", `outside every allow window (${s.windows.timeZone})`);
  return undefined;
}

/**
 * Cluster policy as if the client went down now. FleetLock clients publish no health record, so
 * they are not "expected" members; daemons holding slots count as down, as for any decision.
 */
export function policyGate(s: BackendSettings, state: ClusterState, p: ClientParams, nowMs: number): FleetLockError | undefined {
  const peers = classifyPeers(state, p.id, { nowMs, publishIntervalMs: s.publishIntervalMs, healthTimeoutMs: s.healthTimeoutMs });
  const v = evaluatePolicy(peers, p.id, s.policy);
  return v.kind === "blocked" ? fleetError("health_blocked", v.reasons.join("; ")) : undefined;
}

/**
 * Refuses ids that would be mistaken for someone else's slot: a daemon finds its slot by node
 * name, so a FleetLock client named like a clusterrebootd node must never hold a slot.
 */
export function identityGate(state: ClusterState, p: ClientParams): FleetLockError | undefined {
  if (state.members.has(p.id) || state.health.has(p.id))
    return fleetError("id_conflict", `${p.id} is the name of a clusterrebootd node; FleetLock ids must differ from node names`);
  return undefined;
}

/** Whether `slot` (found under this id's name) is this client's FleetLock slot in this group. */
export function ownershipGate(slot: SlotEntry, p: ClientParams): FleetLockError | undefined {
  if (!slot.record)
    return fleetError("id_conflict", `${slot.key} holds an unreadable record; an operator can free it with 'clusterrebootd unlock ${p.id}'`);
  if (slot.record.holder !== "fleetlock")
    return fleetError("id_conflict", `${p.id} holds a slot as a ${slot.record.holder}, not as a FleetLock client`);
  if (slot.group !== p.group)
    return fleetError("id_conflict", `${p.id} already holds a slot in group ${slot.group}; release it with steady-state in that group first`);
  return undefined;
}

/** Maps a refusal of `admission`/`tryAcquireSlot` to its protocol error. */
export function acquireRefusal(r: Exclude<AcquireResult, { kind: "acquired" }> | ReturnType<typeof admission>): FleetLockError {
  switch (r.kind) {
    case "paused":
      return fleetError("paused", r.pause ? `reboots are paused cluster-wide by ${r.pause.by} at ${r.pause.at}: ${r.pause.reason}` : "reboots are paused cluster-wide");
    case "cooldown":
      return fleetError(
        "cooldown",
        r.cooldown
          ? `group ${r.group} cools down for ${r.cooldown.duration_sec}s after ${r.cooldown.node} was released at ${r.cooldown.released_at}`
          : `group ${r.group} is cooling down after a reboot`,
      );
    case "full": {
      const names = r.holders.map((h) => h.node);
      const shown = names.slice(0, 5).join(", ") + (names.length > 5 ? `, … (${names.length})` : "");
      return fleetError(
        "failed_lock_semaphore_full",
        `${r.scope === "group" ? "group" : "global"} reboot budget full: ${r.holders.length} of ${r.limit} slots held (${shown})`,
      );
    }
    case "conflict":
      return fleetError("conflict", `lost ${r.attempts} transaction races in a row to other acquirers; retry`);
    case "already-held":
    case "ok":
      // Callers handle these before mapping; reaching here means the state changed between reads.
      return fleetError("conflict", "the slot state changed while granting; retry");
  }
}

/**
 * The FleetLock server finds a slot under the client's id (RecursiveLock). Its own FleetLock slot
 * in this group: granted (`rebooting`) → success again, renewing the lease once half of it is
 * used (the client proves it is alive); `preparing` (a drain still running, or a server that died
 * mid-grant) → resume under the slot. Anything else with this name is not the client's.
 */
import type { SlotEntry } from "../slots/index.ts";
import type { ServerCoordinator } from "./context.ts";
import { held } from "./lock.ts";
import { outcome } from "./outcome.ts";
import type { End } from "./report.ts";

export type OwnStep = ({ kind: "done" } & End) | { kind: "resume" };

export async function serverOwnSlot(co: ServerCoordinator, slot: SlotEntry): Promise<OwnStep> {
  const id = co.plan.node;
  const rec = slot.record;
  const conflict = (message: string): OwnStep => ({ kind: "done", outcome: outcome("identity_conflict", message) });
  if (!rec) return conflict(`${slot.key} holds an unreadable record; an operator can free it with 'clusterrebootd unlock ${id}'`);
  if (rec.holder !== "fleetlock") return conflict(`${id} holds a slot as a ${rec.holder}, not as a FleetLock client`);
  if (slot.group !== co.plan.group) return conflict(`${id} already holds a slot in group ${slot.group}; release it with steady-state in that group first`);
  const bound = rec.client_address;
  if (bound && co.client.address && bound !== co.client.address) return conflict(`the lock of ${id} was taken from another address; only that client can use it`);
  if (rec.phase === "preparing") return { kind: "resume" };
  const ren = await co.lock.renew(held(slot));
  if (ren.kind === "lost") return { kind: "done", outcome: outcome("lock_unavailable", "the slot was freed while refreshing it; retry", { retry: true }) };
  if (ren.kind === "renewed") co.ports.log.event("info", "fleetlock_refreshed", { id, group: co.plan.group, slot: slot.key, deadline: ren.deadline });
  return {
    kind: "done",
    outcome: outcome("rebooting", "already locked by this id"),
    facts: { slot: { key: slot.key, phase: "rebooting", recursive: true, ...(ren.deadline ? { deadline: ren.deadline } : {}) } },
  };
}

/**
 * The two ends of holding a `preparing` slot (pass.ts re-checks every gate under it first, W4):
 * the fence (W5), or giving it back without a cooldown (nobody rebooted) — but only once our node
 * is uncordoned: if the uncordon fails, the slot is kept (others stay blocked) and the next pass
 * retries, so a cordoned node never goes unbudgeted while another one drains. Both return values;
 * pass.ts puts them into the report.
 */
import type { Coordinator } from "./context.ts";
import type { GateCtx } from "./gate.ts";
import type { HeldSlot, LockRelease } from "./lock.ts";
import { outcome, type Outcome } from "./outcome.ts";
import type { End, Facts } from "./report.ts";
import { recentReboots } from "./_steps.ts";

export type Fenced = { kind: "fenced"; slot: HeldSlot; facts: Facts } | ({ kind: "end" } & End);

/** The fence: slot still ours, not paused, no cooldown → the slot moves to its long lease. */
export async function fence(g: GateCtx, slot: HeldSlot): Promise<Fenced> {
  const { co } = g;
  // A FleetLock client's grant: the client reboots itself; no boot id and no reboot history of ours.
  const forClient = g.mode === "grant";
  const nowMs = co.ports.clock.now();
  const bootId = forClient ? "" : await co.ports.host.bootId();
  const prev = g.state?.reboots.get(co.plan.node);
  const reboots =
    forClient || !g.state
      ? undefined
      : co.plan.dryRun
        ? // A dry run does not count towards the reboot-loop guard: nothing rebooted.
          prev ?? { node: co.plan.node, history: [] }
        : {
            node: co.plan.node,
            history: [...recentReboots(co, prev), new Date(nowMs).toISOString()],
            last_reboot_at: new Date(nowMs).toISOString(),
            boot_id_before: bootId,
          };
  const f = await co.lock.fence(slot, { bootId, nowMs, ...(reboots ? { reboots } : {}), ...(g.state ? { state: g.state } : {}) });
  switch (f.kind) {
    case "fenced":
      return { kind: "fenced", slot: f.slot, facts: { slot: { key: slot.key, phase: "rebooting", ...(f.slot.deadline ? { deadline: f.slot.deadline } : {}) } } };
    case "lost":
      // Not our slot any more (lease expired during a partition?): never reboot, and do not
      // leave the node cordoned behind a slot we no longer hold.
      await co.kube.restore("slot lost before the reboot command");
      return { kind: "end", outcome: f.outcome };
    case "refused":
      return { kind: "end", ...(await giveBack(co, slot, f.outcome)) };
  }
}

/**
 * Gives a slot back that saw no reboot (no cooldown), uncordoning first. If the uncordon fails the
 * slot is kept and the pass says so: the next pass (or the next process) retries both.
 */
export async function giveBack(co: Coordinator, slot: HeldSlot, why: Outcome): Promise<End> {
  if (!(await co.kube.restore("slot released without reboot"))) {
    // The node stays cordoned, so the slot stays ours — on its own lease, so that the end of a
    // one-shot pass (its session revoked) or this process's death does not drop it.
    const kept = co.lock.keep ? await co.lock.keep(slot, `kept: uncordoning ${co.kube.node} failed (${why.kind})`) : undefined;
    co.ports.log.event("error", "slot_kept", { slot: slot.key, reason: "uncordon_failed", instead_of: why.kind, ...(kept?.deadline ? { deadline: kept.deadline } : {}) });
    if (kept) co.ports.log.event("warn", "slot_moved_to_own_lease", { slot: slot.key, deadline: kept.deadline });
    const until = kept?.deadline ? ` (until ${kept.deadline} at most); the next pass uncordons the node, then releases it` : "; the next pass retries";
    return {
      outcome: outcome("drain_blocked", `${why.message}; uncordoning ${co.kube.node} failed, so the slot is kept${until}`),
      facts: { slot: { key: slot.key, phase: "preparing", released: false, ...(kept?.deadline ? { deadline: kept.deadline } : {}) } },
    };
  }
  const rel = await co.lock.release(slot, { cooldown: false, nowMs: co.ports.clock.now() });
  co.ports.log.event("info", "slot_released", { slot: slot.key, result: releaseResult(rel), reason: why.kind });
  // Say what happened to the node and the slot (a drain refusal does not know it beforehand).
  return {
    outcome: why.kind === "drain_blocked" && co.kube.drains ? { ...why, message: `${why.message}; node uncordoned, slot ${rel.kind === "released" ? "released" : "already gone"}` } : why,
    facts: { slot: { key: slot.key, phase: "released", released: rel.kind === "released" } },
  };
}

/** A release's result in log lines: snake_case like every logged value (and lock_release_seconds' label). */
export const releaseResult = (r: LockRelease): string => (r.kind === "released" ? "released" : "not_held");

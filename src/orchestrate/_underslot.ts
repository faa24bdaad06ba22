/**
 * Work done while holding a `preparing` slot: re-check every gate (W4), then fence (W5) and act.
 * Any refusal gives the slot back without a cooldown (nobody rebooted) — but only once our node
 * is uncordoned: if the uncordon fails, the slot is kept (others stay blocked) and the next pass
 * retries, so a cordoned node never goes unbudgeted while another one drains.
 */
import { remember, type Coordinator } from "./context.ts";
import { runGates, UNDER_SLOT, type GateCtx } from "./gates.ts";
import type { HeldSlot } from "./lock.ts";
import { outcome, type Outcome } from "./outcome.ts";
import { mergeFacts, type PassReport } from "./report.ts";
import { act } from "./_act.ts";
import { recentReboots } from "./_steps.ts";
import { observeEtcd } from "./_local-state.ts";

export async function underSlot(g0: GateCtx, r: PassReport, slot: HeldSlot): Promise<PassReport> {
  const { co, mode } = g0;
  const g: GateCtx = { ...g0, stage: "under" };
  try {
    g.state = await co.lock.view("all");
    remember(co.memory, await observeEtcd(co, g.state, true));
    const s = await runGates(UNDER_SLOT, g, r);
    if (s?.kind === "hold") {
      r.outcome = s.outcome;
      return r;
    }
    if (s) return giveBack(co, r, slot, s.outcome);
    if (mode === "once") return giveBack(co, r, slot, outcome("ready", "reboot prerequisites satisfied (--once: slot released, command not run)"));

    // The fence: slot still ours, not paused, no cooldown → slot moves to its long lease.
    const nowMs = co.ports.clock.now();
    const bootId = mode === "grant" ? "" : await co.ports.host.bootId();
    const prev = g.state?.reboots.get(co.plan.node);
    const reboots =
      mode === "grant" || !g.state
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
        r.slot = { key: slot.key, phase: "rebooting", attempts: r.slot?.attempts ?? 1, ...(f.slot.deadline ? { deadline: f.slot.deadline } : {}) };
        return act(co, r, f.slot, mode, g.state?.members.size || undefined);
      case "lost":
        // Not our slot any more (lease expired during a partition?): never reboot, and do not
        // leave the node cordoned behind a slot we no longer hold.
        await co.kube.restore("slot lost before the reboot command");
        r.outcome = f.outcome;
        return r;
      case "refused":
        return giveBack(co, r, slot, f.outcome);
    }
  } catch (err) {
    // Never leave a preparing slot (or our cordon) behind on an error: free it now rather than
    // after the lease TTL / the next pass — unless the uncordon fails (then the slot stays).
    await giveBack(co, r, slot, outcome("runtime_error", "error while holding the slot")).catch(() => {});
    throw err;
  }
}

/**
 * Gives a slot back that saw no reboot (no cooldown), uncordoning first. If the uncordon fails the
 * slot is kept and the pass says so: the next pass (or the next process) retries both.
 */
export async function giveBack(co: Coordinator, r: PassReport, slot: HeldSlot, why: Outcome, opts: { cooldown?: boolean } = {}): Promise<PassReport> {
  if (!(await co.kube.restore("slot released without reboot"))) {
    // The node stays cordoned, so the slot stays ours — on its own lease, so that the end of a
    // one-shot pass (its session revoked) or this process's death does not drop it.
    const kept = co.lock.keep ? await co.lock.keep(slot, `kept: uncordoning ${co.kube.node} failed (${why.kind})`) : undefined;
    co.ports.log.event("error", "slot_kept", { slot: slot.key, reason: "uncordon_failed", instead_of: why.kind, ...(kept?.deadline ? { deadline: kept.deadline } : {}) });
    if (kept) co.ports.log.event("warn", "slot_moved_to_own_lease", { slot: slot.key, deadline: kept.deadline });
    const until = kept?.deadline ? ` (until ${kept.deadline} at most); the next pass uncordons the node, then releases it` : "; the next pass retries";
    r.outcome = outcome("drain_blocked", `${why.message}; uncordoning ${co.kube.node} failed, so the slot is kept${until}`);
    mergeFacts(r, { slot: { ...r.slot, key: slot.key, phase: "preparing", released: false, ...(kept?.deadline ? { deadline: kept.deadline } : {}) } });
    return r;
  }
  const rel = await co.lock.release(slot, { cooldown: opts.cooldown ?? false, nowMs: co.ports.clock.now() });
  co.ports.log.event("info", "slot_released", { slot: slot.key, result: rel.kind, reason: why.kind });
  mergeFacts(r, { slot: { ...r.slot, key: slot.key, phase: "released", released: rel.kind === "released" } });
  // Say what happened to the node and the slot (a drain refusal does not know it beforehand).
  r.outcome = why.kind === "drain_blocked" && co.kube.drains ? { ...why, message: `${why.message}; node uncordoned, slot ${rel.kind === "released" ? "released" : "already gone"}` } : why;
  return r;
}

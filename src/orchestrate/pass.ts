/**
 * The one reboot lifecycle, for every mode (docs/ARCHITECTURE.md):
 *   cluster view (own slot: post-boot path / recursive grant) → kill switch → pause, window,
 *   detectors → full view → loop guard, policy, health, cooldown, users, drain hold-off, command →
 *   take a slot → under the slot: every gate again, drain, window → fence → act.
 * The daemon pass, `run --once`, `status`, a FleetLock client node and the FleetLock server's
 * grant all run this function; only the coordinator's lock backend and capabilities differ.
 * Every outcome is a value; only etcd/environment failures throw (the loop backs off on them).
 * Each step returns what it saw and how it ended; this file alone writes the report and applies
 * the loop-memory changes the steps return.
 */
import { describeMachine, foreignMachine, identityFix, type SlotEntry } from "../slots/index.ts";
import { remember, type Coordinator, type MemoryChange, type PassMode } from "./context.ts";
import type { Gate, GateCtx, Step } from "./gate.ts";
import { BEFORE_SLOT, UNDER_SLOT } from "./gates.ts";
import { held, type HeldSlot } from "./lock.ts";
import { outcome, type Outcome } from "./outcome.ts";
import { afterBoot } from "./_postboot.ts";
import { mergeFacts, newReport, type End, type Facts, type PassReport } from "./report.ts";
import { fence, giveBack } from "./_underslot.ts";
import { act } from "./_act.ts";
import { serverOwnSlot } from "./_grant-own.ts";
import { observeEtcd, recoverVanishedSlot } from "./_local-state.ts";
import { showDown, showFrozen, sweepStaleSlots } from "./_failures.ts";

/** The pass being assembled: the gate context and the report (written only here). */
interface Pass {
  g: GateCtx;
  r: PassReport;
}

export async function runPass(co: Coordinator, mode: PassMode, signal?: AbortSignal): Promise<PassReport> {
  const g: GateCtx = { co, mode, signal, state: undefined, stage: "before", attempts: 0 };
  const p: Pass = { g, r: newReport(co.plan.node, co.plan.group, mode !== "run" || co.plan.dryRun) };

  // The cluster view; a slot of our own means we are coming back from (or never did) a reboot.
  if (co.mode === "etcd") {
    await co.session.ensureLease();
    if (mode !== "status") await recoverVanishedSlot(co);
  }
  // Slots past their deadline become failures (and freezes) before anything is decided on them.
  g.state = await sweepStaleSlots(co, await co.lock.view("slots"), mode);
  await observeEtcd(co, g.state);
  showFrozen(co, g.state);
  if (g.state) {
    const inUse: Record<string, number> = {};
    for (const s of g.state.slots) inUse[s.group] = (inUse[s.group] ?? 0) + 1;
    take(p, { facts: { slotsInUse: inUse } });
  }
  // Only a backend with a view (our etcd slots) can show a slot of our own.
  const own = g.state?.slots.find((s) => s.node === co.plan.node);
  if (own) return onOwnSlot(p, own);

  // The kill switch comes after our own slot: a node that booted with it present still finishes
  // its post-boot release (that only gives budget back); it stops everything disruptive.
  const local = await runGates(p, BEFORE_SLOT.local);
  if (local) return refusedBefore(p, local.outcome);
  if (mode !== "status" && mode !== "grant") await co.kube.restoreLeftovers();

  const cluster = await runGates(p, BEFORE_SLOT.cluster);
  if (cluster) return refusedBefore(p, cluster.kind === "idle" ? await idle(p, cluster.outcome) : cluster.outcome);

  // Everything else (members, health, cooldowns, reboot history) only when a reboot is wanted.
  if (g.state) g.state = await co.lock.view("all");
  await observeEtcd(co, g.state);
  showDown(co, g.state);
  const full = await runGates(p, BEFORE_SLOT.full);
  if (full) return refusedBefore(p, full.outcome);

  // status (read-only, W17) stops here; so does --skip-lock (its acquire says the same).
  if (mode === "status") {
    const would = co.lock.wouldAcquire(g.state);
    return finish(p, { outcome: would, facts: holders(g, would) });
  }

  const fired = (p.r.preDetectors?.results ?? []).filter((d) => d.kind === "required").map((d) => d.name);
  const acq = await co.lock.acquire(fired.length ? { reason: `detectors: ${fired.join(", ")}` } : {});
  switch (acq.kind) {
    case "acquired":
      break;
    case "refused":
      return finish(p, { outcome: acq.outcome, facts: { ...(acq.queue ? { queue: acq.queue } : {}), ...holders(g, acq.outcome) } });
    case "own":
      // Another process (or server) took a slot for us between the read and the transaction.
      if (acq.slot.entry) return onOwnSlot(p, acq.slot.entry);
      return finish(p, { outcome: outcome("lock_unavailable", "the slot changed while taking it; retry", { retry: true }) });
  }
  co.ports.log.event("info", "slot_acquired", { slot: acq.slot.key, attempts: acq.attempts, backend: co.lock.kind });
  take(p, { facts: { slot: { key: acq.slot.key, phase: "preparing", attempts: acq.attempts } } });
  return underSlot({ ...p, g: { ...g, attempts: acq.attempts } }, acq.slot);
}

// --- internal ---

/** What a step saw goes into the report, what it changed into the loop memory. */
function take(p: Pass, s: { facts?: Facts | undefined; remember?: MemoryChange | undefined }): void {
  mergeFacts(p.r, s.facts);
  remember(p.g.co.memory, s.remember);
}

/** The step that ended the pass: its facts and its outcome. */
function finish(p: Pass, e: End): PassReport {
  mergeFacts(p.r, e.facts);
  p.r.outcome = e.outcome;
  return p.r;
}

/** Runs gates in order, taking what each saw; returns the first that does not continue. */
async function runGates(p: Pass, gates: readonly Gate[]): Promise<Exclude<Step, { kind: "continue" }> | undefined> {
  for (const gate of gates) {
    const s = await gate.run(p.g);
    take(p, s);
    if (s.kind !== "continue") return s;
  }
  return undefined;
}

/** A gate refused before the budget: we are not waiting for a slot now, so do not hold a place. */
async function refusedBefore(p: Pass, o: Outcome): Promise<PassReport> {
  if (p.g.mode !== "status") await p.g.co.lock.leave?.();
  return finish(p, { outcome: o });
}

/** Healthy with nothing to do: a FleetLock client gives back what it may hold (its post-boot release). */
async function idle(p: Pass, o: Outcome): Promise<Outcome> {
  if (p.g.mode === "status") return o;
  const back = await p.g.co.lock.idle();
  if (back.kind === "refused") return back.outcome;
  return back.said ? { ...o, message: `${o.message} (${back.said})` } : o;
}

/** The slots of the holders a refusal names (etcd only: a FleetLock server names none). */
function holders(g: GateCtx, o: Outcome): Facts {
  return o.holders && g.state ? { holders: g.state.slots.filter((s) => o.holders!.includes(s.node)) } : {};
}

/** Under the slot: every gate again (W4), then the fence and the act; a refusal gives the slot back. */
async function underSlot(p0: Pass, slot: HeldSlot): Promise<PassReport> {
  const p: Pass = { ...p0, g: { ...p0.g, stage: "under" } };
  const { co, mode } = p.g;
  try {
    p.g.state = await co.lock.view("all");
    await observeEtcd(co, p.g.state, true);
    const s = await runGates(p, UNDER_SLOT);
    if (s?.kind === "hold") return finish(p, { outcome: s.outcome });
    if (s) return finish(p, await giveBack(co, slot, s.outcome));
    if (mode === "once") return finish(p, await giveBack(co, slot, outcome("ready", "reboot prerequisites satisfied (--once: slot released, command not run)")));
    const f = await fence(p.g, slot);
    if (f.kind === "end") return finish(p, f);
    take(p, f);
    return finish(p, await act(co, f.slot, mode, p.r.command, p.g.state?.members.size || undefined));
  } catch (err) {
    // Never leave a preparing slot (or our cordon) behind on an error: free it now rather than
    // after the lease TTL / the next pass — unless the uncordon fails (then the slot stays).
    await giveBack(co, slot, outcome("runtime_error", "error while holding the slot")).catch(() => {});
    throw err;
  }
}

/** A slot of ours exists: the daemon's post-boot path, or the server's recursive / resumed grant. */
async function onOwnSlot(p: Pass, own: SlotEntry): Promise<PassReport> {
  const { co, mode, signal } = p.g;
  const found: Facts = { slot: { key: own.key, phase: own.record?.phase ?? "unknown" } };
  if (mode === "status")
    return finish(p, { outcome: outcome("lock_unavailable", `this node holds slot ${own.key} (phase ${own.record?.phase ?? "unknown"}); run without --once finishes it`), facts: found });
  if (co.mode === "server") {
    const s = await serverOwnSlot(co, own);
    if (s.kind === "done") return finish(p, s);
    take(p, { facts: { slot: { key: own.key, phase: "preparing", attempts: 1 } } });
    return underSlot(p, held(own));
  }
  // A daemon. Every way to "our" slot passes here (the view, or the acquire finding one): a slot
  // of our node name that another machine holds is never ours. That machine may be down right
  // now; treating its slot as ours would free it and reboot us too (two down, limit one).
  // A disk clone has our machine id too: the hardware id tells it apart (slots/identity.ts).
  const foreign = foreignMachine(own.record, co.plan);
  if (foreign) {
    const ours = describeMachine(co.plan);
    co.ports.metrics.inc("identity_conflicts_total");
    co.ports.log.event("error", "identity_conflict", { node: co.plan.node, slot: own.key, this_machine: ours, other_machine: foreign.theirs, clone: foreign.clone });
    return finish(p, { outcome: outcome("identity_conflict", `slot ${own.key} of node name ${co.plan.node} belongs to ${foreign.theirs}, this is ${ours}. ${identityFix(foreign.clone)}`), facts: found });
  }
  return finish(p, await afterBoot(co, own, signal));
}

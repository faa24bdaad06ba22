/**
 * The one reboot lifecycle, for every mode (docs/ARCHITECTURE.md):
 *   cluster view (own slot: post-boot path / recursive grant) → kill switch → pause, window,
 *   detectors → full view → loop guard, policy, health, cooldown, users, drain hold-off, command →
 *   take a slot → under the slot: every gate again, drain, window → fence → act.
 * The daemon pass, `run --once`, `status`, a FleetLock client node and the FleetLock server's
 * grant all run this function; only the coordinator's lock backend and capabilities differ.
 * Every outcome is a value; only etcd/environment failures throw (the loop backs off on them).
 */
import { describeMachine, foreignMachine, identityFix, type SlotEntry } from "../slots/index.ts";
import { remember, type Coordinator, type PassMode } from "./context.ts";
import { BEFORE_SLOT, runGates, type GateCtx } from "./gates.ts";
import { held } from "./lock.ts";
import { outcome, type Outcome } from "./outcome.ts";
import { afterBoot } from "./_postboot.ts";
import { mergeFacts, newReport, type PassReport } from "./report.ts";
import { underSlot } from "./_underslot.ts";
import { serverOwnSlot } from "./_grant-own.ts";
import { observeEtcd, recoverVanishedSlot } from "./_local-state.ts";
import { showDown, showFrozen, sweepStaleSlots } from "./_failures.ts";

export async function runPass(co: Coordinator, mode: PassMode, signal?: AbortSignal): Promise<PassReport> {
  const r = newReport(co.plan.node, co.plan.group, mode !== "run" || co.plan.dryRun);
  const g: GateCtx = { co, mode, signal, state: undefined, stage: "before", attempts: 0 };
  const done = (o: Outcome) => ((r.outcome = o), r);

  // The cluster view; a slot of our own means we are coming back from (or never did) a reboot.
  if (co.mode === "etcd") await co.session.ensureLease();
  if (co.mode === "etcd" && mode !== "status") await recoverVanishedSlot(co);
  // Slots past their deadline become failures (and freezes) before anything is decided on them.
  g.state = await sweepStaleSlots(co, await co.lock.view("slots"), mode);
  remember(co.memory, await observeEtcd(co, g.state));
  showFrozen(co, g.state);
  if (g.state) {
    r.slotsInUse = {};
    for (const s of g.state.slots) r.slotsInUse[s.group] = (r.slotsInUse[s.group] ?? 0) + 1;
  }
  const own = ownSlot(co, g.state?.slots ?? []);
  if (own) {
    if (mode === "status") {
      r.slot = { key: own.key, phase: own.record?.phase ?? "unknown" };
      return done(outcome("lock_unavailable", `this node holds slot ${own.key} (phase ${own.record?.phase ?? "unknown"}); run without --once finishes it`));
    }
    return onOwnSlot(g, r, own);
  }
  // The kill switch comes after our own slot: a node that booted with it present still finishes
  // its post-boot release (that only gives budget back); it stops everything disruptive.
  const local = await runGates(BEFORE_SLOT.local, g, r);
  if (local) {
    await leaveQueue(co, mode);
    return done(local.outcome);
  }
  if (mode !== "status" && mode !== "grant") await co.kube.restoreLeftovers();

  const cluster = await runGates(BEFORE_SLOT.cluster, g, r);
  if (cluster) {
    await leaveQueue(co, mode);
    return done(cluster.outcome);
  }

  // Everything else (members, health, cooldowns, reboot history) only when a reboot is wanted.
  if (g.state) g.state = await co.lock.view("all");
  remember(co.memory, await observeEtcd(co, g.state));
  showDown(co, g.state);
  const full = await runGates(BEFORE_SLOT.full, g, r);
  if (full) {
    await leaveQueue(co, mode);
    return done(full.outcome);
  }

  // status (read-only, W17) and --skip-lock stop here.
  if (mode === "status" || co.lock.kind === "none") {
    const would = co.lock.wouldAcquire(g.state);
    if (would.holders && g.state) r.holders = g.state.slots.filter((s) => would.holders!.includes(s.node));
    return done(would);
  }

  const fired = (r.preDetectors?.results ?? []).filter((d) => d.kind === "required").map((d) => d.name);
  const acq = await co.lock.acquire(fired.length ? { reason: `detectors: ${fired.join(", ")}` } : {});
  switch (acq.kind) {
    case "acquired":
      break;
    case "refused":
      if (acq.queue) r.queue = acq.queue;
      if (acq.outcome.holders && g.state) r.holders = g.state.slots.filter((s) => acq.outcome.holders!.includes(s.node));
      return done(acq.outcome);
    case "own":
      // Another process (or server) took a slot for us between the read and the transaction.
      if (acq.slot.entry) return onOwnSlot(g, r, acq.slot.entry);
      return done(outcome("lock_unavailable", "the slot changed while taking it; retry", { retry: true }));
  }
  co.ports.log.event("info", "slot_acquired", { slot: acq.slot.key, attempts: acq.attempts, backend: co.lock.kind });
  r.slot = { key: acq.slot.key, phase: "preparing", attempts: acq.attempts };
  return underSlot({ ...g, attempts: acq.attempts }, r, acq.slot);
}

// --- internal ---

/** A gate refused before the budget: we are not waiting for a slot now, so do not hold a place. */
async function leaveQueue(co: Coordinator, mode: string): Promise<void> {
  if (mode !== "status") await co.lock.leave?.();
}

/** A slot of ours exists: the daemon's post-boot path, or the server's recursive / resumed grant. */
async function onOwnSlot(g: GateCtx, r: PassReport, own: SlotEntry): Promise<PassReport> {
  const { co } = g;
  // Every way to "our" slot passes here (the view, or the acquire finding one): a slot of our node
  // name that another machine holds is never ours. That machine may be down right now; treating
  // its slot as ours would free it and reboot us too (two down, limit one).
  // A disk clone has our machine id too: the hardware id tells it apart (slots/identity.ts).
  const foreign = co.mode === "etcd" ? foreignMachine(own.record, co.plan) : undefined;
  if (foreign) {
    const ours = describeMachine(co.plan);
    co.ports.metrics.inc("identity_conflicts_total");
    co.ports.log.event("error", "identity_conflict", { node: co.plan.node, slot: own.key, this_machine: ours, other_machine: foreign.theirs, clone: foreign.clone });
    r.slot = { key: own.key, phase: own.record?.phase ?? "unknown" };
    r.outcome = outcome("identity_conflict", `slot ${own.key} of node name ${co.plan.node} belongs to ${foreign.theirs}, this is ${ours}. ${identityFix(foreign.clone)}`);
    return r;
  }
  if (co.mode === "server") {
    const s = await serverOwnSlot(co, own);
    if (s.kind === "done") {
      mergeFacts(r, s.facts);
      r.outcome = s.outcome;
      return r;
    }
    r.slot = { key: own.key, phase: "preparing", attempts: 1 };
    return underSlot(g, r, held(own));
  }
  if (co.mode === "etcd") {
    const e = await afterBoot(co, own, g.signal);
    mergeFacts(r, e.facts);
    r.outcome = e.outcome;
    return r;
  }
  r.outcome = outcome("runtime_error", `bug: a ${co.mode} coordinator found an etcd slot`);
  return r;
}

/** Our slot in the view: by node name (daemon) or FleetLock id (server, any group). */
function ownSlot(co: Coordinator, slots: readonly SlotEntry[]): SlotEntry | undefined {
  if (co.mode !== "etcd" && co.mode !== "server") return undefined;
  return slots.find((s) => s.node === co.plan.node);
}

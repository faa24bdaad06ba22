/**
 * The slot-key changes the model (models/slots.pml) allows, in one table: the replay of a real
 * etcd history (replay.ts) judges every observed change by it, and docs/SLOTS.md §The model
 * prints it. `step` is the model's step name; `code` the function that performs it.
 */
export type SlotPhase = "preparing" | "rebooting" | "verifying";
export type From = SlotPhase | "absent";
export type LeaseRule = "session" | "changed" | "same" | "none" | "any";

export interface SlotTransition {
  step: string;
  from: From | "any";
  to: SlotPhase | "absent";
  /** What the key's lease must do: a (non-zero) session lease, a different one, the same, any. */
  lease: LeaseRule;
  code: string;
}

export const SLOT_TRANSITIONS: readonly SlotTransition[] = [
  { step: "ACQUIRE", from: "absent", to: "preparing", lease: "session", code: "slots/acquire.ts tryAcquireSlot (RECREATE: acquireOnNewLease)" },
  { step: "FENCE", from: "preparing", to: "rebooting", lease: "changed", code: "slots/transitions.ts enterRebooting" },
  // max_failed_reboots >= 1: the fenced slot has no lease; only CONVERT (or the node) deletes it.
  { step: "FENCE", from: "preparing", to: "rebooting", lease: "none", code: "slots/transitions.ts enterRebooting (max_failed_reboots >= 1); RECREATE: updateSlot from orchestrate/_etcd-lock-boot.ts recover (_local-state.ts recoverVanishedSlot)" },
  // A pass that keeps its preparing slot (uncordon failed) moves it onto its own slot lease.
  { step: "KEEP", from: "preparing", to: "preparing", lease: "changed", code: "orchestrate: kept preparing slot onto a slot lease" },
  { step: "VERIFY", from: "rebooting", to: "verifying", lease: "same", code: "slots/transitions.ts updateSlot, from orchestrate/_etcd-lock-boot.ts markVerifying (_postboot.ts afterBoot)" },
  // RECREATE (marker present, slot gone, deadline not passed) is two of these rows: an ACQUIRE on a
  // fresh lease that is not kept alive, then the slot rewritten `rebooting` on no lease with its
  // create revision compared (the FENCE row with "none"; max_failed_reboots >= 1). With
  // max_failed_reboots 0 the rewrite keeps that slot lease: not modelled, and this table (which
  // cannot tell a slot lease from a session lease) would report it.
  { step: "RELEASE, RECHECK_REFUSED, RECOVER_PREPARING, DEADLINE_CHECK, UNLOCK, LEASE_EXPIRY, SLOT_EXPIRY, CONVERT", from: "any", to: "absent", lease: "any", code: "slots/transitions.ts releaseSlot, deleteSlots; etcd lease expiry" },
];

/** The step that allows `from` → `to` with this lease change, or undefined. */
export function allowedStep(from: From, to: SlotPhase | "absent", leaseBefore: string | undefined, leaseAfter: string | undefined): SlotTransition | undefined {
  return SLOT_TRANSITIONS.find((t) => {
    if (t.to !== to || (t.from !== "any" && t.from !== from)) return false;
    switch (t.lease) {
      case "any":
        return true;
      case "session":
        return leaseAfter !== undefined && leaseAfter !== "0";
      case "changed":
        return leaseAfter !== undefined && leaseAfter !== "0" && leaseAfter !== leaseBefore;
      case "same":
        return leaseAfter === leaseBefore;
      case "none":
        return leaseAfter === "0" && leaseBefore !== "0";
    }
  });
}

/**
 * The lock backend port: where a reboot slot comes from, and every write to it. Three
 * implementations: our etcd slots (a daemon's, or the FleetLock server's on behalf of a client:
 * _etcd-lock.ts, _etcd-lock-boot.ts), a remote FleetLock server (client mode:
 * fleetlock/client-lock.ts) and none (status --skip-lock: _no-lock.ts). The lifecycle only speaks
 * these tagged results; every etcd transaction stays in src/slots/, called from the etcd backend.
 * The result types are named Lock… here; slots/ has its own AcquireResult, FenceResult and
 * ReleaseResult for the transactions themselves.
 */
import type { ClusterState, QueueView, RebootsRecord, SlotEntry, SlotRecord } from "../slots/index.ts";
import type { Outcome } from "./outcome.ts";

/** A slot this coordinator holds (or found it holds). `entry` is the etcd view; absent for FleetLock. */
export interface HeldSlot {
  key: string;
  group: string;
  phase: string;
  entry?: SlotEntry;
  deadline?: string;
}

/** A slot entry of the view as the lifecycle holds it. */
export function held(e: SlotEntry): HeldSlot {
  return { key: e.key, group: e.group, phase: e.record?.phase ?? "unknown", entry: e, ...(e.record?.deadline ? { deadline: e.record.deadline } : {}) };
}

export type LockAcquire =
  | { kind: "acquired"; slot: HeldSlot; attempts: number } // the slot is ours, phase preparing
  | { kind: "own"; slot: HeldSlot } // this subject already holds one (after a reboot, or a resumed grant)
  | { kind: "refused"; outcome: Outcome; queue?: QueueView }; // budget full (our place in line), paused, cooldown, server refused, lost races

export type LockFence =
  | { kind: "fenced"; slot: HeldSlot } // on its long lease, phase rebooting: the command may run
  | { kind: "lost"; outcome: Outcome } // not ours any more: never reboot, nothing to give back
  | { kind: "refused"; outcome: Outcome }; // pause or cooldown appeared: give the slot back

export type LockRelease = { kind: "released"; cooldownSec: number; failure?: ReleaseFailure } | { kind: "not-held" };

/** Healthy with nothing to do: what the backend made of it (`said`: what it told a server, for the message). */
export type LockIdle = { kind: "ok"; said?: string } | { kind: "refused"; outcome: Outcome };

/** The post-boot release: what the node's reboots record said before it (for the marker and the metric). */
export type LockBootRelease =
  | { kind: "released"; cooldownSec: number; failure?: ReleaseFailure; rebootAt?: string; bootIdBefore?: string }
  | { kind: "raced" } // our slot is still there but changed (or the failures record did): retry
  | { kind: "gone" }; // our slot vanished before the release (expired or unlocked)

/** Taking a slot again that vanished while this node was down (the rebooting marker, _local-state.ts). */
export type LockRecover =
  | { kind: "present" } // our slot is there: the ordinary way back (the post-boot path verifies it)
  | { kind: "recreated"; key: string } // taken again as `rebooting` until the marker's deadline
  | { kind: "refused"; why: string }; // others used the budget meanwhile (why: the acquisition's answer)

/** A FleetLock client's recursive pre-reboot: its granted slot's lease, renewed once half used. */
export type LockRenew = { kind: "fresh" | "renewed"; deadline?: string } | { kind: "lost" };

export interface FenceInfo {
  bootId: string;
  nowMs: number;
  /** The reboot history to record in the fence's transaction (daemons; absent for FleetLock grants). */
  reboots?: RebootsRecord;
  /** The view the pass decided on under the slot: who is down is checked again at the fence. */
  state?: ClusterState;
}

export interface ReleaseInfo {
  /** Start the group cooldown (a reboot happened, or a dry run that behaves like one). */
  cooldown: boolean;
  nowMs: number;
}

export interface BootReleaseInfo {
  /** This boot's id (the reboots record's boot_id_after). */
  bootId: string;
  /** A new boot id: the reboot happened. Otherwise it counts towards max_failed_reboots. */
  rebooted: boolean;
  /** The slot record as this pass found it (the history entry credits its request and reason). */
  found: SlotRecord;
}

/** A slot past its deadline, turned into a failure by this pass (slots/failure.ts). */
export interface StaleSlotFailure {
  slot: string;
  node: string;
  group: string;
  phase: string;
  deadline: string;
  reason: "never_returned" | "unhealthy_past_deadline";
  froze: boolean;
  failures: number;
  /** The max_failed_reboots the slot's holder recorded (the one that applied). */
  limit: number;
}

/** What a release that counted a failure did to the group. */
export type ReleaseFailure = { froze: boolean; failures: number };

export interface LockBackend {
  /** For log lines and RC_LOCK_ENABLED; the lifecycle does not branch on it. */
  readonly kind: "etcd" | "fleetlock" | "none";
  /** How the slot lives on through the reboot, in the words of the `rebooting` outcome. */
  readonly throughReboot: { issued: string; failed: string };
  /**
   * One consistent read for the gates (pause, cooldown, policy, loop guard). undefined: this
   * backend decides those itself (a FleetLock server) or there is no lock (--skip-lock).
   */
  view(scope: "slots" | "all"): Promise<ClusterState | undefined>;
  /** status: what acquire would say now, without writing anything. */
  wouldAcquire(state: ClusterState | undefined): Outcome;
  /** `reason`: why this node wants the slot (the detectors that fired), kept in the slot record. */
  acquire(opts?: { reason?: string }): Promise<LockAcquire>;
  fence(slot: HeldSlot, info: FenceInfo): Promise<LockFence>;
  /** Gives back a slot before or instead of a reboot (a refusal under the slot, --once, a dry run). */
  release(slot: HeldSlot, info: ReleaseInfo): Promise<LockRelease>;
  /** Healthy and nothing to do: give back what may still be held (FleetLock steady-state). */
  idle(): Promise<LockIdle>;
  // After a reboot (the post-boot path), and the slot vanished while down: only a backend whose
  // view shows a slot of our own gets these calls; the others answer "nothing held" (noOwnSlot).
  /** Our slot, found `preparing` at the start of a pass: nobody rebooted under it. Frees it, no cooldown. */
  discard(slot: HeldSlot): Promise<boolean>;
  /** Back after the reboot (or it did not happen): the slot moves to `verifying`. undefined: it is gone. */
  markVerifying(slot: HeldSlot, info: { nowMs: number; rebooted: boolean }): Promise<HeldSlot | undefined>;
  /** Healthy after boot: frees the slot with the cooldown, the reboot's outcome and history, in one transaction. */
  releaseAfterBoot(slot: HeldSlot, info: BootReleaseInfo): Promise<LockBootRelease>;
  /** The rebooting marker says we went down under a slot that is not there: take it again until its deadline. */
  recover(marker: { bootId: string; deadline: string; nowMs: number }): Promise<LockRecover>;
  /** A resumed FleetLock grant (the server): the client proves it is alive, its slot lease is renewed. */
  renew(slot: HeldSlot): Promise<LockRenew>;
  /** Stopped waiting for a slot (a gate refused before the budget): leave the queue, if in it. */
  leave?(): Promise<void>;
  /**
   * A `preparing` slot this pass keeps (its uncordon failed) moves onto its own lease, so it
   * outlives the process (a one-shot pass revokes its session); etcd only.
   */
  keep?(slot: HeldSlot, why: string): Promise<HeldSlot | undefined>;
  /** Turns other nodes' slots past their deadline (max_failed_reboots ≥ 1) into failures, freezing groups. */
  sweep?(state: ClusterState, self: string): Promise<StaleSlotFailure[]>;
  /** Turns one slot (our own, back but unhealthy past its deadline) into a failure; undefined: it changed. */
  fail?(slot: HeldSlot): Promise<StaleSlotFailure | undefined>;
}

/**
 * The post-boot and recovery calls of a backend without a view of slots (a FleetLock client,
 * --skip-lock): it never finds a slot of its own, so nothing is ever held there. A FleetLock
 * client gives its lock back by steady-state (`idle`) once healthy, which is its post-boot release.
 */
export const noOwnSlot: Pick<LockBackend, "discard" | "markVerifying" | "releaseAfterBoot" | "recover" | "renew"> = {
  discard: async () => false,
  markVerifying: async () => undefined,
  releaseAfterBoot: async () => ({ kind: "gone" }),
  recover: async () => ({ kind: "present" }),
  renew: async () => ({ kind: "lost" }),
};

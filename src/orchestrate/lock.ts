/**
 * The lock backend port: where a reboot slot comes from. Three implementations: our etcd slots
 * (a daemon's, or the FleetLock server's on behalf of a client: _etcd-lock.ts), a remote
 * FleetLock server (client mode: _remote-lock.ts) and none (status --skip-lock). The lifecycle in
 * pass.ts only speaks these tagged results; every etcd transaction stays in src/slots/.
 */
import type { ClusterState, HistoryEntry, QueueView, RebootsRecord, SlotEntry } from "../slots/index.ts";
import type { Outcome } from "./outcome.ts";

/** A slot this coordinator holds (or found it holds). `entry` is the etcd view; absent for FleetLock. */
export interface HeldSlot {
  key: string;
  group: string;
  phase: string;
  entry?: SlotEntry;
  deadline?: string;
}

export type AcquireResult =
  | { kind: "acquired"; slot: HeldSlot; attempts: number } // the slot is ours, phase preparing
  | { kind: "own"; slot: HeldSlot } // this subject already holds one (after a reboot, or a resumed grant)
  | { kind: "refused"; outcome: Outcome; queue?: QueueView }; // budget full (our place in line), paused, cooldown, server refused, lost races

export type FenceResult =
  | { kind: "fenced"; slot: HeldSlot } // on its long lease, phase rebooting: the command may run
  | { kind: "lost"; outcome: Outcome } // not ours any more: never reboot, nothing to give back
  | { kind: "refused"; outcome: Outcome }; // pause or cooldown appeared: give the slot back

export type ReleaseResult = { kind: "released"; cooldownSec: number; failure?: ReleaseFailure } | { kind: "not_held" };

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
  reboots?: RebootsRecord;
  /** The node's reboot history including this reboot (bounded), written with the release. */
  history?: readonly HistoryEntry[];
  /** Delete the node's on-demand reboot request in the same transaction (it is done). */
  clearRequest?: boolean;
  /** The reboot failed (it did not happen): count it towards max_failed_reboots in the same transaction. */
  failure?: "reboot_not_happened";
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
  readonly kind: "etcd" | "fleetlock" | "none";
  /**
   * One consistent read for the gates (pause, cooldown, policy, loop guard). undefined: this
   * backend decides those itself (a FleetLock server) or there is no lock (--skip-lock).
   */
  view(scope: "slots" | "all"): Promise<ClusterState | undefined>;
  /** status: what acquire would say now, without writing anything. */
  wouldAcquire(state: ClusterState | undefined): Outcome;
  /** `reason`: why this node wants the slot (the detectors that fired), kept in the slot record. */
  acquire(opts?: { reason?: string }): Promise<AcquireResult>;
  fence(slot: HeldSlot, info: FenceInfo): Promise<FenceResult>;
  release(slot: HeldSlot, info: ReleaseInfo): Promise<ReleaseResult>;
  /** Healthy and nothing to do: give back what may still be held (FleetLock steady-state). */
  idle(): Promise<Outcome | undefined>;
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

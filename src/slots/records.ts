/**
 * The JSON values we keep in etcd, each parsed by a valibot schema. A value of the wrong shape is
 * treated as absent ("discard, don't repair") — except slots, where an unreadable slot still counts
 * against the budget (see state.ts): safety first.
 */
import * as v from "valibot";

const Name = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,63}$/));
const Iso = v.pipe(v.string(), v.isoTimestamp());

export const SlotPhase = v.picklist(["preparing", "rebooting", "verifying"]);
export type SlotPhase = v.InferOutput<typeof SlotPhase>;

/** Who holds the slot: a coordinator daemon, a FleetLock client, or an operator by hand. */
export const HolderKind = v.picklist(["daemon", "fleetlock", "operator"]);

export const SlotRecordSchema = v.object({
  node: Name,
  group: Name,
  phase: SlotPhase,
  holder: HolderKind,
  pid: v.number(),
  boot_id: v.string(),
  acquired_at: Iso,
  phase_at: Iso,
  /** When the slot lease expires if the node never comes back (rebooting/verifying only). */
  deadline: v.optional(Iso),
  /** The group limit and global cap the holder enforced: later acquirers honour the smallest. */
  limit: v.pipe(v.number(), v.integer(), v.minValue(1)),
  global_cap: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))),
  reason: v.optional(v.string()),
  /** When the holder joined the group's queue for this slot (absent: it never waited in it). */
  waiting_since: v.optional(Iso),
  /** The machine (machine-id) of the daemon holding it: a cloned SD card has the same node name. */
  machine_id: v.optional(v.string()),
  /** Its hardware id (slots/identity.ts): a disk clone has the same machine id but not this. */
  hardware_id: v.optional(v.string()),
  /** FleetLock: the client address that took the lock (fleetlock.bind_client_address). */
  client_address: v.optional(v.string()),
  /**
   * The holder's max_failed_reboots. ≥ 1: the fenced slot lives on no lease and, past its
   * deadline, is turned into a failure (and a freeze) by whoever sees it (slots/failure.ts).
   * 0 or absent: the slot lease frees it at the deadline (the Go behaviour).
   */
  max_failed_reboots: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /**
   * The on-demand request this reboot consumes, as it was at the fence: the post-boot release
   * deletes the request key only while it still has this mod revision (a request made while the
   * node was down is a new one, and stays), and the history credits this one.
   */
  request: v.optional(v.object({ mod_revision: v.number(), by: v.string(), reason: v.optional(v.string()) })),
});
export type SlotRecord = v.InferOutput<typeof SlotRecordSchema>;

export const HealthRecordSchema = v.object({
  node: Name,
  group: Name,
  healthy: v.boolean(),
  phase: v.string(),
  reason: v.optional(v.string()),
  checked_at: Iso,
  boot_id: v.string(),
  pid: v.number(),
  /** Monotonic per process: a publisher never overwrites a newer result with an older one (W16). */
  seq: v.number(),
  machine_id: v.optional(v.string()),
  hardware_id: v.optional(v.string()),
  // Optional, for the dashboard's "who waits and why"; absent from older daemons' records.
  /** The detectors say this node needs a reboot. */
  needs_reboot: v.optional(v.boolean()),
  /** Why a node that needs a reboot is not rebooting now (e.g. "group full", "paused", "window"). */
  blocked_reason: v.optional(v.string()),
  /** Since when it has been blocked for that reason. */
  blocked_since: v.optional(v.string()),
  /**
   * `run --timer`: the record outlives the pass (its own lease of timer_presence_sec) and is
   * trusted until this time, so peers do not count the node as down between passes.
   */
  presence_until: v.optional(Iso),
});
export type HealthRecord = v.InferOutput<typeof HealthRecordSchema>;

export const MemberRecordSchema = v.object({
  node: Name,
  group: Name,
  fallback: v.boolean(),
  first_seen: Iso,
  machine_id: v.optional(v.string()),
  hardware_id: v.optional(v.string()),
  /** The group limit and global cap this member enforces: a FleetLock server honours the smallest. */
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  global_cap: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1)))),
});
export type MemberRecord = v.InferOutput<typeof MemberRecordSchema>;

/** Why a reboot counts as failed (max_failed_reboots). */
export const FailureReason = v.picklist(["never_returned", "unhealthy_past_deadline", "reboot_not_happened"]);
export type FailureReason = v.InferOutput<typeof FailureReason>;

export const FailureSchema = v.object({ node: Name, slot: v.string(), reason: FailureReason, at: Iso, deadline: v.optional(Iso) });
export type Failure = v.InferOutput<typeof FailureSchema>;

/** `P/failures/<group>`: failed reboots since the group was last resumed. */
export const FailuresRecordSchema = v.object({ group: Name, failures: v.array(FailureSchema) });
export type FailuresRecord = v.InferOutput<typeof FailuresRecordSchema>;

/** `P/frozen/<group>`: a group-scoped pause written with the failure that reached max_failed_reboots. */
export const FreezeRecordSchema = v.object({
  group: Name,
  node: Name,
  slot: v.string(),
  reason: FailureReason,
  at: Iso,
  failures: v.pipe(v.number(), v.integer()),
  max_failed_reboots: v.pipe(v.number(), v.integer()),
});
export type FreezeRecord = v.InferOutput<typeof FreezeRecordSchema>;

export const ResetAckSchema = v.object({ cluster_id: v.string(), by: v.string(), at: Iso });
export type ResetAck = v.InferOutput<typeof ResetAckSchema>;

export const PauseRecordSchema = v.object({ reason: v.string(), by: v.string(), at: Iso });
export type PauseRecord = v.InferOutput<typeof PauseRecordSchema>;

export const CooldownRecordSchema = v.object({
  node: Name,
  group: Name,
  released_at: Iso,
  duration_sec: v.number(),
});
export type CooldownRecord = v.InferOutput<typeof CooldownRecordSchema>;

export const RebootsRecordSchema = v.object({
  node: Name,
  /** Reboot commands issued under a slot (ISO times), newest last, pruned to the guard window. */
  history: v.array(Iso),
  last_reboot_at: v.optional(Iso),
  boot_id_before: v.optional(v.string()),
  boot_id_after: v.optional(v.string()),
  last_outcome: v.optional(v.string()),
});
export type RebootsRecord = v.InferOutput<typeof RebootsRecordSchema>;

/** `request-reboot NODE`: the node's daemon treats it as a detector firing; every gate still applies. */
export const RebootRequestSchema = v.object({
  node: Name,
  by: v.string(),
  at: Iso,
  reason: v.optional(v.string()),
  /** Go outside the maintenance windows (never past the budget, pause, kill switch or health). */
  ignore_window: v.boolean(),
});
export type RebootRequest = v.InferOutput<typeof RebootRequestSchema>;

/** How many reboots per node the history keeps; the oldest is dropped in the same transaction. */
export const HISTORY_LIMIT = 50;

/** One reboot the coordinator caused, written in the post-boot release transaction. */
export const HistoryEntrySchema = v.object({
  node: Name,
  machine_id: v.optional(v.string()),
  group: Name,
  /** Detector names that fired, or `request:<who>` for an on-demand reboot. */
  why: v.array(v.string()),
  slot_taken_at: Iso,
  slot_released_at: Iso,
  /** Seconds in the group's queue before the slot was taken (absent: not known, e.g. a FleetLock client). */
  wait_seconds: v.optional(v.number()),
  /** Reboot command time (the fence): from slot taken to here is wait + drain. */
  reboot_at: v.optional(Iso),
  /** Seconds from the slot taken to the reboot command (drain and pre-reboot hooks). */
  drain_seconds: v.optional(v.number()),
  /** Seconds from the reboot command to the post-boot verification starting (the machine was down). */
  down_seconds: v.optional(v.number()),
  /** Seconds from the post-boot verification starting to healthy and released. */
  boot_to_healthy_seconds: v.optional(v.number()),
  boot_id_before: v.optional(v.string()),
  boot_id_after: v.optional(v.string()),
  /** never_returned / unhealthy_past_deadline: the slot passed its deadline and was turned into a failure. */
  outcome: v.picklist(["rebooted", "reboot_not_happened", "never_returned", "unhealthy_past_deadline"]),
  /** This failure reached max_failed_reboots and froze the group. */
  froze_group: v.optional(v.boolean()),
});
export type HistoryEntry = v.InferOutput<typeof HistoryEntrySchema>;
export const HistoryRecordSchema = v.array(HistoryEntrySchema);

/** Appends an entry to a node's history, dropping the oldest beyond HISTORY_LIMIT. */
export function appendHistory(prev: readonly HistoryEntry[] | undefined, entry: HistoryEntry, limit = HISTORY_LIMIT): HistoryEntry[] {
  return [...(prev ?? []), entry].slice(-limit);
}

/** Parses a stored JSON value; undefined when it is not JSON or not of the expected shape. */
export function parseRecord<S extends v.GenericSchema>(schema: S, raw: string | undefined): v.InferOutput<S> | undefined {
  if (raw === undefined || raw === "") return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const r = v.safeParse(schema, data);
  return r.success ? r.output : undefined;
}

/**
 * A failed reboot stops the rollout of its group. A node that never comes back, comes back and
 * stays unhealthy past its slot's deadline, or whose reboot did not happen is a *failure*; when a
 * group's failures reach max_failed_reboots (the holder's, recorded in its slot) the group is
 * frozen: `P/frozen/<group>`, a group-scoped pause written in the same transaction that frees the
 * slot or records the failure. Acquisitions and fences compare it absent; only an operator's
 * `resume --group G` (or `resume`) lifts it, and clears the failures. docs/SLOTS.md §Failures.
 *
 * With max_failed_reboots ≥ 1 a fenced slot lives on no lease: it never expires by itself, so the
 * freeze can commit with the free (a lease expiry is no transaction of ours). Whoever sees such a
 * slot past its deadline — any daemon's pass, the FleetLock server — converts it here.
 */
import type { Compare, EtcdGateway, WriteOp } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import {
  appendHistory,
  FailuresRecordSchema,
  HistoryRecordSchema,
  parseRecord,
  type Failure,
  type FailureReason,
  type FreezeRecord,
  type HistoryEntry,
  type SlotRecord,
} from "./records.ts";
import type { SlotEntry } from "./state.ts";

const REASON_TEXT: Record<FailureReason, string> = {
  never_returned: "did not come back before its slot's deadline",
  unhealthy_past_deadline: "came back but stayed unhealthy past its slot's deadline",
  reboot_not_happened: "ran the reboot command but did not reboot",
};

export function describeFreeze(group: string, rec: FreezeRecord | undefined): string {
  const what = rec
    ? `since ${rec.at}: ${rec.node} ${REASON_TEXT[rec.reason]} (failure ${rec.failures} of max_failed_reboots ${rec.max_failed_reboots})`
    : "(its freeze record is unreadable)";
  return `group ${group} is frozen ${what}; no node of the group reboots until an operator checks it and runs 'clusterrebootd resume --group ${group}'`;
}

/** max_failed_reboots as the slot's holder set it (0: the Go behaviour, the slot lease frees it). */
export const failureLimit = (rec: SlotRecord | undefined): number => rec?.max_failed_reboots ?? 0;

/** Is this slot past its deadline and ours to turn into a failure? Deadlines are wall clock: allow for skew. */
export function isStaleSlot(s: SlotEntry, nowMs: number, skewMs: number): boolean {
  const rec = s.record;
  if (!rec?.deadline || failureLimit(rec) < 1 || rec.phase === "preparing") return false;
  return nowMs > Date.parse(rec.deadline) + skewMs;
}

export interface FailurePlan {
  compares: Compare[];
  writes: WriteOp[];
  froze: boolean;
  count: number;
}

/**
 * The compares and writes that record one failure of `group` (and freeze it when this is the
 * K-th), to go into the transaction that frees or releases the slot. Reads the failures record
 * and guards it by its revision, so two failures at once are both counted.
 */
export async function planFailure(gw: EtcdGateway, keys: Keys, f: Failure, group: string, limit: number): Promise<FailurePlan> {
  const kv = await gw.get(keys.failures(group));
  const prev = kv ? parseRecord(FailuresRecordSchema, kv.value) : { group, failures: [] };
  // An unreadable failures record is replaced only by a freeze: we cannot count, so we stop.
  const failures = [...(prev?.failures ?? []), f].slice(-50);
  const count = prev ? failures.length : limit;
  const froze = count >= limit;
  const compares: Compare[] = [kv ? { key: keys.failures(group), target: "mod", op: "==", value: kv.modRevision } : { key: keys.failures(group), target: "version", op: "==", value: 0 }];
  const writes: WriteOp[] = [{ kind: "put", key: keys.failures(group), value: JSON.stringify({ group, failures }) }];
  if (froze) {
    const freeze: FreezeRecord = { group, node: f.node, slot: f.slot, reason: f.reason, at: f.at, failures: count, max_failed_reboots: limit };
    writes.push({ kind: "put", key: keys.frozen(group), value: JSON.stringify(freeze) });
  }
  return { compares, writes, froze, count };
}

export type StaleResult = { kind: "converted"; froze: boolean; count: number } | { kind: "changed" };

/**
 * Frees a slot past its deadline as a failure, in one transaction: the slot exactly as seen
 * (create and mod revision: its node did not move it meanwhile), deleted; the failure counted;
 * the group frozen when it is the K-th; the node's history told. Model step CONVERT.
 */
export async function convertStaleSlot(gw: EtcdGateway, keys: Keys, s: SlotEntry, nowMs: number): Promise<StaleResult> {
  const rec = s.record;
  if (!rec) return { kind: "changed" };
  const reason: FailureReason = rec.phase === "verifying" ? "unhealthy_past_deadline" : "never_returned";
  const at = new Date(nowMs).toISOString();
  for (let attempt = 0; attempt < 3; attempt++) {
    const plan = await planFailure(gw, keys, { node: s.node, slot: s.key, reason, at, ...(rec.deadline ? { deadline: rec.deadline } : {}) }, s.group, failureLimit(rec));
    const history = await historyWith(gw, keys, s.node, failureEntry(rec, reason, at, plan.froze));
    const res = await gw.txn(
      [{ key: s.key, target: "create", op: "==", value: s.createRevision }, { key: s.key, target: "mod", op: "==", value: s.modRevision }, ...plan.compares],
      [{ kind: "delete", key: s.key }, ...plan.writes, ...(history ? [{ kind: "put" as const, key: keys.history(s.node), value: JSON.stringify(history) }] : [])],
    );
    if (res.succeeded) return { kind: "converted", froze: plan.froze, count: plan.count };
    // Lost a race: on the slot (its node moved it, someone converted it) we are done; on the
    // failures record (another failure at the same moment) we count again.
    const cur = await gw.get(s.key);
    if (!cur || cur.createRevision !== s.createRevision || cur.modRevision !== s.modRevision) return { kind: "changed" };
  }
  return { kind: "changed" };
}

/** The history entry of a failed reboot (the post-boot release writes the successful ones). */
export function failureEntry(rec: SlotRecord, reason: FailureReason, atIso: string, froze: boolean): HistoryEntry {
  return {
    node: rec.node,
    ...(rec.machine_id ? { machine_id: rec.machine_id } : {}),
    group: rec.group,
    why: rec.reason ? [rec.reason] : [],
    slot_taken_at: rec.acquired_at,
    slot_released_at: atIso,
    // phase_at of a rebooting slot is the fence, i.e. the reboot command.
    ...(rec.phase === "rebooting" ? { reboot_at: rec.phase_at } : {}),
    boot_id_before: rec.boot_id,
    outcome: reason === "reboot_not_happened" ? "reboot_not_happened" : reason,
    ...(froze ? { froze_group: true } : {}),
  };
}

/** The node's history with `entry` appended; undefined when the stored history is unreadable (left alone). */
async function historyWith(gw: EtcdGateway, keys: Keys, node: string, entry: HistoryEntry): Promise<HistoryEntry[] | undefined> {
  const raw = (await gw.get(keys.history(node)))?.value;
  const prev = raw === undefined ? [] : parseRecord(HistoryRecordSchema, raw);
  return prev === undefined ? undefined : appendHistory(prev, entry);
}

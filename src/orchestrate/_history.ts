/**
 * The audit entry for one reboot the coordinator caused, built at the post-boot release from what
 * etcd already holds: the slot record (taken, fence time, verifying time), the reboots record (the
 * boot ids) and now. It is written in the release's own transaction (slots/transitions.ts).
 */
import type { EtcdGateway } from "../etcd/index.ts";
import { appendHistory, HistoryRecordSchema, parseRecord, type HistoryEntry, type Keys, type RebootsRecord, type SlotRecord } from "../slots/index.ts";

const secs = (fromIso: string | undefined, toMs: number): number | undefined => {
  const t = fromIso ? Date.parse(fromIso) : NaN;
  return Number.isFinite(t) ? Math.max(0, Math.round((toMs - t) / 1000)) : undefined;
};

export function historyEntry(i: {
  slot: SlotRecord;
  verifyingAt: string | undefined;
  prev: RebootsRecord | undefined;
  bootIdAfter: string;
  rebooted: boolean;
  nowMs: number;
}): HistoryEntry {
  const rebootAt = i.prev?.last_reboot_at;
  const verifyingMs = i.verifyingAt ? Date.parse(i.verifyingAt) : NaN;
  const drain = rebootAt ? secs(i.slot.acquired_at, Date.parse(rebootAt)) : undefined;
  const down = rebootAt && Number.isFinite(verifyingMs) ? secs(rebootAt, verifyingMs) : undefined;
  const healthy = i.verifyingAt ? secs(i.verifyingAt, i.nowMs) : undefined;
  const wait = i.slot.waiting_since ? secs(i.slot.waiting_since, Date.parse(i.slot.acquired_at)) : undefined;
  return {
    node: i.slot.node,
    ...(i.slot.machine_id ? { machine_id: i.slot.machine_id } : {}),
    group: i.slot.group,
    why: [...(i.slot.request ? [requestWhy(i.slot.request)] : []), ...(i.slot.reason ? [i.slot.reason] : [])],
    slot_taken_at: i.slot.acquired_at,
    slot_released_at: new Date(i.nowMs).toISOString(),
    ...(wait !== undefined ? { wait_seconds: wait } : {}),
    ...(rebootAt ? { reboot_at: rebootAt } : {}),
    ...(drain !== undefined ? { drain_seconds: drain } : {}),
    ...(down !== undefined ? { down_seconds: down } : {}),
    ...(healthy !== undefined ? { boot_to_healthy_seconds: healthy } : {}),
    ...(i.prev?.boot_id_before ? { boot_id_before: i.prev.boot_id_before } : {}),
    boot_id_after: i.bootIdAfter,
    outcome: i.rebooted ? "rebooted" : "reboot_not_happened",
  };
}

/**
 * The node's history with this reboot appended (bounded). A stored value that does not parse is
 * left as it is (undefined: no history write) rather than overwritten: unreadable state is shown
 * by `history`, never silently replaced — the release itself must not wait on the audit trail.
 */
export async function historyWithThisReboot(
  etcd: { gw: EtcdGateway; keys: Keys },
  i: Parameters<typeof historyEntry>[0],
): Promise<HistoryEntry[] | undefined> {
  const raw = (await etcd.gw.get(etcd.keys.history(i.slot.node)))?.value;
  const prev = raw === undefined ? [] : parseRecord(HistoryRecordSchema, raw);
  if (prev === undefined) return undefined;
  return appendHistory(prev, historyEntry(i));
}

/**
 * The request the fence recorded as consumed (not whatever is pending at the release: one made
 * while the node was down is the next reboot's), with the operator's --reason.
 */
function requestWhy(r: NonNullable<SlotRecord["request"]>): string {
  return `request:${r.by}${r.reason ? ` (${r.reason})` : ""}`;
}

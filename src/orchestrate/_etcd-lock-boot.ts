/**
 * The etcd lock backend after the fence: the post-boot path's writes (a `preparing` slot nobody
 * rebooted under, `verifying`, the release with the reboot's outcome and history), the slot taken
 * again after it vanished while the node was down, and a FleetLock grant's lease renewal. Every
 * transaction is in src/slots/; this builds what they write from the lifecycle's facts.
 */
import type { EtcdGateway } from "../etcd/index.ts";
import type { Clock } from "../platform/index.ts";
import {
  acquireOnNewLease,
  deleteSlots,
  parseRecord,
  RebootsRecordSchema,
  refreshSlotLease,
  updateSlot,
  type HistoryEntry,
  type Keys,
  type RebootsRecord,
  type SlotRequest,
} from "../slots/index.ts";
import { historyWithThisReboot } from "./_history.ts";
import { held, type HeldSlot, type LockBackend, type LockRelease } from "./lock.ts";

/** What a release writes besides freeing the slot (the post-boot release writes all of it). */
export interface ReleaseWrites {
  cooldown: boolean;
  nowMs: number;
  reboots?: RebootsRecord;
  /** The node's reboot history including this reboot (bounded). */
  history?: readonly HistoryEntry[];
  /** Delete the node's on-demand reboot request in the same transaction (it is done). */
  clearRequest?: boolean;
  /** The reboot did not happen: count it towards max_failed_reboots in the same transaction. */
  failure?: "reboot_not_happened";
}

export interface BootDeps {
  gw: EtcdGateway;
  keys: Keys;
  clock: Clock;
  subject: Omit<SlotRequest, "leaseId" | "nowIso">;
  slotTimeoutSec: number;
  /** The backend's own release (timed, cooldown counted, failure planned). */
  release(slot: HeldSlot, w: ReleaseWrites): Promise<LockRelease>;
}

export type BootTransitions = Pick<LockBackend, "discard" | "markVerifying" | "releaseAfterBoot" | "recover" | "renew">;

export function bootTransitions(d: BootDeps): BootTransitions {
  const { gw, keys, clock, subject } = d;
  return {
    discard: async (slot) => (slot.entry ? (await deleteSlots(gw, [slot.entry])) > 0 : false),

    async markVerifying(slot, info) {
      const e = slot.entry;
      if (!e?.record) return undefined;
      const up = await updateSlot(gw, e, {
        ...e.record,
        phase: "verifying",
        phase_at: new Date(info.nowMs).toISOString(),
        ...(info.rebooted ? {} : { reason: "reboot did not happen" }),
      });
      return up.kind === "updated" ? held(up.slot) : undefined;
    },

    async releaseAfterBoot(slot, info) {
      const e = slot.entry;
      if (!e) return { kind: "gone" };
      const prev = parseRecord(RebootsRecordSchema, (await gw.get(keys.reboots(subject.node)))?.value);
      const nowMs = clock.now();
      const history = await historyWithThisReboot({ gw, keys }, { slot: info.found, verifyingAt: e.record?.phase_at, prev, bootIdAfter: info.bootId, rebooted: info.rebooted, nowMs });
      const rel = await d.release(slot, {
        cooldown: true,
        nowMs,
        ...(history ? { history } : {}),
        clearRequest: true,
        ...(info.rebooted ? {} : { failure: "reboot_not_happened" as const }),
        reboots: {
          node: subject.node,
          history: prev?.history ?? [],
          ...(prev?.last_reboot_at ? { last_reboot_at: prev.last_reboot_at } : {}),
          ...(prev?.boot_id_before ? { boot_id_before: prev.boot_id_before } : {}),
          boot_id_after: info.bootId,
          last_outcome: info.rebooted ? "rebooted" : "reboot did not happen",
        },
      });
      // Our slot, or (when a failure was counted) the group's failures record, changed meanwhile.
      if (rel.kind === "not-held") return (await gw.get(e.key)) ? { kind: "raced" } : { kind: "gone" };
      return {
        ...rel,
        ...(prev?.last_reboot_at !== undefined ? { rebootAt: prev.last_reboot_at } : {}),
        ...(prev?.boot_id_before !== undefined ? { bootIdBefore: prev.boot_id_before } : {}),
      };
    },

    // Model step RECREATE (the decision to try is _local-state.ts recoverVanishedSlot's).
    async recover(m) {
      // The ordinary way back: our slot is there (one get; the post-boot path verifies and releases it).
      if (await gw.get(keys.slot(subject.group, subject.node))) return { kind: "present" };
      const { node, group, limit, globalCap, holder, pid, machineId, hardwareId } = subject;
      const res = await acquireOnNewLease(
        gw,
        keys,
        { node, group, limit, globalCap, holder, pid, bootId: m.bootId, nowIso: new Date(m.nowMs).toISOString(), ...(machineId ? { machineId } : {}), ...(hardwareId ? { hardwareId } : {}) },
        Math.max(1, Math.ceil((Date.parse(m.deadline) - m.nowMs) / 1000)),
      );
      // Our slot is still there: the ordinary way back (the post-boot path verifies and releases it).
      if (res.kind === "already-held") return { kind: "present" };
      if (res.kind !== "acquired") return { kind: "refused", why: res.kind };
      // max_failed_reboots ≥ 1: like the fence, no lease — past the deadline it becomes a failed
      // reboot (and maybe a freeze), never a silent expiry (slots/failure.ts).
      const k = subject.maxFailedReboots ?? 0;
      const slot = k >= 1 ? { ...res.slot, lease: "0" } : res.slot;
      await updateSlot(gw, slot, { ...res.record, phase: "rebooting", deadline: m.deadline, reason: "re-created after it vanished while this node was down", ...(k >= 1 ? { max_failed_reboots: k } : {}) });
      return { kind: "recreated", key: res.slot.key };
    },

    async renew(slot) {
      const e = slot.entry;
      if (!e?.record) return { kind: "lost" };
      const ref = await refreshSlotLease(gw, e, e.record, { slotTimeoutSec: d.slotTimeoutSec, nowMs: clock.now() });
      if (ref.kind === "slot-lost") return { kind: "lost" };
      return { kind: ref.kind === "refreshed" ? "renewed" : "fresh", ...(ref.record.deadline ? { deadline: ref.record.deadline } : {}) };
    },
  };
}

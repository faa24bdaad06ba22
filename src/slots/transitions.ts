/**
 * The slot's life after acquisition: preparing → rebooting (the fence) → verifying → released.
 * Identity of a slot is its key plus create_revision: a slot that expired and was taken again
 * (even by the same node) is a different slot, and no transition of the old one can touch it.
 */
import type { EtcdGateway, WriteOp } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import type { RebootsRecord, SlotRecord } from "./records.ts";
import type { SlotEntry } from "./state.ts";

export type FenceResult =
  | { kind: "fenced"; slot: SlotEntry; record: SlotRecord } // slot moved to `rebooting` on the long lease: run the command
  | { kind: "slot-lost" } // our slot is gone or replaced: never reboot
  | { kind: "paused" } // the pause key appeared while we prepared
  | { kind: "cooldown" }; // a reboot in our group finished moments ago

/**
 * The fence (W5): immediately before the reboot command, one transaction checks that our slot is
 * still exactly ours, that the cluster is not paused and the group not cooling down, and moves the
 * slot onto its own lease of `slotTimeoutSec` so it survives this process and the reboot. If the
 * node never comes back, that lease frees the slot after the timeout.
 */
export async function enterRebooting(
  gw: EtcdGateway,
  keys: Keys,
  slot: SlotEntry,
  record: SlotRecord,
  opts: { slotTimeoutSec: number; bootId: string; nowMs: number; reboots: RebootsRecord },
): Promise<FenceResult> {
  const lease = await gw.grantLease(opts.slotTimeoutSec, { keepAlive: false });
  const nowIso = new Date(opts.nowMs).toISOString();
  const next: SlotRecord = {
    ...record,
    phase: "rebooting",
    phase_at: nowIso,
    boot_id: opts.bootId,
    deadline: new Date(opts.nowMs + opts.slotTimeoutSec * 1000).toISOString(),
  };
  const res = await gw.txn(
    [
      { key: slot.key, target: "create", op: "==", value: slot.createRevision },
      { key: slot.key, target: "mod", op: "==", value: slot.modRevision },
      { key: keys.pause, target: "version", op: "==", value: 0 },
      { key: keys.cooldown(slot.group), target: "version", op: "==", value: 0 },
    ],
    [
      { kind: "put", key: slot.key, value: JSON.stringify(next), lease: lease.id },
      { kind: "put", key: keys.reboots(slot.node), value: JSON.stringify(opts.reboots) },
    ],
  );
  lease.release();
  if (res.succeeded) return { kind: "fenced", slot: { ...slot, modRevision: res.revision, lease: lease.id }, record: next };
  await lease.revoke().catch(() => {});
  const snap = await gw.snapshot([], [slot.key, keys.pause, keys.cooldown(slot.group)]);
  const [cur, pause, cooldown] = snap.keys;
  if (!cur || cur.createRevision !== slot.createRevision) return { kind: "slot-lost" };
  if (pause) return { kind: "paused" };
  if (cooldown) return { kind: "cooldown" };
  return { kind: "slot-lost" };
}

/** Rewrites our slot's record (e.g. phase `verifying` after boot) keeping its lease. */
export async function updateSlot(
  gw: EtcdGateway,
  slot: SlotEntry,
  record: SlotRecord,
): Promise<{ kind: "updated"; slot: SlotEntry } | { kind: "slot-lost" }> {
  const res = await gw.txn(
    [{ key: slot.key, target: "create", op: "==", value: slot.createRevision }],
    [{ kind: "put", key: slot.key, value: JSON.stringify(record), lease: slot.lease }],
  );
  return res.succeeded ? { kind: "updated", slot: { ...slot, record, modRevision: res.revision } } : { kind: "slot-lost" };
}

export type ReleaseResult = { kind: "released"; cooldownSec: number } | { kind: "not-held" };

/**
 * Frees our slot, and in the same transaction starts the group's cooldown (measured from the node
 * being back and healthy, not from the reboot command) and records the reboot outcome.
 */
export async function releaseSlot(
  gw: EtcdGateway,
  keys: Keys,
  slot: SlotEntry,
  opts: { cooldownSec: number; nowMs: number; node: string; reboots?: RebootsRecord },
): Promise<ReleaseResult> {
  const writes: WriteOp[] = [{ kind: "delete", key: slot.key }];
  let cooldownLease: { id: string; ttlSec: number; revoke(): Promise<void>; release(): void } | undefined;
  if (opts.cooldownSec > 0) {
    // A lease, not a timestamp: etcd expires it, so no two clocks are ever compared.
    cooldownLease = await gw.grantLease(opts.cooldownSec, { keepAlive: false });
    writes.push({
      kind: "put",
      key: keys.cooldown(slot.group),
      value: JSON.stringify({
        node: opts.node,
        group: slot.group,
        released_at: new Date(opts.nowMs).toISOString(),
        duration_sec: opts.cooldownSec,
      }),
      lease: cooldownLease.id,
    });
  }
  if (opts.reboots) writes.push({ kind: "put", key: keys.reboots(opts.node), value: JSON.stringify(opts.reboots) });
  const res = await gw.txn([{ key: slot.key, target: "create", op: "==", value: slot.createRevision }], writes);
  if (res.succeeded) {
    cooldownLease?.release();
    return { kind: "released", cooldownSec: cooldownLease?.ttlSec ?? opts.cooldownSec };
  }
  await cooldownLease?.revoke().catch(() => {});
  return { kind: "not-held" };
}

/** Operator unlock: deletes a node's slot(s) by key, whatever their phase. */
export async function deleteSlots(gw: EtcdGateway, slots: readonly SlotEntry[]): Promise<number> {
  let n = 0;
  for (const s of slots) {
    const res = await gw.txn([{ key: s.key, target: "create", op: "==", value: s.createRevision }], [{ kind: "delete", key: s.key }]);
    if (res.succeeded) n++;
  }
  return n;
}

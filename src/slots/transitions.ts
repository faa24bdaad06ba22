/**
 * The slot's life after acquisition: preparing → rebooting (the fence) → verifying → released.
 * Identity of a slot is its key plus create_revision: a slot that expired and was taken again
 * (even by the same node) is a different slot, and no transition of the old one can touch it.
 */
import type { Compare, EtcdGateway, WriteOp } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import type { HistoryEntry, RebootsRecord, SlotRecord } from "./records.ts";
import type { SlotEntry } from "./state.ts";
import { failureLimit, type FailurePlan } from "./failure.ts";
import { requestAtFence, requestRelease } from "./requests.ts";

export type FenceResult =
  | { kind: "fenced"; slot: SlotEntry; record: SlotRecord } // slot moved to `rebooting` on the long lease: run the command
  | { kind: "slot-lost" } // our slot is gone or replaced: never reboot
  | { kind: "paused" } // the pause key appeared while we prepared
  | { kind: "frozen" } // a failed reboot froze our group while we prepared
  | { kind: "peers-changed" } // a node counted as up went down since the view the fence was decided on
  | { kind: "cooldown" }; // a reboot in our group finished moments ago

/**
 * The fence (W5): immediately before the reboot command, one transaction checks that our slot is
 * still exactly ours, that the cluster is not paused and the group not cooling down, and moves the
 * slot onto its own lease so it survives this process and the reboot. If the node never comes
 * back, that lease frees the slot after the timeout. Model step FENCE (docs/SLOTS.md §The model).
 *
 * `lease: "new"` (a daemon): a fresh lease of `slotTimeoutSec`. `lease: "keep"` (a FleetLock
 * grant): the slot already lives on its slot lease since acquisition; the deadline is what that
 * lease has left (a hand-made slot without a lease gets a fresh one: never a slot that lives forever).
 */
export async function enterRebooting(
  gw: EtcdGateway,
  keys: Keys,
  slot: SlotEntry,
  record: SlotRecord,
  opts: { slotTimeoutSec: number; bootId: string; nowMs: number; reboots?: RebootsRecord; lease?: "new" | "keep"; upCompares?: readonly Compare[] },
): Promise<FenceResult> {
  // The on-demand request this reboot consumes (a daemon's; a FleetLock client has none).
  const request = opts.lease === "keep" ? undefined : await requestAtFence(gw, keys, slot.node);
  let lease: { id: string; release(): void; revoke(): Promise<void> } | undefined;
  let leaseId = slot.lease;
  let deadlineMs = opts.nowMs + opts.slotTimeoutSec * 1000;
  if (failureLimit(record) >= 1) {
    // max_failed_reboots ≥ 1: no lease. Past its deadline the slot becomes a failure (and a
    // freeze) in one transaction of whoever sees it (slots/failure.ts), never a silent expiry.
    if (opts.lease === "keep" && slot.lease !== "0") {
      const ttl = await gw.leaseTtl(slot.lease);
      if (ttl < 0) return { kind: "slot-lost" };
      deadlineMs = opts.nowMs + ttl * 1000;
    }
    leaseId = "0";
  } else if (opts.lease === "keep" && slot.lease !== "0") {
    const ttl = await gw.leaseTtl(slot.lease);
    if (ttl < 0) return { kind: "slot-lost" };
    deadlineMs = opts.nowMs + ttl * 1000;
  } else {
    lease = await gw.grantLease(opts.slotTimeoutSec, { keepAlive: false });
    leaseId = lease.id;
  }
  const nowIso = new Date(opts.nowMs).toISOString();
  const next: SlotRecord = {
    ...record,
    phase: "rebooting",
    phase_at: nowIso,
    ...(opts.bootId ? { boot_id: opts.bootId } : {}),
    deadline: new Date(deadlineMs).toISOString(),
    ...(request ? { request } : {}),
  };
  const writes: WriteOp[] = [{ kind: "put", key: slot.key, value: JSON.stringify(next), lease: leaseId }];
  if (opts.reboots) writes.push({ kind: "put", key: keys.reboots(slot.node), value: JSON.stringify(opts.reboots) });
  // A daemon's slot must be exactly as it left it (create and mod revision). A FleetLock grant
  // compares the create revision only: two servers may finish the same client's grant at once,
  // and both may answer 200 for the one slot (the second put is the same grant again).
  const res = await gw.txn(
    [
      { key: slot.key, target: "create", op: "==", value: slot.createRevision },
      ...(opts.lease === "keep" ? [] : [{ key: slot.key, target: "mod" as const, op: "==" as const, value: slot.modRevision }]),
      { key: keys.pause, target: "version", op: "==", value: 0 },
      { key: keys.frozen(slot.group), target: "version", op: "==", value: 0 },
      { key: keys.cooldown(slot.group), target: "version", op: "==", value: 0 },
      // The sessions of the group's members counted as up under the slot are still the same.
      ...(opts.upCompares ?? []),
    ],
    writes,
  );
  lease?.release();
  if (res.succeeded) return { kind: "fenced", slot: { ...slot, modRevision: res.revision, lease: leaseId, record: next }, record: next };
  await lease?.revoke().catch(() => {});
  const snap = await gw.snapshot([], [slot.key, keys.pause, keys.cooldown(slot.group), keys.frozen(slot.group)]);
  const [cur, pause, cooldown, frozen] = snap.keys;
  if (!cur || cur.createRevision !== slot.createRevision) return { kind: "slot-lost" };
  if (pause) return { kind: "paused" };
  if (frozen) return { kind: "frozen" };
  if (cooldown) return { kind: "cooldown" };
  if (cur.modRevision === slot.modRevision && opts.upCompares?.length) return { kind: "peers-changed" };
  return { kind: "slot-lost" };
}

/**
 * A FleetLock client's recursive pre-reboot proves it is alive: once half of the slot timeout is
 * used, the slot moves to a fresh lease (same create revision, so it is the same slot; the old
 * lease expires with no keys). Refreshing only past half keeps a client that polls often from
 * creating a lease per request. (FleetLock only; the same slot, so no transition of the model.)
 */
export async function refreshSlotLease(
  gw: EtcdGateway,
  slot: SlotEntry,
  record: SlotRecord,
  opts: { slotTimeoutSec: number; nowMs: number },
): Promise<{ kind: "fresh"; record: SlotRecord } | { kind: "refreshed"; record: SlotRecord } | { kind: "slot-lost" }> {
  const remainingMs = record.deadline ? Date.parse(record.deadline) - opts.nowMs : 0;
  if (remainingMs > (opts.slotTimeoutSec * 1000) / 2) return { kind: "fresh", record };
  if (slot.lease === "0") {
    // A slot on no lease (max_failed_reboots ≥ 1): the deadline in the record is the whole timeout.
    const next: SlotRecord = { ...record, deadline: new Date(opts.nowMs + opts.slotTimeoutSec * 1000).toISOString() };
    const res = await gw.txn([{ key: slot.key, target: "create", op: "==", value: slot.createRevision }], [{ kind: "put", key: slot.key, value: JSON.stringify(next), lease: "0" }]);
    return res.succeeded ? { kind: "refreshed", record: next } : { kind: "slot-lost" };
  }
  const next: SlotRecord = { ...record, deadline: new Date(opts.nowMs + opts.slotTimeoutSec * 1000).toISOString() };
  const put = await putOnNewLease(gw, opts.slotTimeoutSec, [{ key: slot.key, target: "create", op: "==", value: slot.createRevision }], slot.key, next);
  return put.ok ? { kind: "refreshed", record: next } : { kind: "slot-lost" };
}

/**
 * Puts `record` at `key` on a fresh lease of `ttlSec` nobody keeps alive, if `compares` hold; the
 * lease is revoked when nothing was put on it (no orphan leases), or when the call fails.
 */
async function putOnNewLease(gw: EtcdGateway, ttlSec: number, compares: Compare[], key: string, record: SlotRecord): Promise<{ ok: true; leaseId: string; revision: number } | { ok: false }> {
  const lease = await gw.grantLease(ttlSec, { keepAlive: false });
  const res = await gw.txn(compares, [{ kind: "put", key, value: JSON.stringify(record), lease: lease.id }]).catch(async (err: unknown) => {
    await lease.revoke().catch(() => {});
    throw err;
  });
  if (!res.succeeded) {
    await lease.revoke().catch(() => {});
    return { ok: false };
  }
  lease.release();
  return { ok: true, leaseId: lease.id, revision: res.revision };
}

/** Rewrites our slot's record (e.g. phase `verifying` after boot) keeping its lease. Model step VERIFY. */
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
 * Model step RELEASE. Frees our slot, and in the same transaction starts the group's cooldown (measured from the node
 * being back and healthy, not from the reboot command) and records the reboot outcome.
 */
export async function releaseSlot(
  gw: EtcdGateway,
  keys: Keys,
  slot: SlotEntry,
  opts: { cooldownSec: number; nowMs: number; node: string; reboots?: RebootsRecord; history?: readonly HistoryEntry[]; clearRequest?: boolean; failure?: FailurePlan },
): Promise<ReleaseResult> {
  const writes: WriteOp[] = [{ kind: "delete", key: slot.key }, ...(opts.failure?.writes ?? [])];
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
        // What etcd granted: it raises leases shorter than its minimum, and the record must not lie.
        duration_sec: cooldownLease.ttlSec,
      }),
      lease: cooldownLease.id,
    });
  }
  if (opts.reboots) writes.push({ kind: "put", key: keys.reboots(opts.node), value: JSON.stringify(opts.reboots) });
  // The audit entry commits with the release or not at all: no reboot is recorded twice or lost.
  if (opts.history) writes.push({ kind: "put", key: keys.history(opts.node), value: JSON.stringify(opts.history) });
  // The reboot an operator requested is done once the node is back and healthy: that request,
  // not one made while the node was down (requests.ts requestRelease). A request written between
  // its read and the commit fails the transaction; the slot still ours, we read again (bounded).
  for (let attempt = 0; attempt < 3; attempt++) {
    const req = await requestRelease(gw, keys, opts.node, opts.clearRequest ? slot.record?.request : undefined);
    const res = await gw.txn([{ key: slot.key, target: "create", op: "==", value: slot.createRevision }, ...req.compares, ...(opts.failure?.compares ?? [])], [...writes, ...req.writes]);
    if (res.succeeded) {
      cooldownLease?.release();
      return { kind: "released", cooldownSec: cooldownLease?.ttlSec ?? opts.cooldownSec };
    }
    if (req.compares.length === 0 || (await gw.get(slot.key))?.createRevision !== slot.createRevision) break;
  }
  await cooldownLease?.revoke().catch(() => {});
  return { kind: "not-held" };
}

/** Operator unlock: deletes a node's slot(s) by key, whatever their phase. Model steps UNLOCK, RECOVER_PREPARING. */
export async function deleteSlots(gw: EtcdGateway, slots: readonly SlotEntry[]): Promise<number> {
  let n = 0;
  for (const s of slots) {
    const res = await gw.txn([{ key: s.key, target: "create", op: "==", value: s.createRevision }], [{ kind: "delete", key: s.key }]);
    if (res.succeeded) n++;
  }
  return n;
}

/**
 * A `preparing` slot the pass keeps (its node's uncordon failed: the node is cordoned, maybe
 * half drained) moves off the session lease onto its own lease of `slotTimeoutSec`, with that
 * deadline in the record, so the end of a one-shot pass (which revokes its session) or the death
 * of the daemon does not drop it. The next pass finds it, uncordons first, then frees it.
 * Transition KEEP (scripts/model/transitions.ts; the model keeps no drain, so no step of its own).
 */
export async function keepOnOwnLease(
  gw: EtcdGateway,
  slot: SlotEntry,
  record: SlotRecord,
  opts: { slotTimeoutSec: number; nowMs: number; why: string },
): Promise<{ kind: "kept"; slot: SlotEntry } | { kind: "slot-lost" }> {
  const next: SlotRecord = { ...record, deadline: new Date(opts.nowMs + opts.slotTimeoutSec * 1000).toISOString(), reason: opts.why };
  const put = await putOnNewLease(
    gw,
    opts.slotTimeoutSec,
    [
      { key: slot.key, target: "create", op: "==", value: slot.createRevision },
      { key: slot.key, target: "mod", op: "==", value: slot.modRevision },
    ],
    slot.key,
    next,
  );
  return put.ok ? { kind: "kept", slot: { ...slot, record: next, modRevision: put.revision, lease: put.leaseId } } : { kind: "slot-lost" };
}

/**
 * The last steps of a grant: the fence that turns a `preparing` FleetLock slot into a granted
 * (`rebooting`) one, and the lease refresh of a recursive pre-reboot.
 */
import type { SlotEntry, SlotRecord } from "../slots/index.ts";
import type { EtcdBackendDeps } from "./backend.ts";
import { fleetError, type ClientParams, type FleetLockError, type LockOutcome } from "./protocol.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const conflict = (value: string): LockOutcome => ({ kind: "refused", error: fleetError("conflict", value) });

/**
 * One transaction: the slot is still exactly ours (create revision), the cluster is not paused and
 * the group not cooling down → the slot becomes `rebooting` with its deadline, on its own lease.
 * Mirrors the daemon's fence (slots/transitions.ts enterRebooting), minus the reboot history: we
 * never learn when, or whether, a FleetLock client reboots.
 */
export async function fenceGrant(
  deps: EtcdBackendDeps,
  p: ClientParams,
  slot: SlotEntry,
  leaseDeadlineMs: number | undefined,
  free: (e: FleetLockError) => Promise<LockOutcome>,
): Promise<LockOutcome> {
  const { gw, keys, clock, log, settings: s } = deps;
  const now = clock.now();
  let lease = slot.lease;
  let deadlineMs = leaseDeadlineMs;
  let fresh: Awaited<ReturnType<typeof gw.grantLease>> | undefined;
  if (lease === "0") {
    // Only a hand-made slot has no lease; never let a granted slot live forever.
    fresh = await gw.grantLease(s.slotTimeoutSec, { keepAlive: false });
    lease = fresh.id;
    deadlineMs = now + s.slotTimeoutSec * 1000;
  } else if (deadlineMs === undefined) {
    const ttl = await gw.leaseTtl(lease);
    if (ttl < 0) return conflict("the slot's lease expired while granting; retry");
    deadlineMs = now + ttl * 1000;
  }
  const record: SlotRecord = { ...slot.record!, phase: "rebooting", phase_at: iso(now), deadline: iso(deadlineMs) };
  const res = await gw.txn(
    [
      { key: slot.key, target: "create", op: "==", value: slot.createRevision },
      { key: keys.pause, target: "version", op: "==", value: 0 },
      { key: keys.cooldown(slot.group), target: "version", op: "==", value: 0 },
    ],
    [{ kind: "put", key: slot.key, value: JSON.stringify(record), lease }],
  );
  if (res.succeeded) {
    fresh?.release();
    log.event("info", "fleetlock_granted", { id: p.id, group: p.group, slot: slot.key, deadline: record.deadline });
    return { kind: "locked", recursive: false, slotKey: slot.key, deadline: record.deadline };
  }
  await fresh?.revoke().catch(() => {});
  const snap = await gw.snapshot([], [slot.key, keys.pause, keys.cooldown(slot.group)]);
  const [cur, pause, cooldown] = snap.keys;
  if (!cur || cur.createRevision !== slot.createRevision) return conflict("the slot was freed while granting; retry");
  if (pause) return free(fleetError("paused", "reboots were paused cluster-wide while granting"));
  if (cooldown) return free(fleetError("cooldown", `group ${slot.group} started cooling down while granting`));
  return conflict("the slot changed while granting; retry");
}

/**
 * A recursive pre-reboot from the holder: success. It also proves the client is alive, so once half
 * of the slot timeout is used the slot moves to a fresh lease (the old one expires with no keys).
 * Refreshing only past half keeps a client that polls often from creating a lease per request.
 */
export async function refreshIfHalfUsed(deps: EtcdBackendDeps, p: ClientParams, slot: SlotEntry, record: SlotRecord): Promise<LockOutcome> {
  const { gw, clock, log, settings: s } = deps;
  const now = clock.now();
  const remainingMs = record.deadline ? Date.parse(record.deadline) - now : 0;
  if (remainingMs > (s.slotTimeoutSec * 1000) / 2) return { kind: "locked", recursive: true, slotKey: slot.key, deadline: record.deadline };
  const lease = await gw.grantLease(s.slotTimeoutSec, { keepAlive: false });
  const next: SlotRecord = { ...record, deadline: iso(now + s.slotTimeoutSec * 1000) };
  const res = await gw
    .txn([{ key: slot.key, target: "create", op: "==", value: slot.createRevision }], [{ kind: "put", key: slot.key, value: JSON.stringify(next), lease: lease.id }])
    .catch(async (err: unknown) => {
      await lease.revoke().catch(() => {});
      throw err;
    });
  if (!res.succeeded) {
    await lease.revoke().catch(() => {});
    return conflict("the slot was freed while refreshing it; retry");
  }
  lease.release();
  log.event("info", "fleetlock_refreshed", { id: p.id, group: p.group, slot: slot.key, deadline: next.deadline });
  return { kind: "locked", recursive: true, slotKey: slot.key, deadline: next.deadline };
}

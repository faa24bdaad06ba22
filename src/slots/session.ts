/**
 * A daemon's presence in etcd: one session lease (TTL = lock_ttl_sec, kept alive), the member
 * record (no lease: a node that is down still counts as expected until `forget`), and the health
 * record on the session lease — so a dead, stopped or rebooting node never counts as healthy (W3).
 */
import type { EtcdGateway, LeaseHandle } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import type { HealthRecord, MemberRecord } from "./records.ts";
import { HealthRecordSchema, MemberRecordSchema, parseRecord, SlotRecordSchema } from "./records.ts";
import { lastSegment } from "./keys.ts";

export interface SessionIdentity {
  node: string;
  group: string;
  fallback: boolean;
  pid: number;
  bootId: string;
  /** This machine (absent only in tests that predate identity): see platform Host.machineId. */
  machineId?: string;
  /** The limits this node enforces, published in its member record (a FleetLock server honours them). */
  limit?: number;
  globalCap?: number | null;
}

/**
 * Another machine uses our node name (a cloned SD card, one cloud-init user-data for the whole
 * fleet): its live health record or its slot says so. We must not run: we would take its slot
 * for our own.
 */
export class IdentityConflictError extends Error {
  override name = "IdentityConflictError";
  constructor(
    readonly node: string,
    readonly ours: string,
    readonly theirs: string,
    readonly where: string,
  ) {
    super(
      `another machine uses node name ${node}: ${where} belongs to machine ${theirs}, this is machine ${ours}. ` +
        `Give every machine its own node_name (the templates derive it from the hostname) and start again.`,
    );
  }
}

/** Throws IdentityConflictError when a live record or a slot of `node` names another machine. Model step MACHINE_IDENTITY. */
export async function checkIdentity(gw: EtcdGateway, keys: Keys, id: SessionIdentity): Promise<void> {
  if (!id.machineId) return;
  const snap = await gw.snapshot([keys.slotsPrefix], [keys.health(id.node)]);
  const health = parseRecord(HealthRecordSchema, snap.keys[0]?.value);
  if (health?.machine_id && health.machine_id !== id.machineId) throw new IdentityConflictError(id.node, id.machineId, health.machine_id, `the live health record ${keys.health(id.node)}`);
  for (const kv of snap.prefixes[0] ?? []) {
    if (lastSegment(kv.key) !== id.node) continue;
    const slot = parseRecord(SlotRecordSchema, kv.value);
    if (slot?.machine_id && slot.machine_id !== id.machineId) throw new IdentityConflictError(id.node, id.machineId, slot.machine_id, `the reboot slot ${kv.key} (phase ${slot.phase})`);
  }
}

export interface Session {
  /** The current lease (it is replaced after a loss; compare ids to notice). */
  lease(): LeaseHandle;
  /** Re-grants the lease if it was lost; returns true when a new one was needed. */
  ensureLease(): Promise<boolean>;
  /** Publishes a health result unless a newer one (higher seq) was already published (W16). */
  publishHealth(h: { healthy: boolean; phase: string; reason?: string; seq: number; nowMs: number }): Promise<boolean>;
  /**
   * What the last pass concluded (needs a reboot; why it is not rebooting, since when): carried in
   * every later health record, so the fleet page can say who waits and why without extra writes.
   */
  setStatus(s: { needs_reboot: boolean; blocked_reason?: string; blocked_since?: string }): void;
  /** Removes the health record and revokes the lease (graceful stop: peers see "missing" at once). */
  close(opts: { revoke: boolean }): Promise<void>;
}

export async function openSession(
  gw: EtcdGateway,
  keys: Keys,
  id: SessionIdentity,
  opts: { ttlSec: number; nowMs: number },
): Promise<Session> {
  await checkIdentity(gw, keys, id);
  let lease = await gw.grantLease(opts.ttlSec, { keepAlive: true });
  let lastSeq = -1;
  let lastHealth: HealthRecord | undefined;
  let status: { needs_reboot: boolean; blocked_reason?: string; blocked_since?: string } | undefined;
  await registerMember(gw, keys, id, opts.nowMs);

  const session: Session = {
    lease: () => lease,
    async ensureLease() {
      if (!lease.isLost()) return false;
      lease = await gw.grantLease(opts.ttlSec, { keepAlive: true });
      // A lost lease may mean etcd lost its data: make sure we are a member again.
      await registerMember(gw, keys, id, Date.now());
      // The record went with the old lease; put the last known result back on the new one.
      if (lastHealth) await gw.txn([], [{ kind: "put", key: keys.health(id.node), value: JSON.stringify(lastHealth), lease: lease.id }]);
      return true;
    },
    setStatus(s) {
      status = s;
    },
    async publishHealth(h) {
      if (h.seq < lastSeq) return false;
      lastSeq = h.seq;
      const rec: HealthRecord = {
        node: id.node,
        group: id.group,
        healthy: h.healthy,
        phase: h.phase,
        ...(h.reason ? { reason: h.reason } : {}),
        checked_at: new Date(h.nowMs).toISOString(),
        boot_id: id.bootId,
        pid: id.pid,
        seq: h.seq,
        ...(id.machineId ? { machine_id: id.machineId } : {}),
        ...(status ?? {}),
      };
      lastHealth = rec;
      await gw.txn([], [{ kind: "put", key: keys.health(id.node), value: JSON.stringify(rec), lease: lease.id }]);
      return true;
    },
    async close({ revoke }) {
      if (revoke) {
        await gw.txn([], [{ kind: "delete", key: keys.health(id.node) }]).catch(() => {});
        await lease.revoke().catch(() => {});
      } else lease.release();
    },
  };
  return session;
}

/** Creates or refreshes P/members/<node>; keeps first_seen across restarts. */
export async function registerMember(gw: EtcdGateway, keys: Keys, id: SessionIdentity, nowMs: number): Promise<void> {
  const cur = await gw.get(keys.member(id.node));
  const prev = parseRecord(MemberRecordSchema, cur?.value);
  const rec: MemberRecord = {
    node: id.node,
    group: id.group,
    fallback: id.fallback,
    first_seen: prev?.first_seen ?? new Date(nowMs).toISOString(),
    ...(id.machineId ? { machine_id: id.machineId } : {}),
    ...(id.limit !== undefined ? { limit: id.limit } : {}),
    ...(id.globalCap !== undefined ? { global_cap: id.globalCap } : {}),
  };
  if (prev && JSON.stringify(prev) === JSON.stringify(rec)) return;
  await gw.txn([], [{ kind: "put", key: keys.member(id.node), value: JSON.stringify(rec) }]);
}

/**
 * A session that writes nothing: `status` (read-only, W17) and the FleetLock server, which
 * publish no health record. Its lease is the "no lease" id; a pass that would need a real one
 * never gets that far in those modes.
 */
export const passiveSession: Session = {
  lease: () => ({ id: "0", ttlSec: 0, requestedTtlSec: 0, lost: new Promise<string>(() => {}), isLost: () => false, revoke: async () => {}, release() {} }),
  ensureLease: async () => false,
  publishHealth: async () => false,
  setStatus: () => {},
  close: async () => {},
};

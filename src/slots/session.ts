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
import { describeMachine, foreignMachine, identityFields, identityFix } from "./identity.ts";
import { STARTING_PHASE } from "./down.ts";

export interface SessionIdentity {
  node: string;
  group: string;
  fallback: boolean;
  pid: number;
  bootId: string;
  /** This machine (absent only in tests that predate identity): see platform Host.machineId. */
  machineId?: string;
  /** What a disk clone does not copy (platform Host.hardwareId); absent where the machine offers none. */
  hardwareId?: string;
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
    readonly clone = false,
  ) {
    super(`another machine uses node name ${node}: ${where} belongs to ${theirs}, this is ${ours}. ${identityFix(clone)}`);
  }
}

/** Throws IdentityConflictError when a live record or a slot of `node` names another machine. Model step MACHINE_IDENTITY. */
export async function checkIdentity(gw: EtcdGateway, keys: Keys, id: SessionIdentity): Promise<void> {
  if (!id.machineId) return;
  const snap = await gw.snapshot([keys.slotsPrefix], [keys.health(id.node), keys.member(id.node)]);
  const ours = describeMachine(id);
  const health = parseRecord(HealthRecordSchema, snap.keys[0]?.value);
  const h = foreignMachine(health, id);
  if (h) throw new IdentityConflictError(id.node, ours, h.theirs, `the live health record ${keys.health(id.node)}`, h.clone);
  // The member record names the machine the name belongs to, even while that machine is down (it
  // may be down after a failed reboot, its slot already turned into a failure and the group
  // resumed): taking the name over would count it up while it is down. The same board reinstalled
  // (a new machine id, the same hardware id) is the same machine; another one needs `forget` first.
  const member = parseRecord(MemberRecordSchema, snap.keys[1]?.value);
  const sameBoard = member?.hardware_id !== undefined && member.hardware_id === id.hardwareId;
  const m = sameBoard ? undefined : foreignMachine(member, id);
  if (m)
    throw new IdentityConflictError(
      id.node,
      ours,
      m.theirs,
      `the member record ${keys.member(id.node)} (if this machine replaces that one, run 'clusterrebootd forget ${id.node}' first)`,
      m.clone,
    );
  for (const kv of snap.prefixes[0] ?? []) {
    if (lastSegment(kv.key) !== id.node) continue;
    const slot = parseRecord(SlotRecordSchema, kv.value);
    const s = foreignMachine(slot, id);
    if (s) throw new IdentityConflictError(id.node, ours, s.theirs, `the reboot slot ${kv.key} (phase ${slot?.phase})`, s.clone);
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
  /**
   * Removes the health record and revokes the lease (graceful stop: peers see "missing" at once).
   * `presence` (run --timer): the health record stays instead, on a lease of its own of that many
   * seconds and marked valid until then, so peers do not count this node as down between passes.
   */
  close(opts: { revoke: boolean; presence?: { ttlSec: number; nowMs: number } }): Promise<void>;
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
  // Alive from now on: a member without a health record counts as down (slots/down.ts). Until the
  // first health check the record says "starting": not healthy, not blocking anyone.
  await gw.txn([], [{ kind: "put", key: keys.health(id.node), value: JSON.stringify(startingRecord(id, opts.nowMs)), lease: lease.id }]);

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
        ...identityFields(id),
        ...(status ?? {}),
      };
      lastHealth = rec;
      await gw.txn([], [{ kind: "put", key: keys.health(id.node), value: JSON.stringify(rec), lease: lease.id }]);
      return true;
    },
    async close({ revoke, presence }) {
      if (presence) await leavePresence(gw, keys, id, lastHealth, presence).catch(() => {});
      if (revoke && presence) await lease.revoke().catch(() => {});
      else if (revoke) {
        await gw.txn([], [{ kind: "delete", key: keys.health(id.node) }]).catch(() => {});
        await lease.revoke().catch(() => {});
      } else lease.release();
    },
  };
  return session;
}

/**
 * The timer pass's health record, left behind on a lease of its own. A pass that published none
 * (stopped before any health check: kill switch, pause, window) re-leaves the previous pass's
 * record, or the "starting" one: alive, health unknown.
 */
async function leavePresence(gw: EtcdGateway, keys: Keys, id: SessionIdentity, last: HealthRecord | undefined, p: { ttlSec: number; nowMs: number }): Promise<void> {
  const prev = last ?? parseRecord(HealthRecordSchema, (await gw.get(keys.health(id.node)))?.value);
  const base: HealthRecord = prev ?? startingRecord(id, p.nowMs);
  const lease = await gw.grantLease(p.ttlSec, { keepAlive: false });
  const rec: HealthRecord = { ...base, presence_until: new Date(p.nowMs + lease.ttlSec * 1000).toISOString() };
  await gw.txn([], [{ kind: "put", key: keys.health(id.node), value: JSON.stringify(rec), lease: lease.id }]).catch(async (err: unknown) => {
    await lease.revoke().catch(() => {});
    throw err;
  });
  lease.release();
}

function startingRecord(id: SessionIdentity, nowMs: number): HealthRecord {
  return {
    node: id.node,
    group: id.group,
    healthy: false,
    phase: STARTING_PHASE,
    reason: "no health check has run yet",
    checked_at: new Date(nowMs).toISOString(),
    boot_id: id.bootId,
    pid: id.pid,
    seq: 0,
    ...identityFields(id),
  };
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
    ...identityFields(id),
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

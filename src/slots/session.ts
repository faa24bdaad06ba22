/**
 * A daemon's presence in etcd: one session lease (TTL = lock_ttl_sec, kept alive), the member
 * record (no lease: a node that is down still counts as expected until `forget`), and the health
 * record on the session lease — so a dead, stopped or rebooting node never counts as healthy (W3).
 */
import type { EtcdGateway, LeaseHandle } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import type { HealthRecord, MemberRecord } from "./records.ts";
import { MemberRecordSchema, parseRecord } from "./records.ts";

export interface SessionIdentity {
  node: string;
  group: string;
  fallback: boolean;
  pid: number;
  bootId: string;
}

export interface Session {
  /** The current lease (it is replaced after a loss; compare ids to notice). */
  lease(): LeaseHandle;
  /** Re-grants the lease if it was lost; returns true when a new one was needed. */
  ensureLease(): Promise<boolean>;
  /** Publishes a health result unless a newer one (higher seq) was already published (W16). */
  publishHealth(h: { healthy: boolean; phase: string; reason?: string; seq: number; nowMs: number }): Promise<boolean>;
  /** Removes the health record and revokes the lease (graceful stop: peers see "missing" at once). */
  close(opts: { revoke: boolean }): Promise<void>;
}

export async function openSession(
  gw: EtcdGateway,
  keys: Keys,
  id: SessionIdentity,
  opts: { ttlSec: number; nowMs: number },
): Promise<Session> {
  let lease = await gw.grantLease(opts.ttlSec, { keepAlive: true });
  let lastSeq = -1;
  let lastHealth: HealthRecord | undefined;
  await registerMember(gw, keys, id, opts.nowMs);

  const session: Session = {
    lease: () => lease,
    async ensureLease() {
      if (!lease.isLost()) return false;
      lease = await gw.grantLease(opts.ttlSec, { keepAlive: true });
      // The record went with the old lease; put the last known result back on the new one.
      if (lastHealth) await gw.txn([], [{ kind: "put", key: keys.health(id.node), value: JSON.stringify(lastHealth), lease: lease.id }]);
      return true;
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
  if (prev && prev.group === id.group && prev.fallback === id.fallback) return;
  const rec: MemberRecord = {
    node: id.node,
    group: id.group,
    fallback: id.fallback,
    first_seen: prev?.first_seen ?? new Date(nowMs).toISOString(),
  };
  await gw.txn([], [{ kind: "put", key: keys.member(id.node), value: JSON.stringify(rec) }]);
}

/**
 * A session that writes nothing: `status` (read-only, W17) and the FleetLock server, which
 * publish no health record. Its lease is the "no lease" id; a pass that would need a real one
 * never gets that far in those modes.
 */
export const passiveSession: Session = {
  lease: () => ({ id: "0", ttlSec: 0, lost: new Promise<string>(() => {}), isLost: () => false, revoke: async () => {}, release() {} }),
  ensureLease: async () => false,
  publishHealth: async () => false,
  close: async () => {},
};

/**
 * The etcd3-backed EtcdGateway. Raw KV calls (not the builders) so compares can use revisions and
 * one transaction can read several prefixes at one revision.
 */
import type { Etcd3, IKeyValue, IRequestOp, ICompare, Lease } from "etcd3";
import { prefixEnd, readPrefix, readSnapshot } from "./_pages.ts";
import { translateEtcdError } from "./_translate.ts";
import type { Compare, EtcdGateway, KeyValue, LeaseHandle, Snapshot, WatchHandle, WriteOp } from "./gateway.ts";

const enc = (s: string) => Buffer.from(s, "utf8");

function toKV(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString("utf8"),
    value: kv.value.toString("utf8"),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: String(kv.lease ?? "0"),
  };
}

const RESULT = { "==": "Equal", "!=": "NotEqual", "<": "Less", ">": "Greater" } as const;
const TARGET = { mod: "Mod", create: "Create", version: "Version", value: "Value" } as const;

function toCompare(c: Compare): ICompare {
  const base: ICompare = { key: enc(c.key), target: TARGET[c.target], result: RESULT[c.op] };
  if (c.target === "value") return { ...base, value: enc(c.value) };
  if (c.target === "mod") return { ...base, mod_revision: c.value };
  if (c.target === "create") return { ...base, create_revision: c.value };
  return { ...base, version: c.value };
}

function toOp(w: WriteOp): IRequestOp {
  switch (w.kind) {
    case "put":
      return { request_put: { key: enc(w.key), value: enc(w.value), lease: w.lease ?? "0" } };
    case "delete":
      return { request_delete_range: { key: enc(w.key) } };
    case "delete-prefix":
      return { request_delete_range: { key: enc(w.prefix), range_end: prefixEnd(w.prefix) } };
  }
}

/**
 * A lease nobody refreshes (slot, cooldown): one LeaseGrant, whose answer carries the TTL etcd
 * actually granted. It is never "lost" while we look: it simply expires.
 */
async function plainLease(client: Etcd3, ttlSec: number): Promise<LeaseHandle> {
  let res;
  try {
    res = await client.leaseClient.leaseGrant({ TTL: ttlSec });
  } catch (err) {
    throw translateEtcdError(err, "grant lease");
  }
  const id = String(res.ID);
  return {
    id,
    ttlSec: Number(res.TTL),
    requestedTtlSec: ttlSec,
    lost: new Promise<string>(() => {}),
    isLost: () => false,
    async revoke() {
      try {
        await client.leaseClient.leaseRevoke({ ID: id });
      } catch (err) {
        throw translateEtcdError(err, "revoke lease");
      }
    },
    release() {},
  };
}

/**
 * A lease etcd3 keeps alive (the session). etcd3's Lease hides the grant answer, so the granted
 * TTL is read back once with LeaseTimeToLive (grantedTTL).
 */
async function keptLease(client: Etcd3, leases: Set<Lease>, ttlSec: number): Promise<LeaseHandle> {
  const lease = client.lease(ttlSec, { autoKeepAlive: true });
  let lost = false;
  let resolveLost: (reason: string) => void = () => {};
  const lostP = new Promise<string>((r) => (resolveLost = r));
  lease.on("lost", (err) => {
    lost = true;
    leases.delete(lease);
    resolveLost(err?.message ?? "lease lost");
  });
  let id: string;
  let granted: number;
  try {
    id = await lease.grant();
    granted = Number((await client.leaseClient.leaseTimeToLive({ ID: id })).grantedTTL);
  } catch (err) {
    lease.release();
    throw translateEtcdError(err, "grant lease");
  }
  leases.add(lease);
  return {
    id,
    ttlSec: granted,
    requestedTtlSec: ttlSec,
    lost: lostP,
    isLost: () => lost,
    async revoke() {
      leases.delete(lease);
      try {
        await lease.revoke();
      } catch (err) {
        throw translateEtcdError(err, "revoke lease");
      }
    },
    release() {
      leases.delete(lease);
      lease.release();
    },
  };
}

/** `close` ends the client (default: client.close(); connectEtcd passes one that also ends TLS handshakes in flight). */
export function gatewayFromClient(client: Etcd3, close: () => void = () => client.close()): EtcdGateway {
  const leases = new Set<Lease>();
  return {
    async snapshot(prefixes, keys): Promise<Snapshot> {
      try {
        const res = await readSnapshot(client, prefixes, keys);
        return {
          revision: Number(res.revision),
          clusterId: res.clusterId,
          prefixes: res.prefixes.map((kvs) => kvs.map(toKV)),
          keys: res.keys.map((kv) => (kv ? toKV(kv) : undefined)),
        };
      } catch (err) {
        throw translateEtcdError(err, "read cluster state");
      }
    },
    async txn(compares, writes) {
      try {
        const res = await client.kv.txn({ compare: compares.map(toCompare), success: writes.map(toOp), failure: [] });
        return { succeeded: Boolean(res.succeeded), revision: Number(res.header.revision) };
      } catch (err) {
        throw translateEtcdError(err, "transaction");
      }
    },
    async get(key) {
      try {
        const res = await client.kv.range({ key: enc(key) });
        return res.kvs[0] ? toKV(res.kvs[0]) : undefined;
      } catch (err) {
        throw translateEtcdError(err, `get ${key}`);
      }
    },
    async getPrefix(prefix) {
      try {
        return (await readPrefix(client, prefix, undefined, [])).map(toKV);
      } catch (err) {
        throw translateEtcdError(err, `get ${prefix}*`);
      }
    },
    async grantLease(ttlSec, opts): Promise<LeaseHandle> {
      return opts.keepAlive ? keptLease(client, leases, ttlSec) : plainLease(client, ttlSec);
    },
    async leaseTtl(id) {
      try {
        const res = await client.leaseClient.leaseTimeToLive({ ID: id });
        return Number(res.TTL);
      } catch (err) {
        throw translateEtcdError(err, "lease ttl");
      }
    },
    async watchPrefix(prefix, onEvent): Promise<WatchHandle> {
      try {
        const watcher = await client.watch().prefix(prefix).create();
        watcher.on("put", (kv) => onEvent({ kind: "put", key: kv.key.toString(), value: kv.value.toString() }));
        watcher.on("delete", (kv) => onEvent({ kind: "delete", key: kv.key.toString(), value: "" }));
        // Errors and disconnects are recovered by etcd3's watch manager (it replays missed events).
        watcher.on("error", () => {});
        return { cancel: () => watcher.cancel().catch(() => {}) };
      } catch (err) {
        throw translateEtcdError(err, `watch ${prefix}`);
      }
    },
    async close() {
      // Leases we still keep alive are released (not revoked): slot leases must outlive us.
      for (const l of leases) l.release();
      leases.clear();
      close();
    },
  };
}

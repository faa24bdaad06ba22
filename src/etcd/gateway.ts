/**
 * EtcdGateway: the only etcd surface the coordinator uses — snapshot reads, guarded transactions,
 * leases and prefix watches. Everything above it speaks in our terms (strings, numbers, tagged
 * results); everything below it is etcd3/gRPC. Integration tests run it against a real etcd.
 */

/** One key as read from etcd, with the revisions our compares rely on. */
export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** Lease id in decimal ("0" = no lease). */
  lease: string;
}

/** A compare in a transaction; `mod`/`create`/`version` compare numbers, `value` a string. */
export type Compare =
  | { key: string; target: "mod" | "create" | "version"; op: "==" | "!=" | "<" | ">"; value: number }
  | { key: string; target: "value"; op: "==" | "!="; value: string };

/** A write in a transaction. */
export type WriteOp =
  | { kind: "put"; key: string; value: string; lease?: string }
  | { kind: "delete"; key: string }
  | { kind: "delete-prefix"; prefix: string };

/** A consistent read of several prefixes and keys at one revision. */
export interface Snapshot {
  revision: number;
  /** etcd's cluster id (decimal): a new one means the cluster was recreated and its data lost. */
  clusterId: string;
  /** One list per requested prefix, in request order. */
  prefixes: KeyValue[][];
  /** One entry per requested key, undefined when absent. */
  keys: (KeyValue | undefined)[];
}

/** A granted lease. `lost` fires once when etcd says it is gone (expired/revoked/unreachable too long). */
export interface LeaseHandle {
  id: string;
  /**
   * The TTL etcd granted. etcd silently raises a TTL below its minimum (ceil(1.5 × election
   * timeout): 8 s under k3s's timings), so this can exceed what was asked: log this one.
   */
  ttlSec: number;
  /** The TTL we asked for. */
  requestedTtlSec: number;
  /** Resolves with the reason once the lease is lost; never resolves after revoke()/release(). */
  lost: Promise<string>;
  isLost(): boolean;
  /** Revoke now: keys attached to it disappear. */
  revoke(): Promise<void>;
  /** Stop keeping it alive without revoking (it expires after its TTL). */
  release(): void;
}

export type WatchEvent = { kind: "put" | "delete"; key: string; value: string };

export interface WatchHandle {
  cancel(): Promise<void>;
}

export interface EtcdGateway {
  /** Reads prefixes and keys in one transaction, so all of them come from the same revision. */
  snapshot(prefixes: readonly string[], keys: readonly string[]): Promise<Snapshot>;
  /** Applies `writes` iff every compare holds; returns whether it did. */
  txn(compares: readonly Compare[], writes: readonly WriteOp[]): Promise<{ succeeded: boolean; revision: number }>;
  get(key: string): Promise<KeyValue | undefined>;
  getPrefix(prefix: string): Promise<KeyValue[]>;
  /** Grants a lease; with keepAlive it is refreshed every ttl/3 until revoked, released or lost. */
  grantLease(ttlSec: number, opts: { keepAlive: boolean }): Promise<LeaseHandle>;
  /** Remaining TTL in seconds, or -1 when the lease no longer exists. */
  leaseTtl(id: string): Promise<number>;
  /** Calls `onEvent` for every change under the prefix; reconnects by itself after etcd restarts. */
  watchPrefix(prefix: string, onEvent: (e: WatchEvent) => void): Promise<WatchHandle>;
  close(): Promise<void>;
}

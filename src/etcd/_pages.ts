/**
 * Reads in pages. gRPC refuses any answer over its 4 MiB default receive limit, and etcd holds
 * far more than that under one prefix once a fleet keeps history: one unbounded range (or one
 * Txn of several) then fails with RESOURCE_EXHAUSTED, which used to read as "etcd unavailable".
 * We keep the limit (raising it would only move the cliff and let one read pin hundreds of MiB)
 * and read each prefix in pages of at most PAGE_KEYS keys, continuing after the last key, all
 * at one pinned revision so the result is still one consistent view. A page that is still too
 * large is shrunk by the ratio gRPC reports; a single value over the limit is named.
 */
import type { Etcd3, IKeyValue } from "etcd3";
import * as E from "etcd3";
import { EtcdError } from "./errors.ts";

/** Keys per page: a few hundred small JSON records, far below 4 MiB. */
export const PAGE_KEYS = 500;

const enc = (s: string) => Buffer.from(s, "utf8");

/** The first key after every key that starts with `prefix` (etcd's range_end convention). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix, "utf8");
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i] = b[i]! + 1;
      return out;
    }
  }
  return Buffer.from([0]);
}

/** The smallest key after `key`: where the next page starts. */
const after = (key: Buffer) => Buffer.concat([key, Buffer.from([0])]);

/** gRPC's "Received message larger than max (N vs M)", as [N, M]; undefined for other errors. */
function overLimit(e: unknown): [number, number] | undefined {
  if (!(e instanceof E.GRPCResourceExhastedError) || !/larger than max/i.test(e.message)) return undefined;
  const m = /\((\d+) vs\.? (\d+)\)/.exec(e.message);
  return m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
}

/**
 * An answer over the receive limit is ours to fix by asking for less: it must not count as a
 * member failure (etcd3 marks RESOURCE_EXHAUSTED recoverable, so three shrinking pages would
 * open the circuit breaker and the read would end in "circuit breaker is open").
 */
export const isReceiveLimitError = (e: unknown): boolean => overLimit(e) !== undefined;

/** A smaller page for the next try: scaled by what gRPC reported, at least halved. */
function shrink(limit: number, sizes: [number, number]): number {
  const [got, max] = sizes;
  const scaled = Number.isFinite(got) && got > 0 ? Math.floor((limit * max * 0.8) / got) : limit;
  return Math.max(1, Math.min(scaled, Math.floor(limit / 2)));
}

export interface RawSnapshot {
  revision: string;
  clusterId: string;
  prefixes: IKeyValue[][];
  keys: (IKeyValue | undefined)[];
}

/**
 * Every prefix and key at one revision. The common case is one Txn (first page of every prefix
 * plus the keys); only prefixes with more keys, or a first Txn over the limit, cost more calls.
 */
export async function readSnapshot(client: Etcd3, prefixes: readonly string[], keys: readonly string[]): Promise<RawSnapshot> {
  let res;
  try {
    res = await client.kv.txn({
      compare: [],
      success: [
        ...prefixes.map((p) => ({ request_range: { key: enc(p), range_end: prefixEnd(p), limit: PAGE_KEYS } })),
        ...keys.map((k) => ({ request_range: { key: enc(k) } })),
      ],
      failure: [],
    });
  } catch (e) {
    const sizes = overLimit(e);
    if (sizes === undefined) throw e;
    return readSeparately(client, prefixes, keys, shrink(PAGE_KEYS, sizes));
  }
  const revision = String(res.header.revision);
  const clusterId = String(res.header.cluster_id);
  const ranges = res.responses.map((r) => r.response_range);
  const out: IKeyValue[][] = [];
  for (const [i, p] of prefixes.entries()) {
    const r = ranges[i];
    const kvs = r?.kvs ?? [];
    out.push(r?.more && kvs.length > 0 ? await readPrefix(client, p, revision, kvs) : kvs);
  }
  return { revision, clusterId, prefixes: out, keys: ranges.slice(prefixes.length).map((r) => r?.kvs[0]) };
}

/** The first Txn was too large: pin a revision with a tiny read, then one range at a time. */
async function readSeparately(client: Etcd3, prefixes: readonly string[], keys: readonly string[], limit: number): Promise<RawSnapshot> {
  const pin = await client.kv.range({ key: enc(prefixes[0] ?? keys[0] ?? "/"), count_only: true });
  const revision = String(pin.header.revision);
  const clusterId = String(pin.header.cluster_id);
  const out: IKeyValue[][] = [];
  for (const p of prefixes) out.push(await readPrefix(client, p, revision, [], limit));
  const values: (IKeyValue | undefined)[] = [];
  for (const k of keys) {
    try {
      values.push((await client.kv.range({ key: enc(k), revision }))?.kvs[0]);
    } catch (e) {
      const sizes = overLimit(e);
      if (sizes === undefined) throw e;
      throw valueTooLarge(k, sizes, e);
    }
  }
  return { revision, clusterId, prefixes: out, keys: values };
}

/**
 * All keys under `prefix` at `revision` (the first page's when undefined), continuing after
 * `got` (what an earlier call already returned).
 */
export async function readPrefix(client: Etcd3, prefix: string, revision: string | undefined, got: IKeyValue[], limit = PAGE_KEYS): Promise<IKeyValue[]> {
  const end = prefixEnd(prefix);
  const kvs = [...got];
  let from = got.length > 0 ? after(got[got.length - 1]!.key) : enc(prefix);
  let rev = revision;
  for (;;) {
    let res;
    try {
      res = await client.kv.range({ key: from, range_end: end, limit, ...(rev !== undefined ? { revision: rev } : {}) });
    } catch (e) {
      const sizes = overLimit(e);
      if (sizes === undefined) throw e;
      if (limit > 1) {
        limit = shrink(limit, sizes);
        continue;
      }
      // One key alone is over the limit: find its name (keys only is small) and say so.
      const probe = await client.kv.range({ key: from, range_end: end, limit: 1, keys_only: true, ...(rev !== undefined ? { revision: rev } : {}) });
      throw valueTooLarge(probe.kvs[0]?.key.toString("utf8") ?? `a key under ${prefix}`, sizes, e);
    }
    rev ??= String(res.header.revision);
    kvs.push(...res.kvs);
    if (!res.more || res.kvs.length === 0) return kvs;
    from = after(res.kvs[res.kvs.length - 1]!.key);
  }
}

function valueTooLarge(key: string, [got, max]: [number, number], cause: unknown): EtcdError {
  const size = Number.isFinite(got) ? ` (${got} bytes with framing; the limit is ${max})` : "";
  return new EtcdError(
    "invalid",
    `the value of etcd key ${key} is larger than gRPC's receive limit${size}: shrink or delete that key (etcdctl del ${key})`,
    { cause },
  );
}

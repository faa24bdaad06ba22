/**
 * Reads over gRPC's 4 MiB receive limit: more than 4 MiB under one prefix must still read (in
 * pages, at one revision), and a single value over the limit must be named, not reported as
 * "etcd unavailable: RESOURCE_EXHAUSTED".
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connectEtcd, EtcdError, isTransient, type EtcdGateway } from "../../src/etcd/index.ts";
import { startEtcd, type EtcdCluster } from "../support/etcd.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;
const MiB = 1024 * 1024;

beforeAll(async () => {
  // Room for one 5 MiB value (etcd's default request limit is 1.5 MiB).
  cluster = await startEtcd({ tuning: { maxRequestBytes: 8 * MiB } });
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 10_000 });
});
afterAll(async () => {
  await gw?.close();
  await cluster?.stop();
});

/** `count` keys of `size` bytes under `prefix`, a few per transaction. */
async function fill(prefix: string, count: number, size: number): Promise<void> {
  for (let i = 0; i < count; i += 4) {
    const writes = Array.from({ length: Math.min(4, count - i) }, (_, j) => ({
      kind: "put" as const, key: `${prefix}${String(i + j).padStart(4, "0")}`, value: String(i + j).padEnd(size, "x"),
    }));
    await gw.txn([], writes);
  }
}

test("more than 4 MiB under a prefix reads completely, at one revision, beside other ranges", async () => {
  await fill("/big/history/", 60, 100_000); // ~6 MB
  await fill("/big/slots/", 700, 10); // more keys than one page
  await gw.txn([], [{ kind: "put", key: "/big/config", value: "c" }]);
  const snap = await gw.snapshot(["/big/history/", "/big/slots/", "/big/none/"], ["/big/config", "/big/absent"]);
  expect(snap.prefixes[0]!.length).toBe(60);
  expect(snap.prefixes[0]!.map((kv) => kv.key)).toEqual(Array.from({ length: 60 }, (_, i) => `/big/history/${String(i).padStart(4, "0")}`));
  expect(snap.prefixes[0]![59]!.value.length).toBe(100_000);
  expect(snap.prefixes[1]!.length).toBe(700);
  expect(snap.prefixes[2]).toEqual([]);
  expect(snap.keys[0]?.value).toBe("c");
  expect(snap.keys[1]).toBeUndefined();
  expect(Math.max(...snap.prefixes.flat().map((kv) => kv.modRevision))).toBeLessThanOrEqual(snap.revision);
  expect((await gw.getPrefix("/big/history/")).length).toBe(60);
});

test("a single value over the limit is named, and is not an outage", async () => {
  await gw.txn([], [{ kind: "put", key: "/huge/one/blob", value: "y".repeat(5 * MiB) }]);
  for (const read of [() => gw.snapshot(["/huge/one/"], []), () => gw.snapshot([], ["/huge/one/blob"]), () => gw.getPrefix("/huge/one/")]) {
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdError);
    expect((err as EtcdError).message).toContain("/huge/one/blob");
    expect((err as EtcdError).message).toContain("receive limit");
    expect((err as EtcdError).message).not.toContain("unavailable");
    expect(isTransient(err)).toBe(false);
  }
});

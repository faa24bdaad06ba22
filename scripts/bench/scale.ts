/**
 * Fleet scale: N simulated nodes in this process, all needing a reboot at once, on the slot
 * library (the daemon's own lock backend, orchestrate/_etcd-lock.ts) against one real etcd on
 * loopback. Each node: try to take a slot; if refused, wait for the wake-up the daemon would get
 * (any slot release without the queue; the ticket ahead with it); once it holds a slot, "reboot"
 * for HOLD_MS, release. Reported per hand-off: etcd requests, bytes and records read, the
 * hand-off latency (release → the next node holding the slot); for the rollout: total requests
 * and wall time over the ideal (N / limit × HOLD_MS).
 *
 * With `--down on|both`, every node is a registered member with a healthy health record (as in a
 * real fleet: the full view reads them either way), and the "down counted" runs count members
 * down without a slot (count_down_nodes): the transaction then compares the health key of every
 * member counted up (≤ 100). `both` runs each size without and with counting, on the same records.
 *
 *   ./node_modules/.bin/bun scripts/bench/scale.ts [--sizes 10,100,1000] [--limits 1,10] [--hold-ms 100] [--mode both|queue|noqueue] [--down off|on|both]
 */
import { connectEtcd, type EtcdGateway, type KeyValue } from "../../src/etcd/index.ts";
import { etcdLock, type LockBackend } from "../../src/orchestrate/index.ts";
import { noopMetrics } from "../../src/observe/index.ts";
import { systemClock } from "../../src/platform/index.ts";
import { lastSegment, makeKeys } from "../../src/slots/index.ts";
import { startEtcd } from "../../tests/support/etcd.ts";
import { machineDescription, numArg, pct, table } from "./_common.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const SIZES = arg("sizes", "10,100,1000").split(",").map(Number);
const LIMITS = arg("limits", "1,10").split(",").map(Number);
const HOLD_MS = numArg("hold-ms", 100);
const MODES = arg("mode", "both") === "both" ? [false, true] : [arg("mode", "both") === "queue"];
const DOWN = arg("down", "off") === "both" ? [false, true] : [arg("down", "off") === "on"];
const MEMBERS = arg("down", "off") !== "off";

interface Counts {
  requests: number;
  bytes: number;
  records: number;
}

/** Counts every request the lock makes and what it reads. */
function counting(gw: EtcdGateway, c: Counts): EtcdGateway {
  const read = (kvs: readonly (KeyValue | undefined)[]) => {
    for (const kv of kvs) if (kv) (c.records++, (c.bytes += kv.key.length + kv.value.length));
  };
  return {
    ...gw,
    async snapshot(p, k) {
      c.requests++;
      const s = await gw.snapshot(p, k);
      for (const l of s.prefixes) read(l);
      read(s.keys);
      return s;
    },
    async txn(cmp, w) {
      c.requests++;
      return gw.txn(cmp, w);
    },
    async get(k) {
      c.requests++;
      const kv = await gw.get(k);
      read([kv]);
      return kv;
    },
    async getPrefix(p) {
      c.requests++;
      const kvs = await gw.getPrefix(p);
      read(kvs);
      return kvs;
    },
    async grantLease(t, o) {
      c.requests++;
      return gw.grantLease(t, o);
    },
  };
}

async function rollout(gw: EtcdGateway, n: number, limit: number, queue: boolean, down: boolean, run: number) {
  const keys = makeKeys(`/scale-${run}`);
  if (MEMBERS) {
    // Every node a member with a healthy record (no lease: they stay "up" through the rollout).
    const at = new Date().toISOString();
    for (let i = 0; i < n; i++) {
      const node = `n${i}`;
      await gw.txn([], [
        { kind: "put", key: keys.member(node), value: JSON.stringify({ node, group: "g", fallback: false, first_seen: at }) },
        { kind: "put", key: keys.health(node), value: JSON.stringify({ node, group: "g", healthy: true, phase: "heartbeat", checked_at: at, boot_id: "b", pid: i, seq: 1 }) },
      ]);
    }
  }
  const counts: Counts = { requests: 0, bytes: 0, records: 0 };
  const cgw = counting(gw, counts);
  const lease = await gw.grantLease(60, { keepAlive: true });
  // One watch stream for the whole simulated fleet, fanned out to waiters as the daemon's would be.
  const waiters = new Map<string, () => void>();
  const wakeOn = new Map<string, string | undefined>(); // node → ticket ahead (queue) or undefined (any release)
  const kick = (pred: (node: string) => boolean) => {
    for (const [node, fn] of waiters) if (pred(node)) (waiters.delete(node), fn());
  };
  const w1 = await gw.watchPrefix(keys.slotsPrefix, (e) => e.kind === "delete" && kick((node) => wakeOn.get(node) === undefined && node !== lastSegment(e.key)));
  const w2 = await gw.watchPrefix(keys.queuePrefix, (e) => e.kind === "delete" && kick((node) => wakeOn.get(node) === e.key));
  const handoffs: number[] = [];
  let lastRelease = 0;
  let perHandoff: Counts[] = [];
  let snap = { ...counts };
  const t0 = performance.now();
  const node = async (i: number) => {
    const name = `n${i}`;
    const lock: LockBackend = etcdLock({
      gw: cgw, keys, clock: systemClock, metrics: noopMetrics,
      subject: { node: name, group: "g", limit, globalCap: null, holder: "daemon", pid: i, bootId: "b", ...(down ? { countDown: { staleAfterMs: 3_600_000 } } : {}) },
      lease: { kind: "session", id: () => lease.id }, slotTimeoutSec: 600, cooldownSec: 0, nameHolders: true, queue, deadlineSkewMs: 5000,
    });
    for (;;) {
      const woken = new Promise<void>((r) => waiters.set(name, r));
      const a = await lock.acquire();
      if (a.kind === "acquired") {
        waiters.delete(name);
        if (lastRelease) {
          handoffs.push(performance.now() - lastRelease);
          perHandoff.push({ requests: counts.requests - snap.requests, bytes: counts.bytes - snap.bytes, records: counts.records - snap.records });
          snap = { ...counts };
        }
        await Bun.sleep(HOLD_MS); // the "reboot"
        lastRelease = performance.now();
        await lock.release(a.slot, { cooldown: false, nowMs: Date.now() });
        return;
      }
      wakeOn.set(name, a.kind === "refused" ? a.queue?.ahead : undefined);
      // A bounded fallback, as the daemon's check interval: never wait forever on a lost event.
      await Promise.race([woken, Bun.sleep(30_000)]);
    }
  };
  await Promise.all(Array.from({ length: n }, (_, i) => node(i)));
  const wall = performance.now() - t0;
  await w1.cancel();
  await w2.cancel();
  await lease.revoke();
  perHandoff = perHandoff.length ? perHandoff : [{ requests: 0, bytes: 0, records: 0 }];
  const avg = (f: (c: Counts) => number) => perHandoff.reduce((s, c) => s + f(c), 0) / perHandoff.length;
  return {
    mode: `${queue ? "queue" : "no queue"}${down ? ", down counted" : ""}`,
    n,
    limit,
    reqPerHandoff: avg((c) => c.requests),
    kibPerHandoff: avg((c) => c.bytes) / 1024,
    recordsPerHandoff: avg((c) => c.records),
    p50: pct(handoffs, 50),
    p99: pct(handoffs, 99),
    totalRequests: counts.requests,
    overIdeal: wall / ((n / limit) * HOLD_MS),
  };
}

const cluster = await startEtcd();
const gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 10_000 });
try {
  console.log(`scale benchmark: hold ${HOLD_MS} ms per reboot; sizes ${SIZES.join(", ")}; limits ${LIMITS.join(", ")}`);
  for (const l of machineDescription()) console.log(`  ${l}`);
  const rows: (string | number)[][] = [];
  let run = 0;
  for (const queue of MODES)
    for (const down of DOWN)
    for (const limit of LIMITS)
      for (const n of SIZES) {
        const r = await rollout(gw, n, limit, queue, down, run++);
        rows.push([r.mode, r.n, r.limit, r.reqPerHandoff.toFixed(1), r.kibPerHandoff.toFixed(1), r.recordsPerHandoff.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), r.totalRequests, r.overIdeal.toFixed(2)]);
        console.log(`  done: ${r.mode} n=${n} limit=${limit}`);
      }
  console.log(table(["mode", "N", "limit", "requests/hand-off", "KiB read/hand-off", "records read/hand-off", "hand-off p50 ms", "hand-off p99 ms", "total requests", "wall / ideal"], rows));
} finally {
  await gw.close();
  await cluster.stop();
}

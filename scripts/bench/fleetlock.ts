/**
 * FleetLock server throughput and latency on loopback, against a real single-member etcd
 * (Debian's /usr/bin/etcd on 127.0.0.1, random ports, temp data dir).
 *
 *   ./node_modules/.bin/bun scripts/bench/fleetlock.ts [--requests N] [--seconds S]
 *
 * Scenarios (each bounded by N requests and S seconds, whichever comes first):
 *   etcd txn (baseline)   one etcd write transaction, for scale (each is a raft commit + fsync)
 *   grant                 pre-reboot by a new id that gets a slot: 3 reads, lease grant, 2 txns
 *   refused-full          pre-reboot while the group is full (Zincati's 5-minute poll): 1 read
 *   recursive             pre-reboot by the holder (already locked): 1 read
 *   release               steady-state by a holder: 1 get, 1 txn
 *   grant c=8, 2 servers  the grant path from 8 concurrent clients over 2 servers; every grant
 *                         bumps the global guard, so concurrent grants serialize and some lose
 *                         their races (503 conflict, counted under "other")
 * 20 FleetLock clients hold slots throughout, and every timed grant is released untimed, so the
 * state read by each request stays the size of a real cluster's. Prints one table and exits 0;
 * latencies are HTTP round trips measured by the client.
 */
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { createEtcdBackend, createFleetLockHandler, startFleetLockServer, type BackendSettings, type RunningServer } from "../../src/fleetlock/index.ts";
import { silentLogger } from "../../src/observe/index.ts";
import { realPorts } from "../../src/platform/index.ts";
import { makeKeys, type Keys } from "../../src/slots/index.ts";
import { parseWindows } from "../../src/windows/index.ts";
import { startEtcd } from "../../tests/support/etcd.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(n) && n > 0 ? n : def;
};
const REQUESTS = arg("requests", 400);
const SECONDS = arg("seconds", 10);

interface Row {
  scenario: string;
  ok: number;
  failed: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const hex = (n: number) => n.toString(16).padStart(32, "0");

async function post(url: string, op: "pre-reboot" | "steady-state", id: string, group: string): Promise<number> {
  const res = await fetch(`${url}v1/${op}`, {
    method: "POST",
    headers: { "fleet-lock-protocol": "true" },
    body: JSON.stringify({ client_params: { id, group } }, null, 2),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Times one request; `status` is compared with the scenario's expected status. */
async function timed(p: () => Promise<number>): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  const status = await p();
  return { status, ms: performance.now() - t };
}

/**
 * Runs `one(i)` from `concurrency` workers until REQUESTS are done or SECONDS have passed. `one`
 * may do untimed set-up or clean-up around the request it times (e.g. release after a grant, so
 * the cluster state stays the size of a real cluster's).
 */
async function measure(scenario: string, concurrency: number, expectStatus: number, one: (i: number) => Promise<{ status: number; ms: number }>): Promise<Row> {
  const lat: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  let busyMs = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < REQUESTS && performance.now() < deadline) {
        const r = await one(next++);
        lat.push(r.ms);
        busyMs += r.ms;
        if (r.status === expectStatus) ok++;
        else failed++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  // Throughput of the timed requests alone: concurrency × requests per second of busy time.
  const rps = (lat.length / (busyMs / 1000)) * concurrency;
  return { scenario, ok, failed, rps, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1] ?? NaN };
}

function settings(limits: Record<string, number>): BackendSettings {
  const w = parseWindows({ deny: [], allow: [], timezone: "UTC" });
  if (!w.ok) throw new Error("windows");
  return {
    limitFor: (g) => limits[g],
    globalCap: null,
    slotTimeoutSec: 300,
    cooldownSec: 0,
    windows: w.windows,
    policy: { minHealthyFraction: null, minHealthyAbsolute: null, forbidIfOnlyFallbackLeft: false, fallbackNodes: [] },
    publishIntervalMs: 15_000,
    countDownNodes: true,
    maxFailedReboots: 1,
    healthTimeoutMs: 30_000,
    serverName: "bench",
    pid: process.pid,
  };
}

async function main(): Promise<void> {
  const cluster = await startEtcd();
  const gateways: EtcdGateway[] = [];
  const servers: RunningServer[] = [];
  try {
    const keys: Keys = makeKeys(`/bench${Date.now()}`);
    const limits = { open: 1_000_000, full: 1 };
    for (let i = 0; i < 2; i++) {
      const gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 5000 });
      gateways.push(gw);
      const backend = createEtcdBackend({ gw, keys, platform: realPorts(), log: silentLogger, settings: settings(limits) });
      servers.push(startFleetLockServer({ listen: "127.0.0.1:0", handler: createFleetLockHandler({ backend }) }));
    }
    const [a, b] = servers.map((s) => s.url) as [string, string];
    // Warm up connections and the etcd client.
    for (let i = 0; i < 20; i++) await post(a, "steady-state", hex(1e6 + i), "open");

    const rows: Row[] = [];
    const gw0 = gateways[0]!;
    rows.push(await measure("etcd txn (baseline)", 1, 200, (i) => timed(async () => ((await gw0.txn([], [{ kind: "put", key: `${keys.prefix}/bench/${i % 10}`, value: "x" }])).succeeded ? 200 : 500))));
    // A realistic cluster: 20 FleetLock clients hold slots while we measure.
    for (let i = 0; i < 20; i++) await post(a, "pre-reboot", hex(7e6 + i), "open");
    await post(a, "pre-reboot", hex(9e6), "full");
    rows.push(await measure("grant", 1, 200, async (i) => {
      const r = await timed(() => post(a, "pre-reboot", hex(i + 1), "open"));
      await post(a, "steady-state", hex(i + 1), "open");
      return r;
    }));
    rows.push(await measure("refused-full", 1, 423, (i) => timed(() => post(a, "pre-reboot", hex(8e6 + i), "full"))));
    rows.push(await measure("recursive", 1, 200, (i) => timed(() => post(a, "pre-reboot", hex(7e6 + (i % 20)), "open"))));
    rows.push(await measure("release", 1, 200, async (i) => {
      await post(a, "pre-reboot", hex(i + 1), "open");
      return timed(() => post(a, "steady-state", hex(i + 1), "open"));
    }));
    rows.push(await measure("grant c=8, 2 servers", 8, 200, async (i) => {
      const url = i % 2 ? b : a;
      const r = await timed(() => post(url, "pre-reboot", hex(5e6 + i), "open"));
      await post(url, "steady-state", hex(5e6 + i), "open");
      return r;
    }));

    const head = ["scenario", "ok", "other", "req/s", "p50 ms", "p99 ms", "max ms"];
    const body = rows.map((r) => [r.scenario, String(r.ok), String(r.failed), r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), r.max.toFixed(2)]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
    console.log(`FleetLock on loopback, 1 etcd member, ${REQUESTS} requests or ${SECONDS}s per scenario, bun ${Bun.version}`);
    console.log(line(head));
    for (const row of body) console.log(line(row));
  } finally {
    await Promise.all(servers.map((s) => s.stop(true)));
    await Promise.all(gateways.map((g) => g.close()));
    await cluster.stop();
  }
}

await main();

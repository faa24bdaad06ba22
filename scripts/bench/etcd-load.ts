/**
 * etcd requests per node per minute in steady state (no node needs a reboot), for fleets of 100
 * and 500 members with production intervals (check 60 s, heartbeat 15 s, lease TTL 90 s).
 *
 *   ./node_modules/.bin/bun scripts/bench/etcd-load.ts [--sizes 100,500] [--warmup 75] [--seconds 180]
 *
 * Members are in-process (scripts/bench/_members.ts: the real runLoop, session and pass code, 20
 * shared connections), all against one fresh single-member etcd per size. Requests are counted by
 * etcd itself: `grpc_server_msg_received_total` from its /metrics, read before and after the
 * window, per gRPC method — for unary calls one message is one request; for streams it counts
 * every message (a lease keep-alive, a watch create). Also reported: bytes etcd sent to clients
 * (the pass reads every member's records, so this grows with the fleet) and etcd's own CPU.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEtcd } from "../../tests/support/etcd.ts";
import { startMembers } from "./_members.ts";
import { CLK_TCK, machineDescription, numArg, procSample, table } from "./_common.ts";

const sizesArg = process.argv.indexOf("--sizes");
const SIZES = sizesArg >= 0 ? process.argv[sizesArg + 1]!.split(",").map(Number) : [100, 500];
const WARMUP_S = numArg("warmup", 75);
const SECONDS = numArg("seconds", 180);

interface Counters {
  byMethod: Map<string, number>;
  sentBytes: number;
  receivedBytes: number;
}

async function scrape(endpoint: string): Promise<Counters> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const byMethod = new Map<string, number>();
  for (const m of text.matchAll(/^grpc_server_msg_received_total\{([^}]*)\} (\S+)$/gm)) {
    const method = /grpc_method="([^"]+)"/.exec(m[1]!)?.[1] ?? "?";
    byMethod.set(method, (byMethod.get(method) ?? 0) + Number(m[2]));
  }
  const num = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  return { byMethod, sentBytes: num("etcd_network_client_grpc_sent_bytes_total"), receivedBytes: num("etcd_network_client_grpc_received_bytes_total") };
}

async function measure(size: number): Promise<{ rows: (string | number)[][]; summary: (string | number)[] }> {
  const cluster = await startEtcd();
  const dir = mkdtempSync(join(tmpdir(), "crd-bench-etcd-load-"));
  const endpoint = cluster.endpoints[0]!;
  const members = await startMembers({ count: size, endpoints: cluster.endpoints, dir, prefix: "/clusterrebootd", connections: 20, spreadMs: 20_000 });
  try {
    await Bun.sleep(Math.max(0, WARMUP_S * 1000 - 20_000));
    const etcdPid = cluster.members[0]!.pid;
    const [a, ca] = [await scrape(endpoint), procSample(etcdPid)];
    const t0 = performance.now();
    await Bun.sleep(SECONDS * 1000);
    const [b, cb] = [await scrape(endpoint), procSample(etcdPid)];
    const minutes = (performance.now() - t0) / 60_000;
    const per = (n: number) => n / size / minutes;
    const rows: (string | number)[][] = [];
    let total = 0;
    for (const [method, after] of [...b.byMethod].sort()) {
      const d = after - (a.byMethod.get(method) ?? 0);
      if (d <= 0) continue;
      total += d;
      rows.push([`${size}`, method, per(d)]);
    }
    const etcdCpu = ca && cb ? (100 * (cb.cpuTicks - ca.cpuTicks)) / CLK_TCK / (minutes * 60) : NaN;
    return {
      rows,
      summary: [`${size}`, members.running(), per(total), (total / minutes / 60), per(b.sentBytes - a.sentBytes) / 1024, per(b.receivedBytes - a.receivedBytes) / 1024, etcdCpu],
    };
  } finally {
    await members.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`etcd load benchmark: sizes ${SIZES.join(", ")}; ${WARMUP_S} s warm-up (starts spread over 20 s), ${SECONDS} s measured`);
for (const l of machineDescription()) console.log(`  ${l}`);
const perMethod: (string | number)[][] = [];
const summary: (string | number)[][] = [];
for (const size of SIZES) {
  const r = await measure(size);
  perMethod.push(...r.rows);
  summary.push(r.summary);
}
console.log("\nper member per minute, steady state (etcd's grpc_server_msg_received_total)");
console.log(table(["members", "running", "requests/member/min", "requests/s (all)", "KiB sent/member/min", "KiB received/member/min", "etcd CPU %"], summary));
console.log("\nby gRPC method (messages per member per minute)");
console.log(table(["members", "method", "per member/min"], perMethod));

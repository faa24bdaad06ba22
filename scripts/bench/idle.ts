/**
 * Idle cost of `clusterrebootd run`: RSS and CPU of one daemon that needs no reboot, connected to
 * a real single-member etcd on loopback, metrics on (and scraped every 15 s, as Prometheus would),
 * next to a bare compiled Bun program measured over the same seconds.
 *
 *   ./node_modules/.bin/bun scripts/bench/idle.ts [--seconds 300] [--warmup 10]
 *
 * Both are release builds (scripts/build.ts, same flags). A second daemon with metrics off runs
 * alongside, to show what the metrics endpoint costs. The daemon keeps production defaults
 * (check_interval_sec 60, health_publish_interval_sec 15, lock_ttl_sec 90): its idle work is a
 * pass per minute, a heartbeat (health script + one etcd put) every 15 s, and the lease keep-alive.
 * RSS is VmRSS from /proc/<pid>/status sampled every second; CPU is utime+stime from
 * /proc/<pid>/stat over the window (children, i.e. health-script shells, reported apart).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { startEtcd, waitFor } from "../../tests/support/etcd.ts";
import { freePort } from "../../tests/support/ports.ts";
import { parentDeathPrefix, trackChild } from "../../tests/support/reaper.ts";
import { buildBinaries } from "./_binaries.ts";
import { CLK_TCK, machineDescription, mean, numArg, procSample, table, wakeups, type ProcSample } from "./_common.ts";

const SECONDS = numArg("seconds", 300);
const WARMUP = numArg("warmup", 10);
const SCRAPE_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), "crd-bench-idle-"));
const cluster = await startEtcd();
const procs: Bun.Subprocess[] = [];
const cleanup = async () => {
  for (const p of procs) p.kill("SIGKILL");
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
process.on("SIGTERM", () => void cleanup().then(() => process.exit(143)));

try {
  console.log(`idle benchmark: ${SECONDS} s after ${WARMUP} s warm-up`);
  for (const l of machineDescription()) console.log(`  ${l}`);
  const bins = await buildBinaries(join(dir, "dist"));
  const port = await freePort();
  const health = join(dir, "health.sh");
  writeFileSync(health, "#!/bin/sh\nexit 0\n");
  chmodSync(health, 0o755);
  const port3 = await freePort();
  const writeConfig = (name: string, metrics: boolean, listenPort = port) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(
      path,
      stringify({
        node_name: name,
        reboot_required_detectors: [{ type: "file", path: join(dir, "reboot-required") }],
        health_script: health,
        etcd_endpoints: cluster.endpoints,
        kill_switch_file: join(dir, "disable"),
        reboot_command: ["/bin/false"],
        metrics: { enabled: metrics, listen: `127.0.0.1:${listenPort}` },
      }),
    );
    return path;
  };
  const config = writeConfig("idle-1", true);
  // The same daemon without metrics, to show what the metrics cost.
  const configNoMetrics = writeConfig("idle-2", false);
  // The same as the first, with JavaScriptCore's DFG JIT off (a candidate for the unit file).
  const configNoDfg = writeConfig("idle-3", true, port3);
  const spawn = (argv: string[], env: Record<string, string> = {}) => {
    const p = Bun.spawn([...parentDeathPrefix(), ...argv], { cwd: dir, stdin: "ignore", stdout: "ignore", stderr: Bun.file(join(dir, `${procs.length}.log`)), env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
    trackChild(p);
    procs.push(p);
    return p;
  };
  const daemon = spawn([bins.product, "run", "--config", config]);
  const plain = spawn([bins.product, "run", "--config", configNoMetrics]);
  const noDfg = spawn([bins.product, "run", "--config", configNoDfg], { BUN_JSC_useDFGJIT: "0" });
  const bare = spawn([bins.bare, "idle"]);
  const metricsUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${metricsUrl}/metrics`)).ok && (await (await fetch(`${metricsUrl}/metrics`)).text()).includes("etcd_up 1"), {
    timeoutMs: 90_000,
    intervalMs: 250,
    what: "the daemon to report etcd_up 1 on /metrics",
  });
  await Bun.sleep(WARMUP * 1000);

  const series = new Map<number, ProcSample[]>([[daemon.pid, []], [plain.pid, []], [noDfg.pid, []], [bare.pid, []]]);
  const sample = () => {
    for (const [pid, list] of series) {
      const s = procSample(pid);
      if (!s) throw new Error(`process ${pid} is gone (log: ${dir})`);
      list.push(s);
    }
  };
  sample();
  const t0 = performance.now();
  let nextScrape = t0 + SCRAPE_MS;
  let scrapes = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    await Bun.sleep(1000);
    sample();
    if (performance.now() >= nextScrape) {
      nextScrape += SCRAPE_MS;
      await (await fetch(`${metricsUrl}/metrics`)).text();
      await (await fetch(`http://127.0.0.1:${port3}/metrics`)).text();
      scrapes++;
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  const row = (name: string, pid: number): (string | number)[] => {
    const s = series.get(pid)!;
    const first = s[0]!;
    const last = s[s.length - 1]!;
    const rss = s.map((x) => x.rssKb / 1024);
    const cpuS = (last.cpuTicks - first.cpuTicks) / CLK_TCK;
    return [name, rss[0]!, mean(rss), Math.max(...rss), rss[rss.length - 1]!, cpuS, (100 * cpuS) / elapsed, (last.childTicks - first.childTicks) / CLK_TCK, wakeups(s) / elapsed, last.threads];
  };
  console.log(`\nmeasured ${elapsed.toFixed(0)} s, ${series.get(daemon.pid)!.length} samples, /metrics scraped ${scrapes} times`);
  console.log(
    table(
      ["program", "RSS start MiB", "RSS mean MiB", "RSS max MiB", "RSS end MiB", "CPU s", "CPU % of 1 core", "children CPU s", "wakeups/s", "threads"],
      [row("clusterrebootd run (idle, etcd, metrics)", daemon.pid), row("clusterrebootd run (idle, etcd, metrics off)", plain.pid), row("clusterrebootd run (idle, etcd, metrics, BUN_JSC_useDFGJIT=0)", noDfg.pid), row("bare compiled Bun program", bare.pid)],
    ),
  );
} finally {
  await cleanup();
}

/**
 * Real Prometheus and Alertmanager for the tests (Debian's `prometheus` 2.42 and
 * `prometheus-alertmanager` 0.25, installed by scripts/setup): each on 127.0.0.1 with a free
 * port and a temp dir, ready once its /-/ready answers (with a deadline), stopped by PID.
 * Every process is registered with ./reaper.ts and dies with the test runner.
 */
import type { Subprocess } from "bun";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { ownedDirPrefix, parentDeathPrefix, sweepStaleDirs, trackChild, trackDir, untrackDir } from "./reaper.ts";
import { requireTool } from "./tools.ts";
import { waitFor } from "./wait.ts";

export interface Server {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  dir: string;
  /** What the process wrote so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Rule files (absolute paths) to load. */
  ruleFiles?: string[];
  /** host:port targets of one scrape job `targets`, scraped every second. */
  targets?: string[];
  /** Alertmanager base URLs to send alerts to. */
  alertmanagers?: string[];
}

/** Starts Prometheus with a 1 s scrape and rule-evaluation interval. */
export async function startPrometheus(o: PrometheusOptions = {}): Promise<Server> {
  requireTool("prometheus", "prometheus");
  const dir = await tempDir("prom");
  const yaml = [
    "global: { scrape_interval: 1s, evaluation_interval: 1s }",
    `rule_files: ${JSON.stringify(o.ruleFiles ?? [])}`,
    "scrape_configs:",
    `  - { job_name: targets, static_configs: [{ targets: ${JSON.stringify(o.targets ?? [])} }] }`,
    ...(o.alertmanagers?.length
      ? ["alerting:", `  alertmanagers: [{ static_configs: [{ targets: ${JSON.stringify(o.alertmanagers.map((u) => new URL(u).host))} }] }]`]
      : []),
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), yaml + "\n");
  return launch("prometheus", dir, (port) => [
    "prometheus",
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ]);
}

/** Starts Alertmanager with one do-nothing receiver and no clustering (no gossip port). */
export async function startAlertmanager(): Promise<Server> {
  requireTool("prometheus-alertmanager", "prometheus-alertmanager");
  const dir = await tempDir("am");
  await writeFile(join(dir, "alertmanager.yml"), "route: { receiver: none }\nreceivers: [{ name: none }]\n");
  return launch("alertmanager", dir, (port) => [
    "prometheus-alertmanager",
    `--config.file=${join(dir, "alertmanager.yml")}`,
    `--storage.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--cluster.listen-address=",
    "--log.level=warn",
  ]);
}

/** Runs `promtool` with `args`: exit code and output. */
export async function promtool(args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  requireTool("promtool", "prometheus");
  const proc = Bun.spawn([...parentDeathPrefix(), "promtool", ...args], { cwd, stdout: "pipe", stderr: "pipe", timeout: 60_000, killSignal: "SIGKILL" });
  trackChild(proc);
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out: out + err };
}

// --- internal ---

async function tempDir(kind: string): Promise<string> {
  sweepStaleDirs(kind);
  const dir = await mkdtemp(ownedDirPrefix(kind));
  trackDir(dir);
  return dir;
}

async function launch(name: string, dir: string, argv: (port: number) => string[]): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([...parentDeathPrefix(), ...argv(port)], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    trackChild(proc);
    let log = "";
    const drain = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) log += new TextDecoder().decode(chunk);
    };
    void drain(proc.stdout).catch(() => {});
    void drain(proc.stderr).catch(() => {});
    const url = `http://127.0.0.1:${port}`;
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, "SIGKILL");
      await proc.exited;
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    };
    try {
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${log.slice(-1000)}`);
          return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok;
        },
        { timeoutMs: 20_000, intervalMs: 50, what: `${name} on ${url} to be ready` },
      );
      return { url, pid: proc.pid, dir, log: () => log, stop };
    } catch (err) {
      const inUse = /address already in use/i.test(log);
      if (proc.exitCode === null) process.kill(proc.pid, "SIGKILL");
      await proc.exited;
      if (inUse && attempt < 3) continue; // another process took the port between our pick and the bind
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
      throw err;
    }
  }
}

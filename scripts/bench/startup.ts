/**
 * Start-up time of the release binary: `version` and `status --skip-lock` (config loaded and
 * validated, detectors and health script run, no etcd), next to a bare compiled Bun program that
 * prints one line, all built in this run with the same flags (scripts/build.ts).
 *
 *   ./node_modules/.bin/bun scripts/bench/startup.ts [--runs 40]
 *
 * Uses hyperfine (-N: no shell in between) when installed, else a spawn-and-wait loop of its own.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { buildBinaries } from "./_binaries.ts";
import { machineDescription, mean, numArg, pct, table } from "./_common.ts";

const RUNS = numArg("runs", 40);
const ROOT = resolve(import.meta.dir, "../..");

interface Case {
  name: string;
  argv: string[];
}
interface Result {
  name: string;
  meanMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  sdMs: number;
}

const dir = mkdtempSync(join(tmpdir(), "crd-bench-startup-"));
try {
  console.log(`start-up benchmark: ${RUNS} runs each (after 3 warm-up runs)`);
  for (const l of machineDescription()) console.log(`  ${l}`);
  const bins = await buildBinaries(join(dir, "dist"));
  const health = join(dir, "health.sh");
  writeFileSync(health, "#!/bin/sh\nexit 0\n");
  chmodSync(health, 0o755);
  writeFileSync(join(dir, "reboot-required"), "");
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    stringify({
      node_name: "bench-1",
      reboot_required_detectors: [{ type: "file", path: join(dir, "reboot-required") }],
      health_script: health,
      etcd_endpoints: ["http://127.0.0.1:1"],
      kill_switch_file: join(dir, "disable"),
    }),
  );
  const cases: Case[] = [
    { name: "bare compiled Bun program", argv: [bins.bare] },
    { name: "clusterrebootd version", argv: [bins.product, "version"] },
    { name: "clusterrebootd status --skip-lock", argv: [bins.product, "status", "--skip-lock", "--config", config] },
    { name: "clusterrebootd status --skip-lock --skip-health", argv: [bins.product, "status", "--skip-lock", "--skip-health", "--config", config] },
    { name: "bun src/main.ts version (from source)", argv: [process.execPath, join(ROOT, "src/main.ts"), "version"] },
  ];
  for (const c of cases) {
    const r = Bun.spawnSync(c.argv, { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${c.argv.join(" ")} exited ${r.exitCode}: ${r.stderr.toString()}`);
  }
  const hyperfine = Bun.which("hyperfine");
  const results = hyperfine ? await viaHyperfine(hyperfine, cases) : await viaLoop(cases);
  console.log(`\nmeasured with ${hyperfine ? "hyperfine -N" : "a spawn-and-wait loop"}; times in ms`);
  console.log(table(["command", "mean", "median", "min", "max", "stddev"], results.map((r) => [r.name, r.meanMs, r.medianMs, r.minMs, r.maxMs, r.sdMs])));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function viaHyperfine(bin: string, cases: Case[]): Promise<Result[]> {
  const json = join(dir, "hyperfine.json");
  const argv = [bin, "-N", "--warmup", "3", "--runs", String(RUNS), "--style", "none", "--export-json", json];
  for (const c of cases) argv.push("--command-name", c.name, c.argv.map(shellWord).join(" "));
  const p = Bun.spawn(argv, { stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`hyperfine failed (exit ${code}): ${err}`);
  const data = JSON.parse(readFileSync(json, "utf8")) as { results: { command: string; mean: number; median: number; min: number; max: number; stddev: number }[] };
  return data.results.map((r) => ({ name: r.command, meanMs: r.mean * 1e3, medianMs: r.median * 1e3, minMs: r.min * 1e3, maxMs: r.max * 1e3, sdMs: r.stddev * 1e3 }));
}

async function viaLoop(cases: Case[]): Promise<Result[]> {
  const out: Result[] = [];
  for (const c of cases) {
    const times: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const t0 = performance.now();
      const p = Bun.spawn(c.argv, { stdout: "ignore", stderr: "ignore" });
      await p.exited;
      if (i >= 3) times.push(performance.now() - t0);
    }
    const m = mean(times);
    const sd = Math.sqrt(mean(times.map((t) => (t - m) ** 2)));
    out.push({ name: c.name, meanMs: m, medianMs: pct(times, 50), minMs: Math.min(...times), maxMs: Math.max(...times), sdMs: sd });
  }
  return out;
}

/** hyperfine -N splits the command on whitespace; our paths have none, but refuse if they do. */
function shellWord(s: string): string {
  if (/\s/.test(s)) throw new Error(`path with whitespace not supported by hyperfine -N: ${s}`);
  return s;
}

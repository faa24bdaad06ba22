/**
 * Runs spin on models/slots.pml for every configuration of configs.ts: `spin -a`, `cc`, `./pan`,
 * exhaustive (no bitstate). Prints one table row per configuration (states stored, transitions,
 * time, trail length) and exits 1 when a "pass" configuration found an error or was not searched
 * completely, or when a "fail" configuration (a mutant) found no counter-example; 2 when spin or
 * cc is missing.
 *
 *   bun scripts/model/check.ts [--fast] [--json] [--only NAME]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CONFIGS, type ModelConfig } from "./configs.ts";

export const MODEL = resolve(import.meta.dir, "../../models/slots.pml");
/** Per pan run; the largest configuration takes about a minute on one core. */
const RUN_TIMEOUT_MS = 300_000;

export interface RunResult {
  config: ModelConfig;
  ok: boolean;
  errors: number;
  statesStored: number;
  transitions: number;
  seconds: number;
  /** Steps in the counter-example trail (mutants), 0 when there is none. */
  trailSteps: number;
  complete: boolean;
  note: string;
}

const APT_HINT = "spin is not installed: apt-get update && apt-get install -y spin gcc libc6-dev";

export function toolsMissing(): string | undefined {
  for (const tool of ["spin", "cc"]) {
    const r = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
    if (r.status !== 0) return `${tool} not found. ${APT_HINT}`;
  }
  return undefined;
}

function run(cmd: string, args: string[], cwd: string, timeout = RUN_TIMEOUT_MS) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: (r.stdout ?? "") + (r.stderr ?? ""), timedOut: r.error !== undefined };
}

const num = (re: RegExp, s: string) => Number(re.exec(s)?.[1] ?? NaN);

export function checkConfig(c: ModelConfig): RunResult {
  const dir = mkdtempSync(join(tmpdir(), "crd-model-"));
  const res: RunResult = { config: c, ok: false, errors: 0, statesStored: 0, transitions: 0, seconds: 0, trailSteps: 0, complete: false, note: "" };
  try {
    copyFileSync(MODEL, join(dir, "slots.pml"));
    const d = [...c.defines, ...(c.expect === "fail" ? ["NOHIDDEN"] : [])].map((x) => `-D${x}`);
    const gen = run("spin", ["-a", ...d, "slots.pml"], dir);
    if (gen.code !== 0) return { ...res, note: `spin -a failed: ${gen.out.trim().slice(-500)}` };
    // Safety: plain DFS; mutants: breadth-first, so the trail is a shortest counter-example.
    const cflags = c.kind === "liveness" ? ["-DCOLLAPSE", "-DNOREDUCE"] : c.expect === "fail" ? ["-DSAFETY", "-DCOLLAPSE", "-DBFS"] : ["-DSAFETY", "-DCOLLAPSE"];
    const cc = run("cc", ["-O2", "-w", ...cflags, "-o", "pan", "pan.c"], dir);
    if (cc.code !== 0) return { ...res, note: `cc failed: ${cc.out.trim().slice(-500)}` };
    // With a fault budget the run can end (everyone done, no fault left): not a deadlock, so -E.
    const bounded = c.defines.some((x) => x.startsWith("BUDGET="));
    const panArgs = c.kind === "liveness" ? ["-m3000000", "-a", "-f", "-N", "live"] : ["-m3000000", ...(bounded ? ["-E"] : [])];
    const pan = run("./pan", panArgs, dir);
    if (pan.timedOut) return { ...res, note: `pan did not finish within ${RUN_TIMEOUT_MS / 1000} s` };
    const o = pan.out;
    res.errors = num(/errors: (\d+)/, o);
    res.statesStored = num(/([\d.e+]+) states, stored/, o);
    res.transitions = num(/([\d.e+]+) transitions/, o);
    res.seconds = num(/elapsed time ([\d.e+]+) seconds/, o) || 0;
    const truncated = /max search depth too small|out of memory|search not completed/i.test(o);
    res.complete = !truncated && Number.isFinite(res.errors);
    const trail = join(dir, "slots.pml.trail");
    if (existsSync(trail)) res.trailSteps = readFileSync(trail, "utf8").split("\n").filter((l) => /^\d+:/.test(l)).length;
    if (c.expect === "pass") {
      res.ok = res.complete && res.errors === 0;
      res.note = res.ok ? "no error, exhaustive" : truncated ? "search incomplete" : `${res.errors} error(s)`;
    } else {
      // Only a violated property (every assert in the model is one of P1-P3) counts: a mutant
      // failing for another reason (a bad array index, a deadlock) proves nothing.
      res.ok = res.errors > 0 && res.trailSteps > 0 && /assertion violated .*<= ?\d/.test(o);
      res.note = res.ok ? `counter-example, ${res.trailSteps} steps` : res.errors > 0 ? "error, but not a property assertion" : "no counter-example found";
    }
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatRow(r: RunResult): string {
  const c = r.config;
  return [
    (r.ok ? "ok  " : "FAIL") + " " + c.name.padEnd(26),
    `expect ${c.expect}`.padEnd(12),
    `${r.statesStored}`.padStart(9) + " states",
    `${r.transitions}`.padStart(10) + " transitions",
    `${r.seconds.toFixed(1)}`.padStart(6) + " s",
    r.note,
  ].join("  ");
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { fast: { type: "boolean" }, json: { type: "boolean" }, only: { type: "string" } } });
  const missing = toolsMissing();
  if (missing) {
    console.error(missing);
    process.exit(2);
  }
  const chosen = CONFIGS.filter((c) => (values.only ? c.name === values.only : !values.fast || c.fast));
  if (chosen.length === 0) {
    console.error(`no configuration named ${values.only}`);
    process.exit(64);
  }
  const results: RunResult[] = [];
  for (const c of chosen) {
    const r = checkConfig(c);
    results.push(r);
    if (!values.json) console.log(formatRow(r));
  }
  if (values.json)
    console.log(JSON.stringify(results.map((r) => ({ name: r.config.name, expect: r.config.expect, ok: r.ok, errors: r.errors, states_stored: r.statesStored, transitions: r.transitions, seconds: r.seconds, trail_steps: r.trailSteps, note: r.note }))));
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

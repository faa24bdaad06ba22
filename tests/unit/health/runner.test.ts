import { afterEach, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createHealthRunner } from "../../../src/health/index.ts";
import type { HealthRunnerOptions } from "../../../src/health/index.ts";
import { createFs, createProcessRunner, systemClock } from "../../../src/platform/index.ts";
import type { ProcessRunner, RunResult } from "../../../src/platform/index.ts";
import { FakeClock } from "../../fakes/clock.ts";
import { FakeHost } from "../../fakes/host.ts";
import { FakeRunner, exited } from "../../fakes/runner.ts";
import { Scratch, isGone, readPids, waitFor } from "../platform/_helpers.ts";

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const vars = { lockHeld: false, lockAttempts: 0, lockEnabled: true };
const baseEnv = { RC_NODE_NAME: "node-a", RC_DRY_RUN: "false" };

/** A runner over real processes; FakeHost decides whether we pretend to be root. */
function realRunner(scriptPath: string, opts: Partial<HealthRunnerOptions> = {}, uid = process.geteuid!()) {
  return createHealthRunner(
    { scriptPath, timeoutMs: 5000, baseEnv, ...opts },
    { runner: createProcessRunner(), fs: createFs(), host: new FakeHost({ uid }), clock: systemClock },
  );
}

describe("script outcome", () => {
  test.each([
    ["exit 0", { kind: "pass", exitCode: 0 }],
    ["exit 1", { kind: "blocked", exitCode: 1 }],
    ["echo busy; exit 42", { kind: "blocked", exitCode: 42, stdout: "busy\n" }],
    ["kill -9 $$", { kind: "error", error: "health script killed by signal SIGKILL" }],
  ])("`%s` → %o", async (body, expected) => {
    const script = await scratch.script(await scratch.dir(), "health.sh", body);
    const r = await realRunner(script).run("monitor", vars);
    expect(r).toMatchObject({ phase: "monitor", ...expected });
  });

  test("a timeout is its own (unhealthy) kind, and the script's group is killed in time", async () => {
    const dir = await scratch.dir();
    const pids = scratch.pidFile(dir);
    const script = await scratch.script(dir, "health.sh", `sleep 30 & echo $! > ${pids}; exec sleep 30`);
    const started = performance.now();
    const r = await realRunner(script, { timeoutMs: 250 }).run("heartbeat", vars);
    expect(performance.now() - started).toBeLessThan(250 + 1000);
    expect(r).toMatchObject({ kind: "timeout", timeoutMs: 250, phase: "heartbeat" });
    const [grandchild] = await readPids(pids);
    expect(await waitFor(() => isGone(grandchild!), 1000)).toBe(true);
  });

  test("truncates a flood of output at 64 KiB", async () => {
    const script = await scratch.script(await scratch.dir(), "health.sh", "head -c 1048576 /dev/zero | tr '\\0' x");
    const r = await realRunner(script).run("monitor", vars);
    expect(r).toMatchObject({ kind: "pass", truncated: true });
    expect(r.stdout).toEndWith("\n[… output truncated at 65536 bytes]");
  });
});

describe("environment", () => {
  test("the script sees process env, base env and per-invocation RC_* values", async () => {
    const dir = await scratch.dir();
    const dump = join(dir, "env");
    const script = await scratch.script(dir, "health.sh", `env > ${dump}`);
    const runner = realRunner(script, { baseEnv: { ...baseEnv, RC_LOCK_ENABLED: "stale", RC_PHASE: "stale" } });
    const r = await runner.run("post-lock", { lockHeld: true, lockAttempts: 3, lockEnabled: true, extra: { RC_EXTRA: "1" } });
    expect(r.kind).toBe("pass");
    const env = parseEnv(await readFile(dump, "utf8"));
    expect(env).toMatchObject({
      RC_PHASE: "post-lock",
      RC_NODE_NAME: "node-a",
      RC_DRY_RUN: "false",
      RC_LOCK_ENABLED: "true",
      RC_LOCK_HELD: "true",
      RC_LOCK_ATTEMPTS: "3",
      RC_EXTRA: "1",
      PATH: process.env.PATH!,
    });
  });

  test.each([
    ["monitor", { lockHeld: false, lockAttempts: 0, lockEnabled: true }, ["false", "0", "true"]],
    ["heartbeat", { lockHeld: false, lockAttempts: 0, lockEnabled: false }, ["false", "0", "false"]],
  ] as const)("%s exports RC_LOCK_HELD/ATTEMPTS/ENABLED = %j", async (phase, v, [held, attempts, enabled]) => {
    const runner = new FakeRunner().on(() => true, exited(0));
    const health = createHealthRunner(
      { scriptPath: "/bin/true", timeoutMs: 1000, baseEnv },
      { runner, fs: createFs(), host: new FakeHost(), clock: new FakeClock() },
    );
    await health.run(phase, v);
    expect(runner.calls[0]?.env).toMatchObject({ RC_PHASE: phase, RC_LOCK_HELD: held, RC_LOCK_ATTEMPTS: attempts, RC_LOCK_ENABLED: enabled });
    expect(runner.calls[0]?.argv).toEqual(["/bin/true"]);
  });
});

describe("skip", () => {
  test("--skip-health passes without executing anything", async () => {
    const dir = await scratch.dir();
    const marker = join(dir, "ran");
    const script = await scratch.script(dir, "health.sh", `touch ${marker}; exit 1`);
    const r = await realRunner(script, { skip: true }).run("pre-lock", vars);
    expect(r).toMatchObject({ kind: "pass", exitCode: 0, stdout: "health script skipped during pre-lock (--skip-health)" });
    expect(await Bun.file(marker).exists()).toBe(false);
  });
});

describe("serialization", () => {
  test("runs never overlap, complete in call order, and carry increasing seq numbers", async () => {
    const gate = new GatedRunner();
    const health = createHealthRunner(
      { scriptPath: "/bin/true", timeoutMs: 1000, baseEnv },
      { runner: gate, fs: createFs(), host: new FakeHost(), clock: new FakeClock() },
    );
    const runs = [health.run("monitor", vars), health.run("heartbeat", vars), health.run("heartbeat", vars)];
    for (let i = 0; i < 3; i++) {
      expect(await waitFor(() => gate.started === i + 1)).toBe(true);
      expect(gate.running).toBe(1);
      gate.finishOne();
    }
    const results = await Promise.all(runs);
    expect(results.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(gate.maxConcurrent).toBe(1);
  });

  test("a run aborted while queued returns at once and does not execute", async () => {
    const gate = new GatedRunner();
    const health = createHealthRunner(
      { scriptPath: "/bin/true", timeoutMs: 1000, baseEnv },
      { runner: gate, fs: createFs(), host: new FakeHost(), clock: new FakeClock() },
    );
    const first = health.run("monitor", vars);
    expect(await waitFor(() => gate.started === 1)).toBe(true);
    const ac = new AbortController();
    const queued = health.run("heartbeat", vars, ac.signal);
    ac.abort();
    expect(await queued).toMatchObject({ kind: "error", seq: 2 });
    const third = health.run("heartbeat", vars);
    gate.finishOne();
    await first;
    expect(await waitFor(() => gate.started === 2)).toBe(true);
    gate.finishOne();
    expect(await third).toMatchObject({ kind: "pass", seq: 3 });
    expect(gate.started).toBe(2);
  });
});

// --- internal ---

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

/** A ProcessRunner whose runs finish only when the test says so; counts concurrency. */
class GatedRunner implements ProcessRunner {
  started = 0;
  running = 0;
  maxConcurrent = 0;
  private waiting: Array<() => void> = [];

  async run(): Promise<RunResult> {
    this.started += 1;
    this.running += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    await new Promise<void>((r) => this.waiting.push(r));
    this.running -= 1;
    return { kind: "exited", exitCode: 0, durationMs: 0, stdout: "", stderr: "", truncated: false };
  }

  finishOne(): void {
    this.waiting.shift()?.();
  }
}

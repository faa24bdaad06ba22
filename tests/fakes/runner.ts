import type { Clock, ProcessRunner, RunResult, RunSpec } from "../../src/platform/index.ts";

/** A scripted outcome; timing fields default to empty output and 0 ms. */
export type FakeOutcome =
  | ({ kind: "exited"; exitCode: number } & Partial<Timing>)
  | ({ kind: "signaled"; signal: string } & Partial<Timing>)
  | ({ kind: "spawn-error"; message: string } & Partial<Timing>)
  /** Runs until its timeout (on the injected clock) or until aborted, like a hung child. */
  | ({ kind: "hang" } & Partial<Timing>);

type Timing = { durationMs: number; stdout: string; stderr: string; truncated: boolean };
type Script = FakeOutcome | ((spec: RunSpec) => FakeOutcome | Promise<FakeOutcome>);
type Matcher = readonly string[] | ((spec: RunSpec) => boolean);

export const exited = (exitCode: number, out: Partial<Timing> = {}): FakeOutcome => ({ kind: "exited", exitCode, ...out });
export const signaled = (signal = "SIGKILL"): FakeOutcome => ({ kind: "signaled", signal });
export const spawnError = (message = "cannot execute: not found (ENOENT)"): FakeOutcome => ({ kind: "spawn-error", message });
export const hang = (): FakeOutcome => ({ kind: "hang" });

/**
 * A ProcessRunner that returns scripted results per argv and records every call. Several results
 * for one argv are used in order, the last one repeating. It honours `signal` and `timeoutMs` like
 * the real runner: an already-aborted signal yields `aborted` without "running"; a `hang` outcome
 * ends with `timeout` when the injected clock passes the timeout (immediately without a clock) or
 * with `aborted` when the signal fires. Unscripted argv → spawn-error, so a missing script is loud.
 */
export class FakeRunner implements ProcessRunner {
  readonly calls: RunSpec[] = [];
  private scripts: Array<{ match: Matcher; queue: Script[] }> = [];

  constructor(private readonly clock?: Clock) {}

  on(match: Matcher, ...results: Script[]): this {
    if (results.length === 0) throw new Error("FakeRunner.on needs at least one result");
    this.scripts.push({ match, queue: results });
    return this;
  }

  /** argv of every call so far. */
  get argvs(): string[][] {
    return this.calls.map((c) => [...c.argv]);
  }

  async run(spec: RunSpec): Promise<RunResult> {
    this.calls.push(spec);
    const base: Timing = { durationMs: 0, stdout: "", stderr: "", truncated: false };
    if (spec.signal?.aborted) return { kind: "aborted", ...base };
    const entry = this.scripts.find((s) => matches(s.match, spec));
    if (!entry) return { kind: "spawn-error", message: `FakeRunner: no script for ${JSON.stringify(spec.argv)}`, ...base };
    const script = entry.queue.length > 1 ? entry.queue.shift()! : entry.queue[0]!;
    const outcome = typeof script === "function" ? await script(spec) : script;
    if (outcome.kind !== "hang") return { ...base, ...outcome } as RunResult;
    return this.hangUntilKilled(spec, { ...base, ...outcome });
  }

  private async hangUntilKilled(spec: RunSpec, timing: Timing): Promise<RunResult> {
    const t = { durationMs: timing.durationMs, stdout: timing.stdout, stderr: timing.stderr, truncated: timing.truncated };
    if (this.clock) {
      await this.clock.sleep(spec.timeoutMs ?? Number.POSITIVE_INFINITY, spec.signal);
    } else if (spec.timeoutMs === undefined && spec.signal) {
      const signal = spec.signal;
      await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    }
    if (spec.signal?.aborted) return { kind: "aborted", ...t };
    if (spec.timeoutMs !== undefined) return { kind: "timeout", timeoutMs: spec.timeoutMs, ...t };
    throw new Error("FakeRunner: hang() without timeout, signal or clock would never end");
  }
}

function matches(m: Matcher, spec: RunSpec): boolean {
  if (typeof m === "function") return m(spec);
  return m.length === spec.argv.length && m.every((a, i) => a === spec.argv[i]);
}

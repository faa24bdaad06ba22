import { DEFAULT_MAX_OUTPUT_BYTES, type RunResult } from "../platform/index.ts";
import { buildHealthEnv } from "./_env.ts";
import { checkScriptSafety } from "./_safety.ts";
import type { HealthDeps, HealthPhase, HealthResult, HealthRunner, HealthRunnerOptions, HealthRunVars } from "./types.ts";

/**
 * The health-script runner. One runner per daemon: its runs are serialized FIFO, so the main loop
 * and the heartbeat never run the script concurrently. Each run re-checks the script's safety
 * (it may be replaced while we run), then executes it in its own process group with the timeout
 * enforced on the whole group (W7). Every failure mode is a result, never a throw.
 */
export function createHealthRunner(opts: HealthRunnerOptions, deps: HealthDeps): HealthRunner {
  let seq = 0;
  let tail: Promise<void> = Promise.resolve();

  async function runSerialized(phase: HealthPhase, vars: HealthRunVars, signal?: AbortSignal): Promise<HealthResult> {
    const mySeq = ++seq;
    const started = deps.clock.now();
    if (opts.skip) {
      const stdout = `health script skipped during ${phase} (--skip-health)`;
      return { phase, seq: mySeq, durationMs: 0, stdout, stderr: "", truncated: false, kind: "pass", exitCode: 0 };
    }
    const previous = tail;
    let release!: () => void;
    tail = new Promise<void>((resolve) => (release = resolve));
    const gotTurn = await waitTurn(previous, signal);
    if (!gotTurn) {
      // Keep the queue order: our slot frees only once the run before us has finished.
      void previous.then(release);
      return errorResult(phase, mySeq, deps.clock.now() - started, "aborted while waiting for the previous health run");
    }
    try {
      return await runOnce(phase, mySeq, vars, started, signal);
    } finally {
      release();
    }
  }

  async function runOnce(
    phase: HealthPhase,
    mySeq: number,
    vars: HealthRunVars,
    started: number,
    signal?: AbortSignal,
  ): Promise<HealthResult> {
    const unsafe = await checkScriptSafety(opts.scriptPath, deps.fs, deps.host);
    if (unsafe !== null) return errorResult(phase, mySeq, deps.clock.now() - started, unsafe);
    const r = await deps.runner.run({
      argv: [opts.scriptPath],
      env: buildHealthEnv(process.env, opts.baseEnv, phase, vars),
      timeoutMs: opts.timeoutMs > 0 ? opts.timeoutMs : undefined,
      maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
      signal,
    });
    return toResult(phase, mySeq, deps.clock.now() - started, r);
  }

  return { run: runSerialized };
}

// --- internal ---

function toResult(phase: HealthPhase, seq: number, durationMs: number, r: RunResult): HealthResult {
  // The runner caps what it captures; cap again so a runner that does not (a fake, a future port)
  // cannot carry megabytes into the report, the logs and the published health record.
  const stdout = capOutput(r.stdout);
  const stderr = capOutput(r.stderr);
  const truncated = r.truncated || stdout !== r.stdout || stderr !== r.stderr;
  const common = { phase, seq, durationMs, stdout, stderr, truncated };
  switch (r.kind) {
    case "exited":
      return r.exitCode === 0
        ? { ...common, kind: "pass", exitCode: 0 }
        : { ...common, kind: "blocked", exitCode: r.exitCode };
    case "timeout":
      return { ...common, kind: "timeout", timeoutMs: r.timeoutMs };
    case "signaled":
      return { ...common, kind: "error", error: `health script killed by signal ${r.signal}` };
    case "aborted":
      return { ...common, kind: "error", error: "health script aborted" };
    case "spawn-error":
      return { ...common, kind: "error", error: r.message };
    default:
      return r satisfies never;
  }
}

/** Bytes of script output (per stream) a result keeps, plus the marker line. */
export const MAX_HEALTH_OUTPUT_BYTES = DEFAULT_MAX_OUTPUT_BYTES;
const CUT_MARKER = `\n[… output truncated at ${MAX_HEALTH_OUTPUT_BYTES} bytes]`;

function capOutput(text: string): string {
  // UTF-8 needs at most 3 bytes per UTF-16 unit: short strings need no byte count.
  if (text.length * 3 <= MAX_HEALTH_OUTPUT_BYTES || Buffer.byteLength(text, "utf8") <= MAX_HEALTH_OUTPUT_BYTES) return text;
  // Cut on bytes; a multibyte character split at the cut decodes as U+FFFD (lossy, never throws).
  const head = Buffer.from(text, "utf8").subarray(0, MAX_HEALTH_OUTPUT_BYTES).toString("utf8");
  return head + CUT_MARKER;
}

function errorResult(phase: HealthPhase, seq: number, durationMs: number, error: string): HealthResult {
  return { phase, seq, durationMs, stdout: "", stderr: "", truncated: false, kind: "error", error };
}

/** Resolves true when `previous` settles, false if `signal` aborts first. */
function waitTurn(previous: Promise<void>, signal?: AbortSignal): Promise<boolean> {
  if (!signal) return previous.then(() => true);
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    });
  });
}

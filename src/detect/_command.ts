import type { RunResult } from "../platform/index.ts";
import type { DetectorDeps, DetectorResult } from "./types.ts";

type CommandSpec = { name: string; cmd: string[]; successExitCodes: number[]; timeoutMs: number };

/**
 * Command detector: run argv (no shell) with the daemon's environment, its whole process group
 * killed at the timeout. Only a real exit decides; a timeout, a signal death (W8: a crash must not
 * read as "reboot required") or an exec failure is an error.
 */
export async function runCommandDetector(
  spec: CommandSpec,
  deps: DetectorDeps,
  signal?: AbortSignal,
): Promise<DetectorResult> {
  const started = deps.clock.now();
  const r = await deps.runner.run({
    argv: spec.cmd,
    env: deps.env,
    timeoutMs: spec.timeoutMs > 0 ? spec.timeoutMs : undefined,
    signal,
  });
  const base = {
    name: spec.name,
    type: "command" as const,
    durationMs: deps.clock.now() - started,
    stdout: r.stdout,
    stderr: r.stderr,
    truncated: r.truncated,
  };
  if (r.kind === "exited") {
    const required = decide(r.exitCode, spec.successExitCodes);
    return { ...base, kind: required ? "required" : "clear", exitCode: r.exitCode };
  }
  return { ...base, kind: "error", error: describeFailure(r) };
}

/** The listed codes are the "reboot needed" signal (docs/WEAKNESSES.md §Compatibility: detectors). */
export function decide(exitCode: number, successExitCodes: readonly number[]): boolean {
  return successExitCodes.length === 0 ? exitCode !== 0 : successExitCodes.includes(exitCode);
}

/** Seconds without trailing zeros: 30000 → "30", 250 → "0.25". */
export function formatSeconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}

// --- internal ---

function describeFailure(r: Exclude<RunResult, { kind: "exited" }>): string {
  switch (r.kind) {
    case "timeout":
      return `timed out after ${formatSeconds(r.timeoutMs)}s (process group killed)`;
    case "signaled":
      return `killed by signal ${r.signal}`;
    case "aborted":
      return "aborted";
    case "spawn-error":
      return r.message;
    default:
      return r satisfies never;
  }
}

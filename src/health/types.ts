import type { Clock, Fs, Host, ProcessRunner } from "../platform/index.ts";

/** When the script runs; exported to it as RC_PHASE. `post-boot` is ours (W1/W28), not the Go daemon's. */
export type HealthPhase = "monitor" | "pre-lock" | "post-lock" | "heartbeat" | "post-boot";

/**
 * One health-script run. Only `pass` means healthy; `timeout` and `error` count as UNHEALTHY and are
 * published as such (W6) instead of aborting the pass silently. `seq` increases with every call on
 * one runner, so a publisher can drop a result older than one it already wrote (W16).
 */
export type HealthResult = {
  phase: HealthPhase;
  seq: number;
  durationMs: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
} & (
  | { kind: "pass"; exitCode: 0 } // exit 0: healthy, reboot allowed
  | { kind: "blocked"; exitCode: number } // exit ≠ 0: the script says no
  | { kind: "timeout"; timeoutMs: number } // we killed its process group at the deadline
  | { kind: "error"; error: string } // did not run or did not finish normally (unsafe, exec failure, signal, abort)
);

export interface HealthRunnerOptions {
  /** Absolute path, validated by the config loader; executed with no arguments and no shell. */
  scriptPath: string;
  timeoutMs: number;
  /** Static RC_* variables (RC_NODE_NAME, …): docs/WEAKNESSES.md §Compatibility: RC_* environment. */
  baseEnv: Record<string, string>;
  /** `--skip-health`: report pass without executing anything. */
  skip?: boolean;
}

export interface HealthRunVars {
  lockHeld: boolean;
  lockAttempts: number;
  lockEnabled: boolean;
  /** Extra per-invocation variables; applied last. */
  extra?: Record<string, string>;
}

export interface HealthRunner {
  /** Run the script once; calls on one runner never overlap (FIFO). Never throws. */
  run(phase: HealthPhase, vars: HealthRunVars, signal?: AbortSignal): Promise<HealthResult>;
}

export interface HealthDeps {
  runner: ProcessRunner;
  fs: Fs;
  host: Host;
  clock: Clock;
}

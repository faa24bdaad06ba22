import type { Clock, Fs, ProcessRunner } from "../platform/index.ts";

/** One configured detector, already validated and defaulted by the config loader. */
export type DetectorSpec =
  | { name: string; type: "file"; path: string }
  | {
      name: string;
      type: "command";
      /** argv, executed without a shell; a bare cmd[0] is looked up in PATH. */
      cmd: string[];
      /** Empty: "required" iff exit ≠ 0. Otherwise "required" iff the exit code is listed. */
      successExitCodes: number[];
      /** The config loader supplies a default (W8); 0 or less means no timeout. */
      timeoutMs: number;
    };

/** What one detector said. `exitCode` is present only when the command actually exited (W30). */
export type DetectorResult = { name: string; type: "file" | "command" | "request"; durationMs: number } & (
  | { kind: "clear" } // no reboot needed according to this detector
  | { kind: "required" } // this detector asks for a reboot
  | { kind: "error"; error: string } // could not decide; never counts as "required"
) & { exitCode?: number; stdout?: string; stderr?: string; truncated?: boolean };

export interface Evaluation {
  /** OR over the detectors that did not error. */
  requiresReboot: boolean;
  /** At least one detector errored; the orchestrator treats the pass as a runtime error. */
  hasErrors: boolean;
  /** The caller's signal aborted the evaluation; unfinished detectors carry error "aborted". */
  aborted: boolean;
  /** One entry per spec, in config order. */
  results: DetectorResult[];
  durationMs: number;
}

export interface DetectorDeps {
  runner: ProcessRunner;
  fs: Fs;
  clock: Clock;
  /** Full environment for command detectors (the daemon's own; no RC_* variables). */
  env: Record<string, string>;
}

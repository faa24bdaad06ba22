/** Front door of the platform folder: the ports and their real implementations. */
import { systemClock } from "./clock.ts";
import { createFs } from "./fs.ts";
import { createHost } from "./host.ts";
import type { Clock, Fs, Host, ProcessRunner } from "./ports.ts";
import { createProcessRunner } from "./process.ts";

export type { Clock, FileStat, Fs, HardwareId, Host, ProcessRunner, RunResult, RunSpec, RunTiming } from "./ports.ts";
export { systemClock } from "./clock.ts";
export { createFs, describeFsError } from "./fs.ts";
export { BOOT_ID_FILE_ENV, BOOT_ID_PATH, MACHINE_ID_FILE_ENV, STATE_DIR, STATE_DIR_ENV, createHost } from "./host.ts";
export { DEFAULT_MAX_OUTPUT_BYTES, createProcessRunner } from "./process.ts";

/**
 * The machine's side effects, one of each. Not the coordinator's `Ports` (orchestrate/context.ts),
 * which adds the logger and the metrics to these.
 */
export interface PlatformPorts {
  clock: Clock;
  runner: ProcessRunner;
  host: Host;
  fs: Fs;
}

/**
 * The real side effects. The CLI's `main` (cli/index.ts) calls this once per process and hands
 * the result to every command; nothing else in src/ builds its own.
 */
export function realPorts(env: Record<string, string | undefined> = process.env): PlatformPorts {
  return { clock: systemClock, runner: createProcessRunner(), host: createHost(env), fs: createFs() };
}

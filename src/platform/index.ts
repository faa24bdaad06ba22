/** Front door of the platform folder: the ports and their real implementations, wired once. */
import { systemClock } from "./clock.ts";
import { createFs } from "./fs.ts";
import { createHost } from "./host.ts";
import type { Clock, Fs, Host, ProcessRunner } from "./ports.ts";
import { createProcessRunner } from "./process.ts";

export type { Clock, FileStat, Fs, Host, ProcessRunner, RunResult, RunSpec, RunTiming } from "./ports.ts";
export { systemClock } from "./clock.ts";
export { createFs, describeFsError } from "./fs.ts";
export { BOOT_ID_FILE_ENV, BOOT_ID_PATH, MACHINE_ID_FILE_ENV, STATE_DIR, STATE_DIR_ENV, createHost } from "./host.ts";
export { HARDWARE_ID_FILE_ENV, readHardwareId, type HardwareId } from "./_hardware-id.ts";
export { DEFAULT_MAX_OUTPUT_BYTES, createProcessRunner } from "./process.ts";

export interface Ports {
  clock: Clock;
  runner: ProcessRunner;
  host: Host;
  fs: Fs;
}

/** The real side effects; `main.ts` calls this once and passes the result down. */
export function realPorts(env: Record<string, string | undefined> = process.env): Ports {
  return { clock: systemClock, runner: createProcessRunner(), host: createHost(env), fs: createFs() };
}

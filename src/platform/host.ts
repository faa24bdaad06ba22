import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import type { Host } from "./ports.ts";
import { loggedInUsers } from "./_utmp.ts";

/** Where the kernel publishes the boot id; a new random UUID on every boot. */
export const BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id";
/**
 * Env var naming a file to read the boot id from instead. The fleet simulator runs many "nodes" on
 * one kernel and fakes a reboot by rewriting this file; production never sets it.
 */
export const BOOT_ID_FILE_ENV = "CLUSTERREBOOTD_BOOT_ID_FILE";

/** The real host. `env` is a parameter (not read globally) so tests can pick the boot id file. */
export function createHost(env: Record<string, string | undefined> = process.env): Host {
  const override = env[BOOT_ID_FILE_ENV]?.trim();
  const bootIdPath = override ? override : BOOT_ID_PATH;
  return {
    // Re-read on every call: after a (simulated) reboot the value must change without a restart.
    bootId: async () => (await readFile(bootIdPath, "utf8")).trim(),
    hostname: () => hostname(),
    pid: () => process.pid,
    uid: () => process.geteuid?.() ?? process.getuid?.() ?? -1,
    loggedInUsers: () => loggedInUsers(),
  };
}

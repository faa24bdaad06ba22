import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { HardwareId, Host } from "./ports.ts";
import { loggedInUsers } from "./_utmp.ts";
import { HARDWARE_ID_FILE_ENV, readHardwareId } from "./_hardware-id.ts";

/** Where the kernel publishes the boot id; a new random UUID on every boot. */
export const BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id";
/**
 * Env var naming a file to read the boot id from instead. The fleet simulator runs many "nodes" on
 * one kernel and fakes a reboot by rewriting this file; production never sets it.
 */
export const BOOT_ID_FILE_ENV = "CLUSTERREBOOTD_BOOT_ID_FILE";
/** Likewise for the machine id (the simulator's nodes share one /etc/machine-id). */
export const MACHINE_ID_FILE_ENV = "CLUSTERREBOOTD_MACHINE_ID_FILE";
export const MACHINE_ID_PATH = "/etc/machine-id";
/** The state directory (systemd StateDirectory=clusterrebootd); the simulator gives each node its own. */
export const STATE_DIR_ENV = "CLUSTERREBOOTD_STATE_DIR";
export const STATE_DIR = "/var/lib/clusterrebootd";

/** The real host. `env` is a parameter (not read globally) so tests can pick the boot id file. */
export function createHost(env: Record<string, string | undefined> = process.env): Host {
  const override = env[BOOT_ID_FILE_ENV]?.trim();
  const bootIdPath = override ? override : BOOT_ID_PATH;
  const stateDir = env[STATE_DIR_ENV]?.trim() || STATE_DIR;
  let machineId: Promise<string> | undefined;
  let hardwareId: Promise<HardwareId | undefined> | undefined;
  return {
    // Re-read on every call: after a (simulated) reboot the value must change without a restart.
    bootId: async () => (await readFile(bootIdPath, "utf8")).trim(),
    hostname: () => hostname(),
    pid: () => process.pid,
    uid: () => process.geteuid?.() ?? process.getuid?.() ?? -1,
    loggedInUsers: () => loggedInUsers(),
    stateDir: () => stateDir,
    async machineId() {
      machineId ??= readMachineId(env[MACHINE_ID_FILE_ENV]?.trim() || MACHINE_ID_PATH, stateDir);
      return machineId;
    },
    async hardwareId() {
      const read = (path: string) => readFile(path, "utf8").catch(() => undefined);
      hardwareId ??= readHardwareId(read, env[HARDWARE_ID_FILE_ENV]?.trim() || undefined);
      return hardwareId;
    },
  };
}

/** /etc/machine-id (32 hex), else the id we keep under the state directory (made once, atomically). */
async function readMachineId(path: string, stateDir: string): Promise<string> {
  const valid = (s: string) => /^[0-9a-f]{32}$/.test(s);
  const fromFile = await readFile(path, "utf8").then((s) => s.trim().toLowerCase(), () => "");
  if (valid(fromFile)) return fromFile;
  const ours = join(stateDir, "machine-id");
  const kept = await readFile(ours, "utf8").then((s) => s.trim(), () => "");
  if (valid(kept)) return kept;
  const fresh = randomUUID().replaceAll("-", "");
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  const tmp = `${ours}.${process.pid}.tmp`;
  await writeFile(tmp, fresh + "\n", { mode: 0o644 });
  await rename(tmp, ours);
  return fresh;
}

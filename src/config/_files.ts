/**
 * Checks that need the file system: TLS material and the etcd password file must be readable
 * now (the Go daemon found out only when connecting, W14), plus warnings about the health script
 * and the kill switch. They run on the partially parsed config, so a config with both a typo and
 * a missing CA file reports both; every field is type-guarded for that reason.
 */
import { kubernetesFileWarnings } from "./_kubernetes.ts";
import { constants } from "node:fs";
import { open, stat as nodeStat } from "node:fs/promises";
import type { FileStat } from "../platform/ports.ts";
import { get } from "./_fields.ts";

/** The two file-system calls the loader makes. Overridable for tests. */
export interface FileAccess {
  readFile: (path: string) => Promise<string>;
  stat: (path: string) => Promise<FileStat>;
}

/**
 * Config, TLS, password and kubeconfig files are small; a bigger one is a mistake (or /dev/zero).
 * CA bundles are the largest legitimate case, a few hundred KiB.
 */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Read a regular file of at most MAX_FILE_BYTES. Opened non-blocking and checked on the open
 * descriptor, so a FIFO can neither hang us (open or read) nor be swapped in after a stat, and a
 * device or a growing file cannot make us read without end.
 */
export async function readRegularFile(path: string, max = MAX_FILE_BYTES): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: "ENOTREG" });
    if (st.size > max) throw Object.assign(new Error(`${path} is too large`), { code: "EFBIG" });
    // Sized from the stat, but bounded by reading, not by trusting the stat: the file may grow.
    const chunks: Buffer[] = [];
    let n = 0;
    while (n <= max) {
      const buf = Buffer.alloc(Math.min(max + 1 - n, Math.max(st.size - n + 1, 64 * 1024)));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      n += bytesRead;
    }
    if (n > max) throw Object.assign(new Error(`${path} is too large`), { code: "EFBIG" });
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await fh.close();
  }
}

export const realFileAccess: FileAccess = {
  readFile: (path) => readRegularFile(path),
  stat: async (path) => {
    try {
      const s = await nodeStat(path);
      return { kind: "present", mode: s.mode, uid: s.uid, isFile: s.isFile(), isDirectory: s.isDirectory() };
    } catch (e) {
      const code = errorCode(e);
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
      return { kind: "error", message: errorReason(e) };
    }
  },
};

/** "no such file or directory", "permission denied", … for an fs error. */
export function errorReason(e: unknown): string {
  switch (errorCode(e)) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent is not a directory";
    case "ENOTREG":
      return "not a regular file (a FIFO, device, socket or directory); point it at a regular file";
    case "EFBIG":
      return `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; this is not a configuration file`;
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** Problems (exit 2) and warnings from the file system, in config order. */
export async function fileChecks(cfg: unknown, fs: FileAccess): Promise<{ problems: string[]; warnings: string[] }> {
  const [tls, flTls, auth, health, killSwitch] = await Promise.all([
    tlsProblems(get(cfg, "etcd_tls"), fs),
    Promise.all([
      pemProblems("fleetlock.tls", get(get(cfg, "fleetlock"), "tls"), ["cert_file", "key_file"], fs),
      pemProblems("fleetlock_client", get(cfg, "fleetlock_client"), ["ca_file"], fs),
      pemProblems("dashboard.tls", get(get(cfg, "dashboard"), "tls"), ["cert_file", "key_file"], fs),
    ]).then((x) => x.flat()),
    Promise.all([passwordFileProblems(get(cfg, "etcd_auth"), fs), passwordFileProblems(get(get(cfg, "dashboard"), "basic_auth"), fs, "dashboard.basic_auth")]).then((x) => x.flat()),
    healthScriptWarnings(get(cfg, "health_script"), fs),
    killSwitchWarnings(get(cfg, "kill_switch_file"), fs),
  ]);
  const kube = await kubernetesFileWarnings(cfg, fs.readFile);
  return { problems: [...tls, ...flTls, ...auth], warnings: [...health, ...killSwitch, ...kube, ...transportWarnings(cfg)] };
}

// --- internal ---

const TLS_FILES = ["ca_file", "cert_file", "key_file"] as const;

async function tlsProblems(tls: unknown, fs: FileAccess): Promise<string[]> {
  if (get(tls, "enabled") !== true) return []; // Go ignores the files while TLS is off
  return pemProblems("etcd_tls", tls, TLS_FILES, fs);
}

/** Every named file under `block` that is set must be readable and hold a PEM block. */
async function pemProblems(prefix: string, block: unknown, keys: readonly string[], fs: FileAccess): Promise<string[]> {
  const out = await Promise.all(
    keys.map(async (key) => {
      const path = get(block, key);
      if (typeof path !== "string" || path.trim() === "") return [];
      try {
        const text = await fs.readFile(path);
        if (text.includes("-----BEGIN")) return [];
        const what = key === "key_file" ? "private key" : "certificate";
        return [`${prefix}.${key}: ${path} contains no PEM block ("-----BEGIN …"); expected a PEM-encoded ${what}`];
      } catch (e) {
        return [`${prefix}.${key}: cannot read ${path}: ${errorReason(e)}`];
      }
    }),
  );
  return out.flat();
}

async function passwordFileProblems(auth: unknown, fs: FileAccess, block = "etcd_auth"): Promise<string[]> {
  const path = get(auth, "password_file");
  if (typeof path !== "string" || path === "") return [];
  try {
    const text = await fs.readFile(path);
    return text.trim() === "" ? [`${block}.password_file: ${path} is empty`] : [];
  } catch (e) {
    return [`${block}.password_file: cannot read ${path}: ${errorReason(e)}`];
  }
}

async function healthScriptWarnings(path: unknown, fs: FileAccess): Promise<string[]> {
  if (typeof path !== "string" || !path.startsWith("/")) return [];
  const s = await fs.stat(path);
  const w = (msg: string) => [`health_script: ${path} ${msg}`];
  switch (s.kind) {
    case "missing":
      return w("does not exist; every health check will fail (and block reboots) until it does");
    case "error":
      return w(`cannot be checked: ${s.message}`);
    case "present":
      if (!s.isFile) return w("is not a regular file");
      if ((s.mode & 0o111) === 0) return w("is not executable; every health check will fail until it is");
      // The script decides whether this machine may reboot: anyone able to edit it decides too.
      if ((s.mode & 0o002) !== 0) return w("is world-writable: any local user could decide whether this node reboots");
      return [];
  }
}

async function killSwitchWarnings(path: unknown, fs: FileAccess): Promise<string[]> {
  if (typeof path !== "string" || path.trim() === "") return [];
  const s = await fs.stat(path);
  if (s.kind === "present") return [`kill_switch_file: ${path} is present: this node will not reboot until it is removed`];
  if (s.kind === "error") return [`kill_switch_file: ${path} cannot be checked: ${s.message}`];
  return [];
}

function transportWarnings(cfg: unknown): string[] {
  const tlsOn = get(get(cfg, "etcd_tls"), "enabled") === true;
  const out: string[] = [];
  if (get(cfg, "etcd_auth") !== null && get(cfg, "etcd_auth") !== undefined && !tlsOn) {
    out.push("etcd_auth: the etcd password travels in clear text because etcd_tls.enabled is false");
  }
  return out;
}

function errorCode(e: unknown): string | undefined {
  return e !== null && typeof e === "object" && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/**
 * The file-system calls install/uninstall make, on top of the platform Fs port (which has no
 * mkdir or binary copy because the daemon never needs them).
 */
import { createHash } from "node:crypto";
import { chmod, copyFile, mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createFs, type Fs } from "../platform/index.ts";

export interface InstallHost extends Fs {
  /** mkdir -p; resolves true when `path` did not exist before. */
  mkdirp(path: string, mode: number): Promise<boolean>;
  /** True when both files exist with identical bytes. */
  sameBytes(a: string, b: string): Promise<boolean>;
  /** Copy via a temp file + rename, so a running copy of `to` keeps its old inode. */
  copyAtomic(from: string, to: string, mode: number): Promise<void>;
}

export function createInstallHost(): InstallHost {
  const fs = createFs();
  return {
    ...fs,
    async mkdirp(path, mode) {
      const before = await fs.stat(path);
      if (before.kind === "present") return false;
      await mkdir(path, { recursive: true, mode });
      await chmod(path, mode); // mkdir's mode is filtered by the umask
      return true;
    },
    async sameBytes(a, b) {
      const [fa, fb] = [Bun.file(a), Bun.file(b)];
      if (!(await fa.exists()) || !(await fb.exists()) || fa.size !== fb.size) return false;
      return (await sha256(a)) === (await sha256(b));
    },
    async copyAtomic(from, to, mode) {
      const tmp = join(dirname(to), `.${basename(to)}.${process.pid}.tmp`);
      try {
        await copyFile(from, tmp);
        await chmod(tmp, mode);
        await rename(tmp, to);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
  };
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of Bun.file(path).stream()) hash.update(chunk);
  return hash.digest("hex");
}

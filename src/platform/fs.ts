import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { FileStat, Fs } from "./ports.ts";

/** The real file system, through node:fs/promises (Bun implements it natively). */
export function createFs(): Fs {
  return { stat: statPath, readText, writeAtomic, remove };
}

/**
 * stat() following symlinks. ENOENT and ENOTDIR (a path component is a file) both mean "nothing
 * there", as does a dangling symlink; anything else (EACCES, ELOOP, EIO) is an error the caller
 * must not mistake for absence — a kill switch we cannot stat is not "off".
 */
export async function statPath(path: string): Promise<FileStat> {
  try {
    const s = await stat(path);
    return { kind: "present", mode: s.mode, uid: s.uid, isFile: s.isFile(), isDirectory: s.isDirectory() };
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    return { kind: "error", message: describeFsError(e) };
  }
}

export function readText(path: string): Promise<string> {
  return readFile(path, "utf8");
}

/**
 * Write `data` so that readers see either the old or the new content, never a torn file, even
 * across a crash: temp file in the same directory (rename is only atomic within one file system),
 * fsync the data, rename over the target, fsync the directory so the rename itself is durable.
 */
export async function writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    // "wx": never follow or reuse a file someone planted under our temp name.
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.writeFile(data, "utf8");
      await fh.chmod(mode); // open()'s mode is filtered by the umask
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  await syncDir(dir);
}

/** Delete a file; already gone counts as success so callers can retry cleanup safely. */
export async function remove(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** "EACCES: permission denied" from Node's "EACCES: permission denied, stat '/x'". */
export function describeFsError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.message.replace(/, \w+ '.*'$/s, "");
}

// --- internal ---

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems refuse fsync on directories; the rename already happened.
  }
}

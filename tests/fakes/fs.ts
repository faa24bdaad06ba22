import type { FileStat, Fs } from "../../src/platform/index.ts";

/**
 * An Fs in memory: files by path, stat errors and write failures by path, every write recorded.
 * Like the real one, `remove` of a missing file succeeds and `readText` of one throws ENOENT.
 */
export class MemoryFs implements Fs {
  readonly files = new Map<string, string>();
  /** stat() answers `error` for these paths (a kill switch that cannot be read). */
  readonly statErrors = new Map<string, string>();
  /** writeAtomic() throws for these paths. */
  readonly failWrites = new Set<string>();
  readonly writes: { path: string; data: string; mode?: number }[] = [];

  async stat(path: string): Promise<FileStat> {
    const err = this.statErrors.get(path);
    if (err !== undefined) return { kind: "error", message: err };
    if (!this.files.has(path)) return { kind: "missing" };
    return { kind: "present", mode: 0o644, uid: 0, isFile: true, isDirectory: false };
  }

  async readText(path: string): Promise<string> {
    const text = this.files.get(path);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
    return text;
  }

  async writeAtomic(path: string, data: string, mode?: number): Promise<void> {
    if (this.failWrites.has(path)) throw Object.assign(new Error(`EROFS: read-only file system, open '${path}'`), { code: "EROFS" });
    this.writes.push({ path, data, ...(mode !== undefined ? { mode } : {}) });
    this.files.set(path, data);
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  /** The parsed JSON at `path` (undefined when absent). */
  json<T = Record<string, unknown>>(path: string): T | undefined {
    const t = this.files.get(path);
    return t === undefined ? undefined : (JSON.parse(t) as T);
  }
}

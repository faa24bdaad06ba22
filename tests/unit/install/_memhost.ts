/**
 * An in-memory InstallHost: lets tests use root "/" (where install talks to systemctl) without
 * touching the real file system.
 */
import type { FileStat } from "../../../src/platform/index.ts";
import type { InstallHost } from "../../../src/install/index.ts";

export class MemHost implements InstallHost {
  readonly files = new Map<string, { data: string; mode: number }>();
  readonly dirs = new Map<string, number>([["/", 0o755]]);

  constructor(init: { dirs?: string[]; files?: Record<string, string> } = {}) {
    for (const d of init.dirs ?? []) this.addDir(d, 0o755);
    for (const [p, data] of Object.entries(init.files ?? {})) {
      this.addDir(p.slice(0, p.lastIndexOf("/")) || "/", 0o755);
      this.files.set(p, { data, mode: 0o644 });
    }
  }

  async stat(path: string): Promise<FileStat> {
    const f = this.files.get(path);
    if (f) return { kind: "present", mode: 0o100000 | f.mode, uid: 0, isFile: true, isDirectory: false };
    const d = this.dirs.get(path);
    if (d !== undefined) return { kind: "present", mode: 0o40000 | d, uid: 0, isFile: false, isDirectory: true };
    return { kind: "missing" };
  }

  async readText(path: string): Promise<string> {
    const f = this.files.get(path);
    if (!f) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
    return f.data;
  }

  async writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
    this.parentMustExist(path);
    this.files.set(path, { data, mode });
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  async mkdirp(path: string, mode: number): Promise<boolean> {
    if (this.dirs.has(path)) return false;
    this.addDir(path, mode);
    return true;
  }

  async sameBytes(a: string, b: string): Promise<boolean> {
    const fa = this.files.get(a);
    const fb = this.files.get(b);
    return fa !== undefined && fb !== undefined && fa.data === fb.data;
  }

  async copyAtomic(from: string, to: string, mode: number): Promise<void> {
    this.parentMustExist(to);
    this.files.set(to, { data: (await this.readText(from)), mode });
  }

  private addDir(path: string, mode: number): void {
    const parts = path.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = `/${parts.slice(0, i).join("/")}`;
      if (!this.dirs.has(p)) this.dirs.set(p, i === parts.length ? mode : 0o755);
    }
  }

  private parentMustExist(path: string): void {
    const parent = path.slice(0, path.lastIndexOf("/")) || "/";
    if (!this.dirs.has(parent)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  }
}

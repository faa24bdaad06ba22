/**
 * Shared helpers for tests that run real processes (used by platform/, detect/ and health/ tests).
 * Everything a test starts is tracked so afterEach can kill it by pid and remove the temp dirs.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class Scratch {
  private dirs: string[] = [];
  private pidFiles: string[] = [];

  /** A fresh mkdtemp directory, removed by cleanup(). */
  async dir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), "crd-test-"));
    this.dirs.push(d);
    return d;
  }

  /** Write `#!/bin/sh` + body as an executable (by default) script. */
  async script(dir: string, name: string, body: string, mode = 0o755): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, mode); // writeFile's mode is filtered by the umask
    return path;
  }

  /** A file the script writes pids into; cleanup() kills whatever pids it lists. */
  pidFile(dir: string, name = "pids"): string {
    const p = join(dir, name);
    this.pidFiles.push(p);
    return p;
  }

  async cleanup(): Promise<void> {
    for (const f of this.pidFiles.splice(0)) for (const pid of await readPids(f)) killQuietly(pid);
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

export async function readPids(file: string): Promise<number[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/** Gone = no /proc entry, or a zombie (this sandbox's PID 1 does not reap orphans). */
export function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Process group id of a live pid. */
export function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** Poll `cond` until true or the deadline passes; returns the final value. Waits on a condition, not a guess. */
export async function waitFor(cond: () => boolean | Promise<boolean>, deadlineMs = 2000): Promise<boolean> {
  const until = performance.now() + deadlineMs;
  for (;;) {
    if (await cond()) return true;
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const isRoot = (process.geteuid?.() ?? -1) === 0;

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

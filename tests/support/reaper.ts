/**
 * Last-resort cleanup of what tests start: child processes and temp directories.
 *
 * Tests stop their servers in afterAll/finally; this is for the cases where that does not
 * happen (a test that forgot, a crash, Ctrl-C, a CI job killed at its timeout):
 * - `parentDeathPrefix()` runs a child under `setpriv --pdeathsig KILL`, so the kernel kills it
 *   the moment this process dies, however it dies. `bun test` fires no 'exit' event, so this is
 *   the guarantee there.
 * - the 'exit' hook SIGKILLs tracked children (through their Subprocess handle, so a reused PID
 *   is never hit) and removes tracked dirs, for plain `bun script.ts` runs where 'exit' fires.
 * - `sweepStaleDirs()` removes temp dirs left by earlier processes that are gone.
 */
import type { Subprocess } from "bun";
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const children = new Set<Subprocess>();
const dirs = new Set<string>();
let installed = false;

/** Kill `proc` at process exit unless it ended before. Call right after spawning. */
export function trackChild(proc: Subprocess): void {
  install();
  children.add(proc);
  void proc.exited.then(() => children.delete(proc));
}

/** Remove `dir` recursively at process exit unless {@link untrackDir} was called. */
export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** Synchronous on purpose: it runs from the 'exit' event, where nothing async happens. */
function reapAll(): void {
  for (const proc of children) {
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        proc.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", reapAll);
}

const setpriv = Bun.which("setpriv");

/**
 * argv prefix that makes the kernel SIGKILL the child when this process dies. setpriv execs the
 * program, so the child's PID is the program's own. Empty where util-linux's setpriv is missing.
 */
export function parentDeathPrefix(): string[] {
  return setpriv ? [setpriv, "--pdeathsig", "KILL", "--"] : [];
}

/** Name for a temp dir that {@link sweepStaleDirs} can attribute to this process. */
export function ownedDirPrefix(kind: string): string {
  return join(tmpdir(), `crd-${kind}-${process.pid}-`);
}

/** Removes `crd-<kind>-<pid>-*` dirs in the temp dir whose process no longer exists. */
export function sweepStaleDirs(kind: string): void {
  const pattern = new RegExp(`^crd-${kind}-(\\d+)-`);
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(pattern.exec(name)?.[1] ?? 0);
    if (pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** Signal 0 only asks whether the PID exists; it sends nothing. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs a compiled binary the way a fresh machine would: copied into a temp dir outside the
 * repo, started from there with a minimal environment, and with the repo's `node_modules`
 * hidden.
 *
 * Why hide node_modules rather than just copy the binary: the compiler freezes build-time
 * absolute paths (e.g. `__dirname` of bundled packages) into the binary. On the build machine
 * those paths still exist, so a binary that secretly reads node_modules passes every test here
 * and dies in production. We bind-mount an empty dir over `<repo>/node_modules` inside a private
 * mount namespace (`unshare -m`, or `unshare -rm` when not root), visible only to that child.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parentDeathPrefix, trackChild } from "./reaper.ts";

const REPO = resolve(import.meta.dir, "../..");

export interface HermeticRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** False when no mount namespace was available: the run then proves less (see file doc). */
  nodeModulesHidden: boolean;
}

export interface HermeticOptions {
  /** Added to the minimal environment (PATH=/usr/sbin:/usr/bin:/sbin:/bin, HOME=<temp dir>). */
  env?: Record<string, string>;
  /** SIGKILL after this long; default 15 s. */
  timeoutMs?: number;
}

/** Copies `binary` to a temp dir and runs it there with `args`; the temp dir is removed after. */
export async function runHermetic(binary: string, args: string[], opts: HermeticOptions = {}): Promise<HermeticRun> {
  const dir = await mkdtemp(join(tmpdir(), "crd-hermetic-"));
  try {
    const copy = join(dir, basename(binary));
    await copyFile(binary, copy);
    const empty = await mkdtemp(join(dir, "empty-"));
    const hide = await namespaceArgv();
    const argv = hide
      ? [...hide, "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", empty, join(REPO, "node_modules"), copy, ...args]
      : [copy, ...args];
    const proc = Bun.spawn([...parentDeathPrefix(), ...argv], {
      cwd: dir,
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: dir, ...opts.env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: opts.timeoutMs ?? 15_000,
      killSignal: "SIGKILL",
    });
    trackChild(proc);
    const [exitCode, stdout, stderr] = await Promise.all([
      proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text(),
    ]);
    return { exitCode, stdout, stderr, nodeModulesHidden: hide !== undefined };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let probed: Promise<string[] | undefined> | undefined;

/** The unshare argv that works here (root: `-m`; otherwise a user namespace `-rm`), if any. */
function namespaceArgv(): Promise<string[] | undefined> {
  probed ??= (async () => {
    const unshare = Bun.which("unshare");
    if (unshare === null) return undefined;
    const candidates = process.getuid?.() === 0 ? [[unshare, "-m"], [unshare, "-rm"]] : [[unshare, "-rm"]];
    for (const candidate of candidates) {
      const probe = Bun.spawnSync([...candidate, "mount", "--bind", "/tmp", "/tmp"], {
        stdin: "ignore", stdout: "ignore", stderr: "ignore",
      });
      if (probe.success) return candidate;
    }
    return undefined;
  })();
  return probed;
}

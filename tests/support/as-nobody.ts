/**
 * Runs a small TypeScript probe as the unprivileged user `nobody`, for the checks root would
 * bypass (a permission-denied path must read as an error, not as absent). Under root the probe is
 * started through `setpriv --reuid/--regid` instead of the test being skipped; not under root it
 * runs as the current, already unprivileged user.
 *
 * The repo may sit where nobody cannot read it (a clone under /root), so the probe is bundled
 * into a world-readable temp dir, and Bun is copied there too when nobody cannot execute it.
 */
import { chmod, copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool } from "./tools.ts";

export const NOBODY_UID = 65534;
const isRoot = (process.geteuid?.() ?? -1) === 0;

export interface ProbeRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Bundles `entry` and runs it with `args`; as nobody when we are root. The caller must make the
 * paths the probe touches reachable by nobody (see {@link openForNobody}).
 */
export async function runUnprivileged(entry: string, args: string[]): Promise<ProbeRun> {
  const dir = await mkdtemp(join(tmpdir(), "crd-nobody-"));
  try {
    await chmod(dir, 0o755);
    const built = await Bun.build({ entrypoints: [entry], outdir: dir, target: "bun", naming: "probe.js" });
    if (!built.success) throw new Error(`bundling ${entry} failed: ${built.logs.join("\n")}`);
    await chmod(join(dir, "probe.js"), 0o644);
    let argv = [process.execPath, join(dir, "probe.js"), ...args];
    if (isRoot) {
      requireTool("setpriv", "util-linux");
      const drop = ["setpriv", `--reuid=${NOBODY_UID}`, `--regid=${NOBODY_UID}`, "--clear-groups", "--"];
      if (!Bun.spawnSync([...drop, process.execPath, "--version"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }).success) {
        const bun = join(dir, "bun");
        await copyFile(process.execPath, bun);
        await chmod(bun, 0o755);
        argv = [bun, ...argv.slice(1)];
      }
      argv = [...drop, ...argv];
    }
    const proc = Bun.spawn(argv, {
      cwd: dir,
      env: { PATH: "/usr/bin:/bin", HOME: dir, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", NO_COLOR: "1" },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: 30_000,
      killSignal: "SIGKILL",
    });
    const [exitCode, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { exitCode, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Like {@link runUnprivileged}, and parses the probe's one JSON line. */
export async function probeJson<T>(entry: string, args: string[]): Promise<T> {
  const r = await runUnprivileged(entry, args);
  if (r.exitCode !== 0) throw new Error(`probe ${entry} exited ${r.exitCode}:\n${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/** A scratch dir made by root is 0700: let nobody traverse it (the probe then meets only the mode under test). */
export async function openForNobody(dir: string): Promise<void> {
  if (isRoot) await chmod(dir, 0o755);
}

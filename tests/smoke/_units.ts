/**
 * `systemd-analyze verify` for unit files. It needs no running systemd, but it checks that
 * ExecStart= points at an existing executable, so the units are copied with their binary path
 * rewritten to one that exists here. Unknown keys only produce a warning on stderr (exit 0), so
 * "passes" means exit 0 *and* nothing on stderr.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export interface Verified {
  exitCode: number;
  stderr: string;
}

/** Verifies `units` together (a timer needs its service next to it). */
export async function verifyUnits(units: readonly string[], binaryInUnits: string, existingBinary: string): Promise<Verified> {
  const dir = await mkdtemp(join(tmpdir(), "crd-units-"));
  try {
    const copies: string[] = [];
    for (const unit of units) {
      const copy = join(dir, basename(unit));
      if (unit.endsWith(".service")) await writeFile(copy, (await readFile(unit, "utf8")).split(binaryInUnits).join(existingBinary));
      else await copyFile(unit, copy);
      copies.push(copy);
    }
    const proc = Bun.spawn(["systemd-analyze", "verify", "--man=no", ...copies], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", SYSTEMD_LOG_COLOR: "0" } });
    const [exitCode, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    return { exitCode, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}


/**
 * Runs a maintainer script (deb) or scriptlet (rpm) for real, but against fakes: systemctl,
 * deb-systemd-invoke, deb-systemd-helper, dpkg-statoverride and systemd-tmpfiles are stubs that
 * log their arguments, and the script sees a private /run (tmpfs in its own mount namespace)
 * where /run/systemd/system exists only when the case says "systemd is running". So the host's
 * systemd and dpkg database are never touched, whatever the host is.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sh } from "./_artifacts.ts";

const STUBS = ["systemctl", "deb-systemd-invoke", "deb-systemd-helper", "dpkg-statoverride", "systemd-tmpfiles"];

export interface ScriptRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Each stub call as argv, e.g. ["systemctl", "--system", "daemon-reload"]. */
  calls: string[][];
}

export interface SandboxOptions {
  systemd: boolean;
  /** What `systemctl is-active` answers. */
  active?: boolean;
  /** Whether `dpkg-statoverride --list` finds an override (after the first install it does). */
  overridden?: boolean;
  env?: Record<string, string>;
}

export async function runScript(body: string, args: string[], opts: SandboxOptions): Promise<ScriptRun> {
  const dir = await mkdtemp(join(tmpdir(), "crd-script-"));
  try {
    const log = join(dir, "calls.log");
    await writeFile(log, "");
    for (const stub of STUBS) {
      const answer =
        stub === "systemctl" ? `[ "$1" = is-active ] && exit ${opts.active ? 0 : 3}\n`
        : stub === "dpkg-statoverride" ? `[ "$1" = --list ] && exit ${opts.overridden ? 0 : 1}\n`
        : "";
      await writeFile(join(dir, stub), `#!/bin/sh\nprintf '%s' "${stub}" >>"${log}"\nfor a; do printf ' %s' "$a" >>"${log}"; done\necho >>"${log}"\n${answer}exit 0\n`);
      await chmod(join(dir, stub), 0o755);
    }
    const script = join(dir, "script");
    await writeFile(script, body);
    await chmod(script, 0o755);
    const setup = `mount -t tmpfs tmpfs /run${opts.systemd ? " && mkdir -p /run/systemd/system" : ""} && exec /bin/sh "$@"`;
    const unshare = process.getuid?.() === 0 ? ["unshare", "-m"] : ["unshare", "-rm"];
    const r = await sh([...unshare, "/bin/sh", "-c", setup, "sh", script, ...args], { env: { PATH: `${dir}:/usr/sbin:/usr/bin:/sbin:/bin`, ...opts.env } });
    const calls = (await readFile(log, "utf8")).split("\n").filter(Boolean).map((l) => l.split(" "));
    return { ...r, calls };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What `install` and `uninstall` touch, as data. Pure: paths are host paths ("/etc/..."); the
 * apply step prefixes `--root`.
 *
 * Layout for the scp workflow (a package uses /usr/bin and /usr/lib instead, see packaging/):
 * the binary goes to /usr/local/bin/clusterrebootd — a copy, not the path it was started from,
 * because an scp'd file usually sits in a home or /tmp directory that is no place for a unit's
 * ExecStart — and units and tmpfiles entry go to the administrator's directories under /etc,
 * where they override nothing a package ships.
 */
import { TEXTS, unitText } from "./texts.ts";

export type Mode = "service" | "timer";

export const INSTALL_BINARY = "/usr/local/bin/clusterrebootd";
export const CONFIG_DIR = "/etc/clusterrebootd";
export const CONFIG_FILE = `${CONFIG_DIR}/config.yaml`;
export const UNIT_DIR = "/etc/systemd/system";
export const TMPFILES_FILE = "/etc/tmpfiles.d/clusterrebootd.conf";
/** Present when a .deb/.rpm is installed; `install` then refuses (two copies would fight). */
export const PACKAGE_UNIT = "/usr/lib/systemd/system/clusterrebootd.service";

/** Unit names per mode; the timer activates the pass service. */
export const UNITS: Readonly<Record<Mode, readonly string[]>> = {
  service: ["clusterrebootd.service"],
  timer: ["clusterrebootd.timer", "clusterrebootd-pass.service"],
};

export type Step =
  /** mkdir -p; the mode applies only to a directory we create. */
  | { kind: "dir"; path: string; mode: number }
  /** A text file. keepExisting: never touch it once it exists (the config). */
  | { kind: "file"; path: string; text: string; mode: number; keepExisting: boolean }
  /** The executable, copied from the running binary; `from` undefined = running from source. */
  | { kind: "binary"; path: string; from: string | undefined };

/** Everything `install --<mode>` writes, in order (directories before their files). */
export function installSteps(mode: Mode, from: string | undefined): Step[] {
  const unitTexts: Record<string, string> = {
    "clusterrebootd.service": TEXTS.daemonService,
    "clusterrebootd.timer": TEXTS.timer,
    "clusterrebootd-pass.service": TEXTS.passService,
  };
  return [
    { kind: "dir", path: "/usr/local/bin", mode: 0o755 },
    { kind: "binary", path: INSTALL_BINARY, from },
    { kind: "dir", path: UNIT_DIR, mode: 0o755 },
    ...UNITS[mode].map((name): Step => ({
      kind: "file",
      path: `${UNIT_DIR}/${name}`,
      text: unitText(unitTexts[name]!, INSTALL_BINARY),
      mode: 0o644,
      keepExisting: false,
    })),
    { kind: "dir", path: "/etc/tmpfiles.d", mode: 0o755 },
    { kind: "file", path: TMPFILES_FILE, text: TEXTS.tmpfiles, mode: 0o644, keepExisting: false },
    { kind: "dir", path: CONFIG_DIR, mode: 0o750 },
    { kind: "dir", path: `${CONFIG_DIR}/config.d`, mode: 0o750 },
    { kind: "file", path: CONFIG_FILE, text: TEXTS.configTemplate, mode: 0o640, keepExisting: true },
  ];
}

/** Files `uninstall` removes (both modes). /etc/clusterrebootd — config, kill switch — stays. */
export function uninstallPaths(): string[] {
  return [INSTALL_BINARY, ...[...UNITS.service, ...UNITS.timer].map((u) => `${UNIT_DIR}/${u}`), TMPFILES_FILE];
}

/** Units of the other mode, to point out after switching modes. */
export function otherModeUnits(mode: Mode): string[] {
  return UNITS[mode === "service" ? "timer" : "service"].map((u) => `${UNIT_DIR}/${u}`);
}

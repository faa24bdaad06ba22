/**
 * Front door of the install domain: `clusterrebootd install` / `uninstall` for nodes set up by
 * copying one file (scp, cloud-init, first boot) instead of a package. The unit texts come from
 * packaging/ embedded in the binary (texts.ts), so both routes install the same units.
 *
 * systemctl is called only when it can matter and cannot hurt: the root is "/" and systemd is
 * PID 1. Install then runs `daemon-reload` (never enable/start: the config template must be
 * edited first); uninstall runs `disable --now` on our units before removing them.
 */
import { resolve } from "node:path";
import type { ProcessRunner } from "../platform/index.ts";
import { applyInstall, applyUninstall, type Change } from "./_apply.ts";
import type { InstallHost } from "./host.ts";
import {
  CONFIG_DIR,
  CONFIG_FILE,
  PACKAGE_UNIT,
  UNITS,
  installSteps,
  otherModeUnits,
  uninstallPaths,
  type Mode,
} from "./_plan.ts";

export { createInstallHost, type InstallHost } from "./host.ts";
export { PACKAGE_BINARY, TEXTS, unitText } from "./texts.ts";

export interface InstallDeps {
  host: InstallHost;
  runner: ProcessRunner;
}

export interface InstallRequest {
  mode: Mode;
  /** Directory standing in for "/" (images, tests). */
  root: string;
  dryRun: boolean;
  /** Path of the running compiled binary; undefined when running from source. */
  from: string | undefined;
}

export interface UninstallRequest {
  root: string;
  dryRun: boolean;
}

/** A systemctl call made (or, in dry-run, that would be made). */
export interface SystemctlCall {
  argv: string[];
  /** undefined = succeeded or dry-run; otherwise why it failed (reported, not fatal). */
  error?: string;
}

export type InstallReport =
  | { kind: "done"; changes: Change[]; systemctl: SystemctlCall[]; notes: string[] }
  /** Nothing was changed, e.g. a package already provides clusterrebootd. */
  | { kind: "refused"; reason: string }
  | { kind: "failed"; changes: Change[]; path: string; message: string };

export async function install(req: InstallRequest, deps: InstallDeps): Promise<InstallReport> {
  const refusal = await packageRefusal(req.root, deps.host, "install");
  if (refusal) return refusal;
  const res = await applyInstall(installSteps(req.mode, req.from), req.root, deps.host, req.dryRun);
  if (res.kind === "failed") return res;
  const systemctl = (await systemdActive(req.root, deps.host)) ? [await systemctlCall(deps.runner, ["daemon-reload"], req.dryRun)] : [];
  const notes: string[] = [];
  for (const unit of otherModeUnits(req.mode)) {
    if ((await deps.host.stat(resolve(req.root, `.${unit}`))).kind === "present") {
      notes.push(`${unit} from an earlier install is still there; disable it when switching modes (the two modes conflict)`);
    }
  }
  const enable = req.mode === "service" ? UNITS.service[0] : UNITS.timer[0];
  const configKept = res.changes.some((c) => c.action === "kept");
  notes.push(
    configKept
      ? `next: clusterrebootd validate-config && systemctl enable --now ${enable}`
      : `next: edit ${CONFIG_FILE}, run clusterrebootd validate-config, then systemctl enable --now ${enable}`,
  );
  return { kind: "done", changes: res.changes, systemctl, notes };
}

export async function uninstall(req: UninstallRequest, deps: InstallDeps): Promise<InstallReport> {
  const refusal = await packageRefusal(req.root, deps.host, "uninstall");
  if (refusal) return refusal;
  const active = await systemdActive(req.root, deps.host);
  const systemctl: SystemctlCall[] = [];
  if (active) {
    const units = [...UNITS.service, ...UNITS.timer];
    systemctl.push(await systemctlCall(deps.runner, ["--no-reload", "disable", "--now", ...units], req.dryRun));
  }
  const res = await applyUninstall(uninstallPaths(), req.root, deps.host, req.dryRun);
  if (res.kind === "failed") return res;
  if (active) systemctl.push(await systemctlCall(deps.runner, ["daemon-reload"], req.dryRun));
  const notes = [`kept ${resolve(req.root, `.${CONFIG_DIR}`)}/ (your config and kill switch); remove it by hand if you want it gone`];
  return { kind: "done", changes: res.changes, systemctl, notes };
}

/** The report as printed: one `<action> <path>` line per file, systemctl calls, notes. */
export function formatReport(report: InstallReport, dryRun: boolean): string {
  if (report.kind === "refused") return report.reason;
  const verb = (a: string) => (dryRun && a !== "unchanged" && a !== "kept" && a !== "absent" ? `would be ${a}` : a);
  const lines = report.changes.map((c) => `${verb(c.action).padEnd(18)} ${c.path}${c.note ? ` (${c.note})` : ""}`);
  if (report.kind === "failed") return [...lines, `failed: ${report.path}: ${report.message}`].join("\n");
  for (const call of report.systemctl) {
    const cmd = `systemctl ${call.argv.join(" ")}`;
    lines.push(dryRun ? `would run ${cmd}` : call.error ? `warning: ${cmd} failed: ${call.error}` : `ran ${cmd}`);
  }
  return [...lines, ...report.notes].join("\n");
}

// --- internal ---

async function packageRefusal(root: string, host: InstallHost, verb: string): Promise<InstallReport | undefined> {
  const unit = resolve(root, `.${PACKAGE_UNIT}`);
  if ((await host.stat(unit)).kind !== "present") return undefined;
  return {
    kind: "refused",
    reason: `${verb}: clusterrebootd is installed from a package (${unit} exists); manage it with the package manager instead`,
  };
}

async function systemdActive(root: string, host: InstallHost): Promise<boolean> {
  if (resolve(root) !== "/") return false;
  const s = await host.stat("/run/systemd/system");
  return s.kind === "present" && s.isDirectory;
}

async function systemctlCall(runner: ProcessRunner, args: string[], dryRun: boolean): Promise<SystemctlCall> {
  if (dryRun) return { argv: args };
  const r = await runner.run({ argv: ["systemctl", ...args], env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin" }, timeoutMs: 60_000 });
  if (r.kind === "exited" && r.exitCode === 0) return { argv: args };
  const why = r.kind === "exited" ? `exit ${r.exitCode}: ${r.stderr.trim()}` : r.kind === "spawn-error" ? r.message : r.kind;
  return { argv: args, error: why };
}

/**
 * `install` / `uninstall`: set a node up from the running binary (the scp workflow). See
 * src/install for what is written where and why.
 */
import { createInstallHost, formatReport, install as installFiles, uninstall as uninstallFiles, type InstallReport } from "../install/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { defineCliCommand, type CliContext } from "./_context.ts";

const common = {
  "dry-run": { type: "boolean", description: "print what would change; change nothing", default: false },
  root: { type: "string", description: "act below DIR instead of / (images, tests); never calls systemctl", default: "/", valueHint: "DIR" },
} as const;

export const install = defineCliCommand({
  meta: {
    name: "install",
    description:
      "copy this binary to /usr/local/bin and write the systemd units, tmpfiles entry and config template (an existing config is never overwritten). Idempotent; enables nothing.",
  },
  args: {
    service: { type: "boolean", description: "daemon mode: clusterrebootd.service (the default)", default: false },
    timer: { type: "boolean", description: "timer mode: clusterrebootd.timer + clusterrebootd-pass.service", default: false },
    ...common,
  },
  async run({ args, cli }): Promise<Outcome> {
    if (args.service && args.timer) {
      cli.stderr("install: --service and --timer exclude each other\n");
      return outcome("usage", "--service and --timer");
    }
    const report = await installFiles(
      { mode: args.timer ? "timer" : "service", root: args.root, dryRun: args["dry-run"], from: runningBinary() },
      { host: createInstallHost(), runner: cli.ports.runner },
    );
    return finish(report, args["dry-run"], cli);
  },
});

export const uninstall = defineCliCommand({
  meta: {
    name: "uninstall",
    description: "stop and remove what install wrote (binary, units, tmpfiles entry); keeps /etc/clusterrebootd (config, kill switch)",
  },
  args: { ...common },
  async run({ args, cli }): Promise<Outcome> {
    const report = await uninstallFiles({ root: args.root, dryRun: args["dry-run"] }, { host: createInstallHost(), runner: cli.ports.runner });
    return finish(report, args["dry-run"], cli);
  },
});

/** The executable to copy: only a compiled binary is one (its modules live under /$bunfs/). */
function runningBinary(): string | undefined {
  return Bun.main.startsWith("/$bunfs/") ? process.execPath : undefined;
}

function finish(report: InstallReport, dryRun: boolean, cli: CliContext): Outcome {
  const text = formatReport(report, dryRun) + "\n";
  if (report.kind === "done") {
    cli.stdout(text);
    return outcome("ok", "done");
  }
  cli.stderr(text);
  return outcome("runtime_error", report.kind);
}

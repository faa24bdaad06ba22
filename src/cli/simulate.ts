import { evaluateDetectors } from "../detect/index.ts";
import { detectorLines, escapeControl, simulateJson } from "../observe/index.ts";
import { outcome } from "../orchestrate/outcome.ts";
import { configArg, jsonArg } from "./_args.ts";
import { defineCliCommand } from "./_context.ts";
import { detectorSpecs, loadOrFail, processEnv } from "./_setup.ts";

export default defineCliCommand({
  meta: { name: "simulate", description: "run the detectors once; never touches etcd, the health script or the reboot command" },
  args: { ...configArg, ...jsonArg },
  async run({ args, cli }) {
    const res = await loadOrFail(args.config, cli);
    if (!res.ok) return res.outcome;
    const cfg = res.config;
    const ev = await evaluateDetectors(detectorSpecs(cfg), { ...cli.ports, env: processEnv(cli.env) });
    const errors = ev.results.filter((r) => r.kind === "error");
    if (args.json) {
      cli.stdout(JSON.stringify(simulateJson(cfg.node_name, cfg.group, ev), null, 2) + "\n");
    } else {
      cli.stdout(
        [
          `node ${cfg.node_name} configuration summary:`,
          `  detectors: ${cfg.reboot_required_detectors.map((d) => d.name).join(", ")}`,
          `  health script: ${cfg.health_script}`,
          `  etcd endpoints: ${cfg.etcd_endpoints.join(", ")}`,
          `  reboot command: ${cfg.reboot_command.join(" ")}`,
          "detector evaluations:",
          ...detectorLines(ev),
          `overall reboot required: ${ev.requiresReboot}`,
          ...(errors.length === 0 ? ["no reboot actions performed in simulation mode"] : []),
        ].join("\n") + "\n",
      );
    }
    if (errors.length > 0) {
      cli.stderr(escapeControl(`detector evaluation encountered errors: ${errors.map((e) => `${e.name}: ${e.kind === "error" ? e.error : ""}`).join("; ")}`) + "\n");
      return outcome("detector_error", "detector errors");
    }
    return outcome("ok", "simulated");
  },
});

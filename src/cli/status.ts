import { defineCommand } from "citty";
import { formatReport, reportJson } from "../observe/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { configArg, jsonArg } from "./_args.ts";
import { loadOrFail } from "./_setup.ts";
import { noopMetrics, silentLogger } from "../observe/index.ts";
import { newMemory } from "../orchestrate/index.ts";
import { connect } from "./_setup.ts";
import { buildRuntime, type Resources } from "./_runtime.ts";

/** The whole status evaluation gives up after this (W17: status never hangs on etcd). */
const STATUS_EXTRA_MS = 15_000;

export default defineCommand({
  meta: {
    name: "status",
    description: "read-only: evaluate this node like a pass would (dry-run enforced) without taking a slot or writing to etcd",
  },
  args: {
    ...configArg,
    "skip-health": { type: "boolean", description: "do not run the health script", default: false },
    "skip-lock": { type: "boolean", description: "do not contact etcd at all (no slots, no cluster health)", default: false },
    ...jsonArg,
  },
  async run({ args }): Promise<Outcome> {
    const res = await loadOrFail(args.config);
    if (!res.ok) return res.outcome;
    const cfg = res.config;
    if (args["skip-health"]) process.stderr.write("skipping health script execution (--skip-health)\n");
    if (args["skip-lock"]) process.stderr.write("skipping lock acquisition (--skip-lock)\n");
    const remote = cfg.lock_backend === "fleetlock" && cfg.fleetlock_client;
    // status never calls a FleetLock server (read-only): the client only names where it would ask.
    const etcd = args["skip-lock"] || remote ? undefined : await connect(cfg);
    const lock: Resources["lock"] = args["skip-lock"]
      ? { kind: "none" }
      : remote
        ? { kind: "fleetlock", url: remote.url, id: remote.id ?? cfg.node_name, group: remote.group ?? cfg.group }
        : { kind: "etcd", etcd: etcd! };
    const co = await buildRuntime(cfg, { lock, memory: newMemory(), log: silentLogger, metrics: noopMetrics }, { dryRun: true, skipHealth: args["skip-health"] });
    const ac = new AbortController();
    const deadline = setTimeout(() => ac.abort(), cfg.health_timeout_sec * 1000 + STATUS_EXTRA_MS);
    try {
      const { runPass } = await import("../orchestrate/index.ts");
      const r = await runPass(co, "status", ac.signal);
      if (args.json) process.stdout.write(JSON.stringify(reportJson(r), null, 2) + "\n");
      else process.stdout.write(`status evaluation for node ${cfg.node_name} (dry-run enforced)\n${formatReport(r)}\n\n`);
      return r.outcome;
    } catch (err) {
      process.stderr.write(`status check error: ${err instanceof Error ? err.message : String(err)}\n`);
      return outcome("runtime_error", "status failed");
    } finally {
      clearTimeout(deadline);
      await etcd?.gw.close();
    }
  },
});

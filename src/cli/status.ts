import { defineCommand } from "citty";
import { formatReport, reportJson } from "../observe/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { configArg, jsonArg } from "./_args.ts";
import { buildCoordinator, connect, loadOrFail } from "./_setup.ts";
import { silentLogger } from "../observe/index.ts";
import { outlookLine, windowOutlook } from "./_window-outlook.ts";

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
    const co = await buildCoordinator(cfg, { dryRun: true, skipHealth: args["skip-health"], skipLock: args["skip-lock"], log: silentLogger });
    const remoteLock = cfg.lock_backend === "fleetlock" && cfg.fleetlock_client;
    const etcd = args["skip-lock"] || remoteLock ? undefined : await connect(cfg);
    if (remoteLock) {
      // status never calls the server (read-only): the client only names where it would ask.
      const { createFleetLockClient } = await import("../fleetlock/index.ts");
      co.remote = { client: createFleetLockClient({ baseUrl: remoteLock.url }), id: remoteLock.id ?? cfg.node_name, group: remoteLock.group ?? cfg.group };
    }
    const ac = new AbortController();
    const deadline = setTimeout(() => ac.abort(), cfg.health_timeout_sec * 1000 + STATUS_EXTRA_MS);
    try {
      const { runPass } = await import("../orchestrate/index.ts");
      const r = await runPass({ ...co, ...(etcd ? { etcd } : {}) }, "status", ac.signal);
      const now = co.ports.clock.now();
      const outlook = windowOutlook(co.plan.windows, now);
      if (args.json) {
        const doc = { ...(reportJson(r) as Record<string, unknown>), ...(outlook ? { next_window: outlook } : {}) };
        process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
      } else {
        const windowLine = outlook ? `\n${outlookLine(outlook, now)}` : "";
        process.stdout.write(`status evaluation for node ${cfg.node_name} (dry-run enforced)\n${formatReport(r)}${windowLine}\n\n`);
      }
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

import { errorJson, formatReport, noopMetrics, reportJson, silentLogger } from "../observe/index.ts";
import { newMemory } from "../orchestrate/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { ordinal, queuePlace } from "../slots/index.ts";
import { configArg, jsonArg } from "./_args.ts";
import { defineCliCommand } from "./_context.ts";
import { resolveGroup, unresolvedOutcome } from "./_group.ts";
import { buildRuntime, type Resources } from "./_runtime.ts";
import { connect, loadOrFail, planFromConfig } from "./_setup.ts";
import { outlookLine, windowOutlook } from "./_window-outlook.ts";

/** The whole status evaluation gives up after this (W17: status never hangs on etcd). */
const STATUS_EXTRA_MS = 15_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export default defineCliCommand({
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
  async run({ args, cli }): Promise<Outcome> {
    const res = await loadOrFail(args.config, cli);
    if (!res.ok) return res.outcome;
    if (args["skip-health"]) cli.stderr("skipping health script execution (--skip-health)\n");
    if (args["skip-lock"]) cli.stderr("skipping lock acquisition (--skip-lock)\n");
    const ac = new AbortController();
    // Clamped: a long health_timeout_sec plus the margin must not overflow the timer (→ 1 ms).
    const deadline = setTimeout(() => ac.abort(), Math.min(res.config.health_timeout_sec * 1000 + STATUS_EXTRA_MS, MAX_TIMER_MS));
    // group_from_node_label: one read, like a --timer pass. Unreadable = the daemon takes no slot,
    // so status says so too (exit 4) rather than evaluate this node in a guessed group.
    const g = await resolveGroup(res.config, { ...cli.ports, env: cli.env, log: silentLogger, metrics: noopMetrics, signal: ac.signal, single: true });
    if (!g.ok) {
      clearTimeout(deadline);
      return unresolvedOutcome(res.config, g.reason === "unresolved" ? g.message : "interrupted while reading the group label", { json: args.json, prefix: "status", cli });
    }
    const cfg = g.config;
    const remote = cfg.lock_backend === "fleetlock" && cfg.fleetlock_client;
    let etcd: Awaited<ReturnType<typeof connect>> | undefined;
    try {
      // status never calls a FleetLock server (read-only): the client only names where it would ask.
      etcd = args["skip-lock"] || remote ? undefined : await connect(cfg);
      const lock: Resources["lock"] = args["skip-lock"]
        ? { kind: "none" }
        : remote
          ? { kind: "fleetlock", url: remote.url, id: remote.id ?? cfg.node_name, group: remote.group ?? cfg.group }
          : { kind: "etcd", etcd: etcd! };
      const skipHealth = args["skip-health"];
      const plan = planFromConfig(cfg, await cli.identity(), cli.env, { dryRun: true, ...(skipHealth ? { skipHealth } : {}), ...(lock.kind === "none" ? { skipLock: true } : {}) });
      const co = await buildRuntime(cfg, plan, { lock, memory: newMemory(), log: silentLogger, metrics: noopMetrics }, cli, { skipHealth });
      const { runPass } = await import("../orchestrate/index.ts");
      const r = await runPass(co, "status", ac.signal);
      const now = co.ports.clock.now();
      const outlook = windowOutlook(co.plan.windows, now);
      // Our place in the group's FIFO queue (a node not yet in it would join at the back).
      const q = etcd ? await queuePlace(etcd.gw, etcd.keys, cfg.group, cfg.node_name) : undefined;
      const queue = q ? { position: q.position + 1, waiting: q.length, in_queue: q.position < q.length } : undefined;
      const queueLine = q && q.length > 0 ? `\nqueue: ${q.position < q.length ? `${ordinal(q.position + 1)} in line for group ${cfg.group}` : `not in line; ${q.length} node(s) wait for group ${cfg.group}`}` : "";
      if (args.json) {
        const doc = { ...(reportJson(r) as Record<string, unknown>), ...(outlook ? { next_window: outlook } : {}), ...(queue ? { queue } : {}) };
        cli.stdout(JSON.stringify(doc, null, 2) + "\n");
      } else {
        const windowLine = outlook ? `\n${outlookLine(outlook, now)}` : "";
        cli.stdout(`status evaluation for node ${cfg.node_name} (dry-run enforced)\n${formatReport(r)}${windowLine}${queueLine}\n\n`);
      }
      return r.outcome;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      cli.stderr(`status check error: ${error}\n`);
      // --json promises one JSON document on stdout, failure included.
      if (args.json) cli.stdout(JSON.stringify(errorJson(cfg, "status failed", error), null, 2) + "\n");
      return outcome("runtime_error", "status failed");
    } finally {
      clearTimeout(deadline);
      await etcd?.gw.close();
    }
  },
});

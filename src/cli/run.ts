import { defineCommand } from "citty";
import { createLogger, errorJson, formatReport, reportJson } from "../observe/index.ts";
import { newMemory } from "../orchestrate/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { realPorts } from "../platform/index.ts";
import { IdentityConflictError } from "../slots/index.ts";
import { configArg, jsonArg } from "./_args.ts";
import { openResources } from "./_backend.ts";
import { handleSignals } from "./_daemon.ts";
import { runDaemon } from "./_loop.ts";
import { onceRetryDeps, retryWhileSlotTaken } from "./_once.ts";
import { startObservability } from "./_observability.ts";
import { buildRuntime } from "./_runtime.ts";
import { resolveGroup, unresolvedOutcome } from "./_group.ts";
import { hardwareIdOf, loadOrFail, planFromConfig } from "./_setup.ts";

export default defineCommand({
  meta: {
    name: "run",
    description:
      "run the coordinator. Default: a daemon that loops until stopped. --once: one diagnostic pass that takes and releases a slot but never reboots. --timer: one pass that may reboot (for a systemd timer).",
  },
  args: {
    ...configArg,
    "dry-run": { type: "boolean", description: "never run the reboot command (takes and releases slots like the real thing)", default: false },
    once: { type: "boolean", description: "one diagnostic pass, then exit with its outcome's code", default: false },
    timer: { type: "boolean", description: "one pass that may reboot or finish a post-boot release (timer mode)", default: false },
    ...jsonArg,
  },
  async run({ args }): Promise<Outcome> {
    // Until the signal handlers are in place a SIGHUP must not kill us (the runtime default); the
    // config is read right after, so dropping a reload this early loses nothing.
    const earlyHup = () => {};
    process.on("SIGHUP", earlyHup);
    try {
      return await runCommand(args);
    } finally {
      process.off("SIGHUP", earlyHup);
    }
  },
});

/** The body of `run`, separate so the early SIGHUP trap can wrap every return. */
async function runCommand(args: { config: string; "dry-run": boolean; once: boolean; timer: boolean; json: boolean }): Promise<Outcome> {
  const res = await loadOrFail(args.config);
  if (!res.ok) return res.outcome;
  if (args.once && args.timer) return outcome("usage", "--once and --timer exclude each other");
  const single = args.once || args.timer;
  // Bind the metrics listener first: its address goes into RC_METRICS_ENDPOINT (exit 1 if busy).
  // --once binds it too, as Go does; a timer pass is too short-lived to be scraped.
  const obs = await startObservability(res.config, args.timer);
  if (!obs.ok) return obs.outcome;
  const log = createLogger({ node: res.config.node_name, level: res.config.log_level, json: !process.stderr.isTTY });
  const dryRun = res.config.dry_run || args["dry-run"];
  for (const w of res.warnings) log.event("warn", "config_warning", { warning: w });
  const stop = handleSignals(log);
  try {
    log.event("info", "starting", { node: res.config.node_name, group: res.config.group, ...(res.config.group_from_node_label ? { group_from_node_label: res.config.group_from_node_label } : {}), dry_run: dryRun, backend: res.config.lock_backend, mode: args.once ? "once" : args.timer ? "timer" : "daemon", pid: process.pid });
    // group_from_node_label: the group is read before anything is opened (it names our slot key).
    const g = await resolveGroup(res.config, { ...realPorts(), env: process.env, log, metrics: obs.metrics, signal: stop.signal, single });
    if (!g.ok) {
      if (g.reason === "stopped") return outcome("ok", "stopped while waiting for the group label");
      return unresolvedOutcome(res.config, g.message, { json: args.json, prefix: "clusterrebootd" });
    }
    const cfg = g.config;
    const ports = { ...realPorts(), log };
    const plan = planFromConfig(cfg, { dryRun, bootId: await ports.host.bootId(), machineId: await ports.host.machineId(), ...(await hardwareIdOf(ports.host, log)) });
    const backend = await openResources(cfg, { plan, ports, signal: stop.signal, single, ...(args.timer ? { presenceSec: cfg.timer_presence_sec } : {}) }).catch((err: unknown) => {
      if (!(err instanceof IdentityConflictError)) throw err;
      obs.metrics.inc("identity_conflicts_total");
      log.event("error", "identity_conflict", { node: err.node, this_machine: err.ours, other_machine: err.theirs, clone: err.clone, where: err.where });
      process.stderr.write(`clusterrebootd: refusing to run: ${err.message}\n`);
      return { ok: false as const, reason: "identity" as const, message: err.message };
    });
    if (!backend.ok) {
      if (backend.reason === "stopped") return outcome("ok", "stopped while waiting for etcd");
      if (backend.reason === "identity") return outcome("identity_conflict", backend.message);
      // --json promises a JSON document on stdout, failure included (docs/JSON.md §Errors).
      if (args.json) process.stdout.write(JSON.stringify(errorJson(cfg, "etcd unreachable", "etcd did not answer; see the log on stderr"), null, 2) + "\n");
      return outcome("runtime_error", "etcd unreachable");
    }
    const resources = { lock: backend.lock, memory: newMemory(), log, metrics: obs.metrics, ...(obs.address ? { metricsEndpoint: obs.address } : {}) };
    const co = await buildRuntime(cfg, resources, { dryRun });
    obs.attach(co);
    // Set once a single pass ran the reboot command: the machine is going down.
    let goingDown = false;
    try {
      if (!single) return await runDaemon(cfg, co, { configPath: args.config, forceDryRun: args["dry-run"], signal: stop.signal, onHup: stop.onHup, obs, resources });
      const { runPass } = await import("../orchestrate/index.ts");
      const pass = () => runPass(co, args.once ? "once" : "run", stop.signal);
      // --once waits out a taken slot like Go (5 attempts with backoff); --timer's next run is the retry.
      const r = args.once ? await retryWhileSlotTaken(pass, stop.signal, onceRetryDeps(co)) : await pass();
      goingDown = r.outcome.kind === "rebooting";
      // The journal of a --timer unit gets the same JSON line a daemon logs (log shippers read it).
      const { logOutcome } = await import("../orchestrate/index.ts");
      logOutcome(co, r);
      process.stdout.write(args.json ? JSON.stringify(reportJson(r), null, 2) + "\n" : formatReport(r) + "\n");
      // W13: an interrupted single pass is not a success.
      return stop.signal.aborted ? outcome("runtime_error", "interrupted") : r.outcome;
    } finally {
      await backend.close({ graceful: true, goingDown });
    }
  } finally {
    stop.dispose();
    await obs.stop();
  }
}

import type { ResolvedConfig } from "../config/index.ts";
import { errorJson, formatReport, reportJson } from "../observe/index.ts";
import { newMemory } from "../orchestrate/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { IdentityConflictError } from "../slots/index.ts";
import { configArg, jsonArg } from "./_args.ts";
import { openResources } from "./_backend.ts";
import { defineCliCommand, type CliContext } from "./_context.ts";
import { handleSignals, runDaemon, withEarlyHupIgnored } from "./_daemon.ts";
import { onceRetryDeps, retryWhileSlotTaken } from "./_once.ts";
import { startObservability } from "./_observability.ts";
import { buildRuntime, type Resources } from "./_runtime.ts";
import { resolveGroup, unresolvedOutcome } from "./_group.ts";
import { commandLogger, loadOrFail, planFromConfig, warnWithoutHardwareId } from "./_setup.ts";

export default defineCliCommand({
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
  run: ({ args, cli }) => withEarlyHupIgnored(() => runCommand(args, cli)),
});

/** The body of `run`, separate so the early SIGHUP trap can wrap every return. */
async function runCommand(args: { config: string; "dry-run": boolean; once: boolean; timer: boolean; json: boolean }, cli: CliContext): Promise<Outcome> {
  const res = await loadOrFail(args.config, cli);
  if (!res.ok) return res.outcome;
  if (args.once && args.timer) return outcome("usage", "--once and --timer exclude each other");
  const single = args.once || args.timer;
  // Bind the metrics listener first: its address goes into RC_METRICS_ENDPOINT (exit 1 if busy).
  // --once binds it too, as Go does; a timer pass is too short-lived to be scraped.
  const obs = await startObservability(res.config, args.timer, cli);
  if (!obs.ok) return obs.outcome;
  const log = commandLogger(res.config, cli);
  const dryRun = res.config.dry_run || args["dry-run"];
  for (const w of res.warnings) log.event("warn", "config_warning", { warning: w });
  const stop = handleSignals(log);
  try {
    log.event("info", "starting", { node: res.config.node_name, group: res.config.group, ...(res.config.group_from_node_label ? { group_from_node_label: res.config.group_from_node_label } : {}), dry_run: dryRun, backend: res.config.lock_backend, mode: args.once ? "once" : args.timer ? "timer" : "daemon", pid: cli.ports.host.pid() });
    // group_from_node_label: the group is read before anything is opened (it names our slot key).
    const g = await resolveGroup(res.config, { ...cli.ports, env: cli.env, log, metrics: obs.metrics, signal: stop.signal, single });
    if (!g.ok) {
      if (g.reason === "stopped") return outcome("ok", "stopped while waiting for the group label");
      return unresolvedOutcome(res.config, g.message, { json: args.json, prefix: "clusterrebootd", cli });
    }
    const cfg = g.config;
    const identity = await cli.identity();
    warnWithoutHardwareId(identity, log);
    // One plan per (re)load: the session is opened with the plan the first runtime runs, and a
    // reload makes the new config's own (a --dry-run flag outlives reloads).
    const planOf = (c: ResolvedConfig) =>
      planFromConfig(c, identity, cli.env, { dryRun: c.dry_run || args["dry-run"], ...(obs.address ? { metricsEndpoint: obs.address } : {}) });
    const plan = planOf(cfg);
    const ports = { ...cli.ports, log };
    const backend = await openResources(cfg, { plan, identity, ports, signal: stop.signal, single, ...(args.timer ? { presenceSec: cfg.timer_presence_sec } : {}) }).catch((err: unknown) => {
      if (!(err instanceof IdentityConflictError)) throw err;
      obs.metrics.inc("identity_conflicts_total");
      log.event("error", "identity_conflict", { node: err.node, this_machine: err.ours, other_machine: err.theirs, clone: err.clone, where: err.where });
      cli.stderr(`clusterrebootd: refusing to run: ${err.message}\n`);
      return { ok: false as const, reason: "identity" as const, message: err.message };
    });
    if (!backend.ok) {
      if (backend.reason === "stopped") return outcome("ok", "stopped while waiting for etcd");
      if (backend.reason === "identity") return outcome("identity_conflict", backend.message);
      // --json promises a JSON document on stdout, failure included (docs/JSON.md §Errors).
      if (args.json) cli.stdout(JSON.stringify(errorJson(cfg, "etcd unreachable", "etcd did not answer; see the log on stderr"), null, 2) + "\n");
      return outcome("runtime_error", "etcd unreachable");
    }
    const resources: Resources = { lock: backend.lock, memory: newMemory(), log, metrics: obs.metrics };
    const co = await buildRuntime(cfg, plan, resources, cli);
    obs.attach(co);
    // Set once a single pass ran the reboot command: the machine is going down.
    let goingDown = false;
    try {
      if (!single) {
        const rebuild = (c: ResolvedConfig) => buildRuntime(c, planOf(c), resources, cli);
        return await runDaemon(cfg, co, { configPath: args.config, cli, signal: stop.signal, onHup: stop.onHup, obs, rebuild });
      }
      const { runPass } = await import("../orchestrate/index.ts");
      const pass = () => runPass(co, args.once ? "once" : "run", stop.signal);
      // --once waits out a taken slot like Go (5 attempts with backoff); --timer's next run is the retry.
      const r = args.once ? await retryWhileSlotTaken(pass, stop.signal, onceRetryDeps(co)) : await pass();
      goingDown = r.outcome.kind === "rebooting";
      // The journal of a --timer unit gets the same JSON line a daemon logs (log shippers read it).
      const { logOutcome } = await import("../orchestrate/index.ts");
      logOutcome(co, r);
      cli.stdout(args.json ? JSON.stringify(reportJson(r), null, 2) + "\n" : formatReport(r) + "\n");
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

import { defineCommand } from "citty";
import { openSession } from "../cluster/index.ts";
import { createNotifier, formatReport, reportJson } from "../observe/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { configArg, jsonArg } from "./_args.ts";
import { buildCoordinator, connect, loadOrFail } from "./_setup.ts";
import { handleSignals, waitForEtcd } from "./_daemon.ts";
import { startObservability } from "./_observability.ts";
import { logReload, reloadConfig } from "./_reload.ts";
import { serveFleetLock } from "./_fleetlock-serve.ts";

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
    const res = await loadOrFail(args.config);
    if (!res.ok) return res.outcome;
    const cfg = res.config;
    if (args.once && args.timer) return outcome("usage", "--once and --timer exclude each other");
    const dryRun = cfg.dry_run || args["dry-run"];
    const single = args.once || args.timer;
    // Bind the metrics listener first: its address goes into RC_METRICS_ENDPOINT (exit 1 if busy).
    const obs = await startObservability(cfg, single);
    if (!obs.ok) return obs.outcome;
    let co = await buildCoordinator(cfg, { dryRun, ...(obs.address ? { metricsEndpoint: obs.address } : {}) });
    co = {
      ...co,
      ports: { ...co.ports, metrics: obs.metrics },
      notifier: createNotifier(cfg.notifications.webhooks, { node: cfg.node_name, log: co.ports.log, metrics: obs.metrics }),
      memory: {},
    };
    obs.attach(co);
    const { log } = co.ports;
    for (const w of res.warnings) log.event("warn", "config_warning", { warning: w });
    const stop = handleSignals(log);
    const etcd = await connect(cfg);
    try {
      log.event("info", "starting", { node: cfg.node_name, group: cfg.group, dry_run: co.plan.dryRun, mode: args.once ? "once" : args.timer ? "timer" : "daemon", pid: process.pid });
      // etcd may not be up yet (boot order) or a member may be down: wait, never crash-loop (W10).
      const session = await waitForEtcd(co, stop.signal, single, () =>
        openSession(etcd.gw, etcd.keys, { node: cfg.node_name, group: cfg.group, fallback: co.plan.fallback, pid: process.pid, bootId: co.plan.baseEnv["RC_BOOT_ID"] ?? "" }, { ttlSec: cfg.lock_ttl_sec, nowMs: Date.now() }),
      );
      if (!session) return stop.signal.aborted ? outcome("ok", "stopped while waiting for etcd") : outcome("runtime_error", "etcd unreachable");
      const live = { ...co, etcd, session };
      try {
        if (single) {
          const { runPass } = await import("../orchestrate/index.ts");
          const r = await runPass(live, args.once ? "once" : "run", stop.signal);
          process.stdout.write(args.json ? JSON.stringify(reportJson(r), null, 2) + "\n" : formatReport(r) + "\n");
          // W13: an interrupted single pass is not a success.
          return stop.signal.aborted ? outcome("runtime_error", "interrupted") : r.outcome;
        }
        const { runLoop } = await import("../orchestrate/index.ts");
        // fleetlock.enabled: this daemon also serves FleetLock clients from the same slots.
        const fl = cfg.fleetlock.enabled ? await serveFleetLock(cfg, cfg.fleetlock, { gw: etcd.gw, keys: etcd.keys, log, listen: cfg.fleetlock.listen, serveMetrics: false }) : undefined;
        if (fl && !fl.ok) {
          process.stderr.write(`fleetlock: ${fl.message}\n`);
          return outcome(fl.kind, fl.message);
        }
        // SIGHUP: validate and swap the plan between passes; the old config stays on any problem.
        let current = cfg;
        let pending: typeof live | undefined;
        const onHup = () => {
          void reloadConfig(args.config, current).then(async (r) => {
            logReload(log, r);
            obs.metrics.inc("config_reloads_total", { result: r.kind === "invalid" ? "error" : "success" });
            if (r.kind !== "reloaded") return;
            current = r.config;
            const fresh = await buildCoordinator(r.config, { dryRun: r.config.dry_run || args["dry-run"], log, ...(obs.address ? { metricsEndpoint: obs.address } : {}) });
            pending = {
              ...live,
              plan: fresh.plan,
              health: fresh.health,
              notifier: createNotifier(r.config.notifications.webhooks, { node: r.config.node_name, log, metrics: obs.metrics }),
            };
          });
        };
        stop.onHup(onHup);
        try {
          await runLoop(live, stop.signal, {
            refresh: (c) => {
              if (!pending) return c;
              const p = pending;
              pending = undefined;
              return { ...p, ports: c.ports, session: c.session, etcd: c.etcd, ...(c.memory ? { memory: c.memory } : {}) };
            },
            onReport: () => obs.passed(),
          });
        } finally {
          stop.onHup(undefined);
          if (fl?.ok) await fl.stop();
        }
        log.event("info", "stopped", { reason: "signal" });
        return outcome("ok", "stopped"); // W13: a requested stop exits 0
      } finally {
        // Graceful stop: our health record disappears at once (peers see "missing", not stale
        // "healthy"). A slot in `rebooting`/`verifying` lives on its own lease and is unaffected.
        await session.close({ revoke: true });
      }
    } finally {
      stop.dispose();
      await obs.stop();
      await etcd.gw.close();
    }
  },
});

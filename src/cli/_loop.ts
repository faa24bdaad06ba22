/**
 * The daemon part of `run`: FleetLock serving (optional), SIGHUP reload, the loop. A reload builds
 * the runtime again from the new config (_runtime.ts) with the same process resources; keys that
 * shape the process itself keep their old values and are named in the log (_reload.ts).
 */
import type { ResolvedConfig } from "../config/index.ts";
import type { Coordinator } from "../orchestrate/context.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import type { Observability } from "./_observability.ts";
import { logReload, reloadConfig } from "./_reload.ts";
import { buildRuntime, type Resources } from "./_runtime.ts";

export interface DaemonOptions {
  configPath: string;
  forceDryRun: boolean;
  signal: AbortSignal;
  onHup(fn: (() => void) | undefined): void;
  obs: Extract<Observability, { ok: true }>;
  resources: Resources;
}

export async function runDaemon(cfg: ResolvedConfig, live: Coordinator, o: DaemonOptions): Promise<Outcome> {
  const { runLoop } = await import("../orchestrate/index.ts");
  const { log } = live.ports;
  // fleetlock.enabled: this daemon also serves FleetLock clients from the same slots.
  const fl =
    cfg.fleetlock.enabled && live.mode === "etcd"
      ? await (await import("./_fleetlock-serve.ts")).serveFleetLock(cfg, cfg.fleetlock, { gw: live.etcd.gw, keys: live.etcd.keys, log, listen: cfg.fleetlock.listen, serveMetrics: false })
      : undefined;
  if (fl && !fl.ok) {
    process.stderr.write(`fleetlock: ${fl.message}\n`);
    return outcome(fl.kind, fl.message);
  }
  if (fl?.ok) o.obs.metrics.addSource(fl.metricsText);
  // SIGHUP: validate, then build the next runtime; it takes over between passes. On any problem
  // the running config stays.
  let current = cfg;
  let pending: Coordinator | undefined;
  // A reload in flight when a pass is due finishes first: the pass then runs the new config.
  let reloading: Promise<void> | undefined;
  o.onHup(() => {
    reloading = reloadConfig(o.configPath, current).then(async (r) => {
      logReload(log, r);
      o.obs.metrics.inc("config_reloads_total", { result: r.kind === "invalid" ? "error" : "success" });
      if (r.kind !== "reloaded") return;
      current = r.config;
      pending = await buildRuntime(r.config, o.resources, { dryRun: r.config.dry_run || o.forceDryRun });
    }).catch((err: unknown) => log.event("error", "config_reload_failed", { problems: [err instanceof Error ? err.message : String(err)], kept: "previous configuration" }));
  });
  let last;
  try {
    last = await runLoop(live, o.signal, {
      refresh: async (c) => {
        await reloading;
        if (!pending) return c;
        const next = pending;
        pending = undefined;
        return next;
      },
      onReport: () => o.obs.passed(),
    });
  } finally {
    o.onHup(undefined);
    if (fl?.ok) await fl.stop();
    await live.notifier.idle();
  }
  if (last?.outcome.kind === "identity_conflict") {
    process.stderr.write(`clusterrebootd: refusing to run: ${last.outcome.message}\n`);
    return last.outcome;
  }
  log.event("info", "stopped", { reason: "signal" });
  return outcome("ok", "stopped"); // W13: a requested stop exits 0
}

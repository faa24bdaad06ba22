/** The daemon part of `run`: FleetLock serving (optional), SIGHUP reload, the loop. */
import type { Config } from "../config/index.ts";
import { createNotifier } from "../observe/index.ts";
import type { Coordinator } from "../orchestrate/context.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { serveFleetLock } from "./_fleetlock-serve.ts";
import type { Observability } from "./_observability.ts";
import { logReload, reloadConfig } from "./_reload.ts";
import { buildCoordinator } from "./_setup.ts";

export interface DaemonOptions {
  configPath: string;
  forceDryRun: boolean;
  signal: AbortSignal;
  onHup(fn: (() => void) | undefined): void;
  obs: Extract<Observability, { ok: true }>;
}

export async function runDaemon(cfg: Config, live: Coordinator, o: DaemonOptions): Promise<Outcome> {
  const { runLoop } = await import("../orchestrate/index.ts");
  const { log } = live.ports;
  // fleetlock.enabled: this daemon also serves FleetLock clients from the same slots.
  const fl = cfg.fleetlock.enabled && live.etcd
    ? await serveFleetLock(cfg, cfg.fleetlock, { gw: live.etcd.gw, keys: live.etcd.keys, log, listen: cfg.fleetlock.listen, serveMetrics: false })
    : undefined;
  if (fl && !fl.ok) {
    process.stderr.write(`fleetlock: ${fl.message}\n`);
    return outcome(fl.kind, fl.message);
  }
  if (fl?.ok) o.obs.metrics.addSource(fl.metricsText);
  // SIGHUP: validate and swap the plan between passes; the old config stays on any problem.
  let current = cfg;
  let pending: Coordinator | undefined;
  o.onHup(() => {
    void reloadConfig(o.configPath, current).then(async (r) => {
      logReload(log, r);
      o.obs.metrics.inc("config_reloads_total", { result: r.kind === "invalid" ? "error" : "success" });
      if (r.kind !== "reloaded") return;
      current = r.config;
      const fresh = await buildCoordinator(r.config, { dryRun: r.config.dry_run || o.forceDryRun, log, ...(o.obs.address ? { metricsEndpoint: o.obs.address } : {}) });
      pending = {
        ...live,
        plan: fresh.plan,
        health: fresh.health,
        notifier: createNotifier(r.config.notifications.webhooks, { node: r.config.node_name, log, metrics: o.obs.metrics }),
      };
    });
  });
  try {
    await runLoop(live, o.signal, {
      refresh: (c) => {
        if (!pending) return c;
        const p = pending;
        pending = undefined;
        return { ...p, ports: c.ports, ...(c.session ? { session: c.session } : {}), ...(c.etcd ? { etcd: c.etcd } : {}), ...(c.remote ? { remote: c.remote } : {}), ...(c.memory ? { memory: c.memory } : {}) };
      },
      onReport: () => o.obs.passed(),
    });
  } finally {
    o.onHup(undefined);
    if (fl?.ok) await fl.stop();
    await live.notifier?.idle();
  }
  log.event("info", "stopped", { reason: "signal" });
  return outcome("ok", "stopped"); // W13: a requested stop exits 0
}

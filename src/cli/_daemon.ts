/**
 * The daemon part of `run` and its signals: SIGTERM/SIGINT stop, SIGHUP reloads. A reload builds
 * the runtime again from the new config (`rebuild`: a new plan and _runtime.ts buildRuntime with
 * the same process resources); keys that shape the process itself keep their old values and are
 * named in the log (_reload.ts). FleetLock serving (fleetlock.enabled) runs beside the loop.
 */
import type { ResolvedConfig } from "../config/index.ts";
import type { Logger } from "../observe/index.ts";
import type { Coordinator } from "../orchestrate/context.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import type { CliContext } from "./_context.ts";
import type { Observability } from "./_observability.ts";
import { logReload, reloadConfig } from "./_reload.ts";

/** Deadline for a graceful stop; systemd's TimeoutStopSec should be longer. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Until handleSignals is in place a SIGHUP must not kill us (the runtime default); `run` reads its
 * config right after, so dropping a reload this early loses nothing.
 */
export async function withEarlyHupIgnored<T>(fn: () => Promise<T>): Promise<T> {
  const earlyHup = () => {};
  process.on("SIGHUP", earlyHup);
  try {
    return await fn();
  } finally {
    process.off("SIGHUP", earlyHup);
  }
}

/**
 * First SIGTERM/SIGINT: abort the current step and stop (exit 0). Second: exit at once. A stop
 * that takes longer than SHUTDOWN_TIMEOUT_MS exits too, so systemd never has to SIGKILL us.
 */
export function handleSignals(log: Logger) {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      log.event("warn", "second_signal", { signal: sig });
      process.exit(1);
    }
    log.event("info", "stopping", { signal: sig });
    ac.abort();
    setTimeout(() => {
      log.event("error", "stop_timeout", { after_ms: SHUTDOWN_TIMEOUT_MS });
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
  };
  // SIGHUP must never kill us (the runtime default). One that arrives before the reload handler is
  // installed (e.g. while waiting for etcd at boot) is remembered and applied once it is.
  let hup: (() => void) | undefined;
  let pendingHup = false;
  const ignoreHup = () => {
    if (hup) return hup();
    pendingHup = true;
    log.event("info", "sighup_deferred", { reason: "reload applies once the daemon loop runs" });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", ignoreHup);
  return {
    signal: ac.signal,
    /** Installs (or with undefined removes) the SIGHUP reload handler. */
    onHup(fn: (() => void) | undefined) {
      hup = fn;
      if (fn && pendingHup) {
        pendingHup = false;
        fn();
      }
    },
    dispose() {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      process.off("SIGHUP", ignoreHup);
    },
  };
}

export interface DaemonOptions {
  configPath: string;
  cli: Pick<CliContext, "ports" | "env" | "stderr">;
  signal: AbortSignal;
  onHup(fn: (() => void) | undefined): void;
  obs: Extract<Observability, { ok: true }>;
  /** The runtime a reloaded config runs: its own plan, the process's resources. */
  rebuild(cfg: ResolvedConfig): Promise<Coordinator>;
}

export async function runDaemon(cfg: ResolvedConfig, live: Coordinator, o: DaemonOptions): Promise<Outcome> {
  const { runLoop } = await import("../orchestrate/index.ts");
  const { log } = live.ports;
  // fleetlock.enabled: this daemon also serves FleetLock clients from the same slots.
  const fl =
    cfg.fleetlock.enabled && live.mode === "etcd"
      ? await (await import("./_fleetlock-serve.ts")).serveFleetLock(cfg, cfg.fleetlock, { gw: live.etcd.gw, keys: live.etcd.keys, log, listen: cfg.fleetlock.listen, serveMetrics: false, ...o.cli })
      : undefined;
  if (fl && !fl.ok) {
    o.cli.stderr(`fleetlock: ${fl.message}\n`);
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
    reloading = reloadConfig(o.configPath, current, o.cli.env).then(async (r) => {
      logReload(log, r);
      o.obs.metrics.inc("config_reloads_total", { result: r.kind === "invalid" ? "error" : "success" });
      if (r.kind !== "reloaded") return;
      current = r.config;
      pending = await o.rebuild(r.config);
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
    o.cli.stderr(`clusterrebootd: refusing to run: ${last.outcome.message}\n`);
    return last.outcome;
  }
  log.event("info", "stopped", { reason: "signal" });
  return outcome("ok", "stopped"); // W13: a requested stop exits 0
}

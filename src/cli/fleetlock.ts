/**
 * `clusterrebootd fleetlock serve`: a FleetLock server (Zincati's reboot-lock protocol) on the
 * cluster's etcd reboot slots, so Fedora CoreOS / Zincati nodes share the reboot budget with
 * clusterrebootd nodes. Runs until SIGTERM/SIGINT; several instances may serve one etcd.
 */
import * as v from "valibot";
import { checkListen, FleetLockSchema, type FleetLockConfig } from "../config/index.ts";
import type { Config } from "../config/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { configArg } from "./_args.ts";
import { defineCliCommand } from "./_context.ts";
import { handleSignals } from "./_daemon.ts";
import { commandLogger, connect, loadOrFail } from "./_setup.ts";
import { serveFleetLock } from "./_fleetlock-serve.ts";

export default defineCliCommand({
  meta: {
    name: "fleetlock",
    description:
      "FleetLock server on the etcd reboot slots. 'fleetlock serve' answers POST /v1/pre-reboot and /v1/steady-state (header fleet-lock-protocol: true) until stopped; clients count against the same group limits, pause, cooldown, windows and health policy as clusterrebootd nodes.",
  },
  args: {
    action: { type: "positional", description: "serve", required: true },
    ...configArg,
    listen: { type: "string", description: "host:port to listen on (overrides fleetlock.listen; default 127.0.0.1:8080)", valueHint: "HOST:PORT" },
  },
  async run({ args, cli }): Promise<Outcome> {
    if (args.action !== "serve") {
      cli.stderr(`fleetlock: unknown action ${JSON.stringify(args.action)} (expected "serve")\n`);
      return outcome("usage", "unknown fleetlock action");
    }
    const res = await loadOrFail(args.config, cli);
    if (!res.ok) return res.outcome;
    const cfg = res.config;
    const fl = fleetLockConfigOf(cfg);
    const listen = args.listen ?? fl.listen;
    const bad = checkListen(listen);
    if (bad) {
      cli.stderr(`fleetlock: --listen ${bad}\n`);
      return outcome("usage", "bad --listen");
    }
    const log = commandLogger(cfg, cli);
    for (const w of res.warnings) log.event("warn", "config_warning", { warning: w });
    const stop = handleSignals(log);
    const { gw, keys } = await connect(cfg);
    try {
      const server = await serveFleetLock(cfg, fl, { gw, keys, log, listen, serveMetrics: true, ports: cli.ports, env: cli.env });
      if (!server.ok) {
        cli.stderr(`fleetlock: ${server.message}\n`);
        return outcome(server.kind, server.message);
      }
      await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener("abort", () => resolve(), { once: true })));
      // Requests in flight finish (each is a few etcd calls); the signal handler's deadline bounds this.
      await server.stop();
      log.event("info", "stopped", { reason: "signal" });
      return outcome("ok", "stopped");
    } finally {
      stop.dispose();
      await gw.close();
    }
  },
});

/**
 * The `fleetlock:` block. Until config/schema.ts carries it (`fleetlock: FleetLockSchema`), a
 * loaded Config has none and every default applies; afterwards this is just `cfg.fleetlock`.
 */
function fleetLockConfigOf(cfg: Config): FleetLockConfig {
  return cfg.fleetlock ?? v.parse(FleetLockSchema, undefined);
}

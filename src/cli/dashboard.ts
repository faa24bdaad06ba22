/**
 * `clusterrebootd dashboard`: serves the read-only live fleet page until SIGTERM/SIGINT, or with
 * --json prints the page's state document once (the same JSON the live stream carries) and exits.
 * Loopback by default; beyond loopback it needs basic auth unless --insecure-listen.
 */
import { resolveSettings, startDashboard, viewOptionsFromConfig, buildView, createPhaseTracker } from "../dashboard/index.ts";
import { DEFAULT_DASHBOARD_LISTEN } from "../config/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { readClusterState } from "../slots/index.ts";
import { configArg } from "./_args.ts";
import { handleSignals } from "./_daemon.ts";
import { defineCliCommand } from "./_context.ts";
import { commandLogger, connect, loadOrFail } from "./_setup.ts";

export default defineCliCommand({
  meta: {
    name: "dashboard",
    description:
      "read-only live fleet page: groups with slots used/limit, every node's health, phase and since when, who waits and why, pause, cooldown, windows and a timeline of recent reboots. Updates live from etcd watches (server-sent events); no button changes anything. Also serves /state.json, /metrics and /healthz.",
  },
  args: {
    ...configArg,
    listen: { type: "string", description: `host:port to serve on (overrides dashboard.listen; default ${DEFAULT_DASHBOARD_LISTEN}); beyond loopback basic auth is required`, valueHint: "HOST:PORT" },
    "basic-auth-user": { type: "string", description: "basic-auth user name (with --basic-auth-password-file)", valueHint: "USER" },
    "basic-auth-password-file": { type: "string", description: "file holding the basic-auth password", valueHint: "FILE" },
    "tls-cert": { type: "string", description: "PEM server certificate: serve HTTPS (with --tls-key)", valueHint: "FILE" },
    "tls-key": { type: "string", description: "PEM private key of --tls-cert", valueHint: "FILE" },
    "insecure-listen": { type: "boolean", description: "allow a non-loopback --listen without basic auth (a trusted network)", default: false },
    json: { type: "boolean", description: "print the page's state document once as JSON and exit (no server)", default: false },
  },
  async run({ args, cli }): Promise<Outcome> {
    const res = await loadOrFail(args.config, cli);
    if (!res.ok) return res.outcome;
    const cfg = res.config;
    const block = cfg.dashboard;
    const view = viewOptionsFromConfig(cfg);
    if (args.json) {
      const { gw, keys } = await connect(cfg);
      try {
        const now = cli.ports.clock.now();
        const doc = createPhaseTracker().annotate(buildView({ state: await readClusterState(gw, keys), nowMs: now, opts: view }), now);
        cli.stdout(JSON.stringify(doc, null, 2) + "\n");
        return outcome("ok", "dashboard state shown");
      } catch (err) {
        cli.stderr(`dashboard: cannot read the cluster state: ${err instanceof Error ? err.message : String(err)}\n`);
        return outcome("runtime_error", "etcd read failed");
      } finally {
        await gw.close();
      }
    }
    const s = await resolveSettings(block, {
      listen: args.listen,
      basicAuthUser: args["basic-auth-user"],
      basicAuthPasswordFile: args["basic-auth-password-file"],
      tlsCert: args["tls-cert"],
      tlsKey: args["tls-key"],
      insecureListen: args["insecure-listen"],
    });
    if (!s.ok) {
      cli.stderr(`dashboard: settings invalid\n${s.problems.map((p) => `  - ${p}`).join("\n")}\n`);
      return outcome("config_error", `${s.problems.length} dashboard setting problem(s)`);
    }
    const log = commandLogger(cfg, cli);
    for (const w of [...res.warnings, ...s.warnings]) log.event("warn", "config_warning", { warning: w });
    const stop = handleSignals(log);
    const { gw, keys } = await connect(cfg);
    try {
      let dash;
      try {
        dash = await startDashboard({
          gw,
          keys,
          view,
          listen: s.settings.listen,
          ...(s.settings.tls ? { tls: s.settings.tls } : {}),
          ...(s.settings.basicAuth ? { basicAuth: s.settings.basicAuth } : {}),
          maxClients: s.settings.maxClients,
          heartbeatMs: s.settings.heartbeatMs,
          minRefreshMs: s.settings.minRefreshMs,
          onReadError: (message) => log.event("warn", "dashboard_read_failed", { error: message }),
          now: () => cli.ports.clock.now(),
        });
      } catch (err) {
        cli.stderr(`dashboard: cannot start on ${s.settings.listen}: ${err instanceof Error ? err.message : String(err)}\n`);
        return outcome("runtime_error", "dashboard did not start");
      }
      log.event("info", "dashboard_listening", { url: dash.url, namespace: keys.prefix, tls: Boolean(s.settings.tls), basic_auth: Boolean(s.settings.basicAuth) });
      cli.stdout(`dashboard: ${dash.url} (read-only; Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener("abort", () => resolve(), { once: true })));
      await dash.stop();
      log.event("info", "stopped", { reason: "signal" });
      return outcome("ok", "stopped");
    } finally {
      stop.dispose();
      await gw.close();
    }
  },
});

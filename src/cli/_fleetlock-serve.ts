/** Starting a FleetLock server from the config: shared by `fleetlock serve` and `run` (fleetlock.enabled). */
import { readFile } from "node:fs/promises";
import type { Config, FleetLockConfig } from "../config/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import { backendSettingsFromConfig, createEtcdBackend, createFleetLockHandler, createKubeHooks, renderPrometheus, startFleetLockServer } from "../fleetlock/index.ts";
import { kubeFromConfig } from "../kube/index.ts";
import type { Logger } from "../observe/index.ts";
import type { PlatformPorts } from "../platform/index.ts";
import type { Keys } from "../slots/index.ts";
import type { Env } from "./_context.ts";

export type ServeResult =
  | { ok: true; url: string; stop(): Promise<void>; /** Prometheus text of the request counters. */ metricsText(): string }
  | { ok: false; kind: "config_error" | "runtime_error"; message: string };

export async function serveFleetLock(
  cfg: Config,
  fl: FleetLockConfig,
  deps: { gw: EtcdGateway; keys: Keys; log: Logger; listen: string; serveMetrics: boolean; ports: PlatformPorts; env: Env },
): Promise<ServeResult> {
  let tls: { cert: string; key: string } | undefined;
  try {
    tls = fl.tls ? { cert: await readFile(fl.tls.cert_file, "utf8"), key: await readFile(fl.tls.key_file, "utf8") } : undefined;
  } catch (err) {
    return { ok: false, kind: "config_error", message: `cannot read fleetlock.tls files: ${err instanceof Error ? err.message : String(err)}` };
  }
  const { clock, fs, host } = deps.ports;
  const pid = host.pid();
  const serverName = `${cfg.node_name}/${host.hostname()}:${pid}`;
  // kubernetes.drain: drain the client's node before granting, uncordon on steady-state.
  const k = cfg.kubernetes ? kubeFromConfig(cfg.kubernetes, cfg.node_name, { clock, fs, env: deps.env, log: deps.log }) : undefined;
  const hooks = k?.drain ? createKubeHooks({ kube: k.kube, api: k.api, drain: k.drain, log: deps.log }) : undefined;
  const backend = createEtcdBackend({
    gw: deps.gw,
    keys: deps.keys,
    platform: deps.ports,
    log: deps.log,
    settings: backendSettingsFromConfig(cfg, fl, { serverName, pid }),
    ...(hooks ? { hooks } : {}),
  });
  const handler = createFleetLockHandler({ backend, maxBodyBytes: fl.max_body_bytes, log: deps.log, serveMetrics: deps.serveMetrics, urlSecret: fl.url_secret });
  try {
    const server = startFleetLockServer({ listen: deps.listen, handler, ...(tls ? { tls } : {}) });
    deps.log.event("info", "fleetlock_listening", { url: server.url, namespace: deps.keys.prefix, tls: Boolean(tls), pid });
    return { ok: true, url: server.url, stop: () => server.stop(), metricsText: () => renderPrometheus(handler.metrics) };
  } catch (err) {
    return { ok: false, kind: "runtime_error", message: `cannot listen on ${deps.listen}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

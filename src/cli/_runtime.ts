/**
 * A Coordinator built from a config, its plan and the process-scoped resources, with the ports
 * and environment `main` built (cli/_context.ts). `run` builds it once at start; a SIGHUP reload
 * makes the new config's plan and calls the same function with the same resources (etcd client,
 * session, remote client, loop memory, metrics, logger), so a reloaded runtime is exactly what a
 * fresh start with that config would run — health script, built-in checks, Kubernetes, webhooks
 * and windows included. Modules a config does not use (kube/, checks/, fleetlock/) are not
 * loaded at all.
 */
import type { ResolvedConfig } from "../config/index.ts";
import { evaluateDetectors } from "../detect/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import { createHealthRunner } from "../health/index.ts";
import { createNotifier, type Logger, type Metrics } from "../observe/index.ts";
import { daemonLock, noChecks, noKube, noLock, nodeKube, type Checks, type Coordinator, type KubeCap, type LoopMemory, type Plan } from "../orchestrate/index.ts";
import type { Clock } from "../platform/index.ts";
import { passiveSession, type Keys, type Session } from "../slots/index.ts";
import type { CliContext } from "./_context.ts";
import { processEnv } from "./_setup.ts";
import { withRequests } from "./_request-detect.ts";

/** The Alertmanager client (config `alertmanager:`), loaded only when configured. */
async function silencer(cfg: ResolvedConfig, res: Resources, clock: Clock) {
  const { createSilencer } = await import("../silences/index.ts");
  return createSilencer(cfg.alertmanager!, { node: cfg.node_name, log: res.log, metrics: res.metrics, now: () => clock.now() });
}

/** What outlives a reload: built once per process. */
export interface Resources {
  lock:
    | { kind: "etcd"; etcd: { gw: EtcdGateway; keys: Keys }; session?: Session } // no session: read-only (status)
    | { kind: "fleetlock"; url: string; id: string; group: string; timeoutMs?: number; ca?: string }
    | { kind: "none" };
  memory: LoopMemory;
  log: Logger;
  metrics: Metrics;
}

export interface RuntimeOptions {
  /** status --skip-health: the health runner reports a skip (the plan says so in RC_SKIP_HEALTH). */
  skipHealth?: boolean;
}

/** `plan` is planFromConfig(cfg, …), made by the caller once per (re)load: the session was opened with it. */
export async function buildRuntime(cfg: ResolvedConfig, plan: Plan, res: Resources, cli: Pick<CliContext, "ports" | "env">, o: RuntimeOptions = {}): Promise<Coordinator> {
  const base = cli.ports;
  const ports = { ...base, log: res.log, metrics: res.metrics };
  const env = processEnv(cli.env);
  const k = cfg.kubernetes ? (await import("../kube/index.ts")).kubeFromConfig(cfg.kubernetes, cfg.node_name, { clock: base.clock, fs: base.fs, env: cli.env, log: res.log }) : undefined;
  const kube: KubeCap = k ? nodeKube(k, ports) : noKube;
  const checks: Checks = cfg.health_checks.length
    ? (await import("../checks/index.ts")).checksCap(cfg.health_checks, { clock: base.clock, fs: base.fs, node: k?.node ?? cfg.node_name, ...(k ? { kube: k.api } : {}) })
    : noChecks;
  const webhooks = createNotifier(cfg.notifications.webhooks, { node: cfg.node_name, log: res.log, metrics: res.metrics });
  const silences = cfg.alertmanager && res.lock.kind === "etcd" ? await silencer(cfg, res, base.clock) : undefined;
  // The reboot already waits (bounded, ANNOUNCE_TIMEOUT_MS) for its announcement to leave before
  // the machine goes down; the silence rides on that same wait, so it is in Alertmanager before
  // the alerts start, and a slow or dead Alertmanager adds no delay of its own.
  const notifier = silences ? { notify: webhooks.notify, idle: () => Promise.all([webhooks.idle(), silences.idle()]).then(() => undefined) } : webhooks;
  const common = {
    plan,
    ports,
    health: createHealthRunner({ scriptPath: cfg.health_script, timeoutMs: plan.healthTimeoutMs, baseEnv: plan.baseEnv, ...(o.skipHealth ? { skip: true } : {}) }, base),
    checks,
    kube,
    env,
    detect: (signal?: AbortSignal) => evaluateDetectors(plan.detectors, { ...base, env }, signal),
    notifier,
    memory: res.memory,
  };
  const l = res.lock;
  switch (l.kind) {
    case "etcd": {
      const session = l.session ?? passiveSession;
      const slotLock = daemonLock(plan, { ...l.etcd, clock: base.clock, metrics: res.metrics, pid: base.host.pid(), leaseId: () => session.lease().id, queue: true });
      const lock = silences ? (await import("../silences/index.ts")).withSilences(slotLock, silences) : slotLock;
      // A daemon (it has a session) also reboots on an operator's request; status reads it too.
      const req = withRequests(common.detect, { etcd: l.etcd, node: plan.node, metrics: res.metrics });
      return { ...common, detect: req.detect, ignoreWindow: req.ignoreWindow, mode: "etcd", etcd: l.etcd, session, lock };
    }
    case "fleetlock": {
      const { createFleetLockClient, remoteLock } = await import("../fleetlock/index.ts");
      const client = createFleetLockClient({ baseUrl: l.url, ...(l.timeoutMs ? { timeoutMs: l.timeoutMs } : {}), ...(l.ca ? { ca: l.ca } : {}) });
      return { ...common, mode: "fleetlock", remote: { id: l.id, group: l.group }, lock: remoteLock(client, l.id, l.group) };
    }
    case "none":
      return { ...common, mode: "local", lock: noLock };
  }
}

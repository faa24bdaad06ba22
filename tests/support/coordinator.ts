/**
 * Coordinators for pass-level tests and benchmarks, built the way the composition root
 * (src/cli/_runtime.ts) builds them, with defaults for what a test does not care about.
 */
import { evaluateDetectors } from "../../src/detect/index.ts";
import type { EtcdGateway } from "../../src/etcd/index.ts";
import type { FleetLockClient } from "../../src/fleetlock/index.ts";
import { remoteLock } from "../../src/fleetlock/index.ts";
import type { HealthRunner } from "../../src/health/index.ts";
import { noopMetrics, type Metrics, type Notifier } from "../../src/observe/index.ts";
import {
  etcdLock,
  newMemory,
  noChecks,
  noKube,
  daemonLock,
  type Checks,
  type EtcdCoordinator,
  type KubeCap,
  type LoopMemory,
  type Plan,
  type Ports,
  type RemoteCoordinator,
} from "../../src/orchestrate/index.ts";
import { passiveSession, type Keys, type Session } from "../../src/slots/index.ts";

export const silentNotifier: Notifier = { notify() {}, idle: async () => {} };

interface CommonOpts {
  plan: Plan;
  ports: Omit<Ports, "metrics"> & { metrics?: Metrics };
  health: HealthRunner;
  env?: Record<string, string>;
  kube?: KubeCap;
  checks?: Checks;
  memory?: LoopMemory;
  notifier?: Notifier;
}

function common(o: CommonOpts) {
  const ports: Ports = { ...o.ports, metrics: o.ports.metrics ?? noopMetrics };
  const env = o.env ?? {};
  return {
    plan: o.plan,
    ports,
    health: o.health,
    env,
    checks: o.checks ?? noChecks,
    kube: o.kube ?? noKube,
    memory: o.memory ?? newMemory(),
    notifier: o.notifier ?? silentNotifier,
    detect: (signal?: AbortSignal) => evaluateDetectors(o.plan.detectors, { ...ports, env }, signal),
  };
}

/** A daemon on etcd slots; without a session it is read-only (status). */
export function etcdCoordinator(o: CommonOpts & { etcd: { gw: EtcdGateway; keys: Keys }; session?: Session; queue?: boolean }): EtcdCoordinator {
  const c = common(o);
  const session = o.session ?? passiveSession;
  const lock = daemonLock(o.plan, { ...o.etcd, clock: c.ports.clock, metrics: c.ports.metrics, pid: c.ports.host.pid(), leaseId: () => session.lease().id, queue: o.queue ?? true });
  return { ...c, mode: "etcd", etcd: o.etcd, session, lock };
}

/** A node whose lock is a remote FleetLock server. */
export function remoteCoordinator(o: CommonOpts & { client: FleetLockClient; id: string; group: string }): RemoteCoordinator {
  return { ...common(o), mode: "fleetlock", remote: { id: o.id, group: o.group }, lock: remoteLock(o.client, o.id, o.group) };
}

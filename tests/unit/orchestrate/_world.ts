/**
 * A coordinator for lifecycle unit tests, built from fakes only: the FakeLock backend, a memory
 * file system, the fake clock, host, runner and metrics, a scripted health runner, detectors and
 * Kubernetes node. Its etcd gateway throws on any use, so a test passes only if every etcd access
 * of the lifecycle goes through the lock port.
 */
import type { Evaluation } from "../../../src/detect/index.ts";
import type { EtcdGateway } from "../../../src/etcd/index.ts";
import type { HealthPhase, HealthResult, HealthRunner, HealthRunVars } from "../../../src/health/index.ts";
import { memoryLogger, type Notifier } from "../../../src/observe/index.ts";
import { newMemory, noChecks, type Coordinator, type EtcdCoordinator, type KubeCap, type Plan, type RemoteCoordinator, type ServerCoordinator } from "../../../src/orchestrate/index.ts";
import type { DrainStep } from "../../../src/orchestrate/_kube.ts";
import { emptyClusterState, makeKeys, type ClusterState, type HealthRecord, type Session, type SlotEntry, type SlotRecord } from "../../../src/slots/index.ts";
import { FakeClock } from "../../fakes/clock.ts";
import { MemoryFs } from "../../fakes/fs.ts";
import { FakeHost } from "../../fakes/host.ts";
import { FakeLock } from "../../fakes/lock.ts";
import { RecordingMetrics } from "../../fakes/metrics.ts";
import { exited, FakeRunner } from "../../fakes/runner.ts";
import { testPlan } from "../../support/plan.ts";

export const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
export const iso = (ms: number) => new Date(ms).toISOString();

/** Any use of etcd outside the lock port fails the test. */
export const noEtcd = new Proxy({} as EtcdGateway, {
  get: (_t, p) => () => {
    throw new Error(`lifecycle unit test: etcd used directly (gw.${String(p)})`);
  },
});

/** A health runner answering `next` (per phase if scripted), recording every run. */
export class ScriptedHealth implements HealthRunner {
  readonly runs: { phase: HealthPhase; vars: HealthRunVars }[] = [];
  next: HealthResult["kind"] = "pass";
  byPhase = new Map<HealthPhase, HealthResult["kind"]>();
  private seq = 0;
  async run(phase: HealthPhase, vars: HealthRunVars): Promise<HealthResult> {
    this.runs.push({ phase, vars });
    const kind = this.byPhase.get(phase) ?? this.next;
    const base = { phase, seq: this.seq++, durationMs: 5, stdout: kind === "pass" ? "" : "disk full", stderr: "", truncated: false };
    if (kind === "pass") return { ...base, kind, exitCode: 0 };
    if (kind === "timeout") return { ...base, kind, timeoutMs: 2000 };
    if (kind === "error") return { ...base, kind, error: "cannot run" };
    return { ...base, kind: "blocked", exitCode: 1 };
  }
  get phases(): HealthPhase[] {
    return this.runs.map((r) => r.phase);
  }
}

/** A Kubernetes node: drains and restores as scripted, recording every call. */
export class FakeKube implements KubeCap {
  drains = false;
  node = "k-n1";
  drainResults: DrainStep[] = [{ kind: "drained", durationMs: 1500, evicted: 2, forced: 0 }];
  restoreResults: boolean[] = [true];
  readonly calls: string[] = [];
  async drain(): Promise<DrainStep> {
    this.calls.push("drain");
    return this.drainResults.length > 1 ? this.drainResults.shift()! : this.drainResults[0]!;
  }
  async restore(why: string): Promise<boolean> {
    this.calls.push(`restore: ${why}`);
    return this.restoreResults.length > 1 ? this.restoreResults.shift()! : this.restoreResults[0]!;
  }
  async annotate(state: string): Promise<void> {
    this.calls.push(`annotate: ${state}`);
  }
  async restoreLeftovers(): Promise<void> {
    this.calls.push("restoreLeftovers");
  }
}

export function evaluation(o: { required?: string[]; clear?: string[]; errors?: string[] } = {}): Evaluation {
  const results = [
    ...(o.required ?? []).map((name) => ({ name, type: "file" as const, durationMs: 1, kind: "required" as const })),
    ...(o.clear ?? []).map((name) => ({ name, type: "file" as const, durationMs: 1, kind: "clear" as const })),
    ...(o.errors ?? []).map((name) => ({ name, type: "command" as const, durationMs: 1, kind: "error" as const, error: "exit 127" })),
  ];
  return { requiresReboot: (o.required ?? []).length > 0, hasErrors: (o.errors ?? []).length > 0, aborted: false, results, durationMs: 3 };
}

export interface World {
  co: EtcdCoordinator;
  plan: Plan;
  clock: FakeClock;
  host: FakeHost;
  fs: MemoryFs;
  runner: FakeRunner;
  log: ReturnType<typeof memoryLogger>;
  metrics: RecordingMetrics;
  lock: FakeLock;
  health: ScriptedHealth;
  kube: FakeKube;
  /** What the detectors answer (before the slot, under it and after boot alike unless changed). */
  detectors: { next: Evaluation; calls: number };
  published: { healthy: boolean; phase: string }[];
  notified: string[];
}

/** An etcd daemon's coordinator over fakes; `plan` overrides testPlan's defaults. */
export function world(plan: Partial<Plan> = {}): World {
  const clock = new FakeClock(T0);
  const host = new FakeHost({ bootId: "boot-2" });
  host.stateDirValue = "/state";
  const fs = new MemoryFs();
  const runner = new FakeRunner(clock).on(["/sbin/reboot-sim"], exited(0));
  const log = memoryLogger();
  const metrics = new RecordingMetrics();
  const p = testPlan({ node: "n1", killSwitchFile: "/etc/kill", runtimeDir: "/run/crd", ...plan });
  const lock = new FakeLock({ node: p.node, group: p.group });
  lock.state = emptyClusterState(10, "cluster-a");
  const health = new ScriptedHealth();
  const kube = new FakeKube();
  const detectors = { next: evaluation({ required: ["reboot-required"] }), calls: 0 };
  const published: World["published"] = [];
  const notified: string[] = [];
  const session: Session = {
    lease: () => ({ id: "77", ttlSec: 5, requestedTtlSec: 5, lost: new Promise<string>(() => {}), isLost: () => false, revoke: async () => {}, release() {} }),
    ensureLease: async () => false,
    publishHealth: async (h) => (published.push({ healthy: h.healthy, phase: h.phase }), true),
    setStatus: () => {},
    close: async () => {},
  };
  const notifier: Notifier = { notify: (e) => void notified.push(e), idle: async () => {} };
  const co: EtcdCoordinator = {
    mode: "etcd",
    plan: p,
    ports: { clock, runner, host, fs, log, metrics },
    health,
    checks: noChecks,
    kube,
    env: {},
    detect: async () => (detectors.calls++, detectors.next),
    notifier,
    lock,
    memory: newMemory(),
    etcd: { gw: noEtcd, keys: makeKeys("/t") },
    session,
  };
  return { co, plan: p, clock, host, fs, runner, log, metrics, lock, health, kube, detectors, published, notified };
}

/** The same world as a FleetLock client node (no view, the server decides the budget). */
export function asFleetLockClient(w: World): RemoteCoordinator {
  w.lock.kind = "fleetlock";
  w.lock.state = undefined;
  w.lock.throughReboot = { issued: "the FleetLock server holds our lock through the reboot", failed: "the lock is released by steady-state once the node is healthy" };
  const { etcd: _e, session: _s, mode: _m, ...common } = w.co;
  return { ...common, mode: "fleetlock", remote: { id: w.plan.node, group: w.plan.group } };
}

/** The same world as the FleetLock server deciding for client `n1`. */
export function asServer(w: World, client: { address?: string } = {}): ServerCoordinator {
  const { session: _s, mode: _m, ...common } = w.co;
  return { ...common, mode: "server", client: { id: w.plan.node, ...client } };
}

export function slotRecord(over: Partial<SlotRecord> = {}): SlotRecord {
  return {
    node: "n1",
    group: "g",
    phase: "rebooting",
    holder: "daemon",
    pid: 4242,
    boot_id: "boot-1",
    acquired_at: iso(T0 - 600_000),
    phase_at: iso(T0 - 300_000),
    deadline: iso(T0 + 3_600_000),
    limit: 1,
    global_cap: null,
    machine_id: "0123456789abcdef0123456789abcdef",
    max_failed_reboots: 1,
    ...over,
  };
}

/** A slot entry of the view; `null`: its value does not parse. */
export function slotEntry(over: Partial<SlotRecord> | null = {}, node = "n1", group = "g"): SlotEntry {
  return { key: `/t/slots/${group}/${node}`, group, node, record: over === null ? undefined : slotRecord({ node, group, ...over }), createRevision: 5, modRevision: 6, lease: "0" };
}

export function healthRecord(node: string, healthy: boolean, over: Partial<HealthRecord> = {}): HealthRecord {
  return { node, group: "g", healthy, phase: "heartbeat", checked_at: iso(T0 - 500), boot_id: "b", pid: 1, seq: 1, ...over };
}

/** A view with these slots (and whatever `edit` adds). */
export function state(edit: (s: ClusterState) => void = () => {}, slots: SlotEntry[] = []): ClusterState {
  const s = emptyClusterState(10, "cluster-a");
  s.slots.push(...slots);
  edit(s);
  return s;
}

export type { Coordinator };

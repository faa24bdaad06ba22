/**
 * What one coordinator works with: the plan (config turned into numbers and specs once), the
 * ports, and its capabilities. The Coordinator is a union of its modes; every capability is
 * present in every mode (a no-op where the mode does not use it), so the one lifecycle in
 * pass.ts never asks "is there a kube / a notifier / a lock?" — only the lock backend and the
 * node capabilities differ. docs/ARCHITECTURE.md draws it.
 */
import type { PolicyConfig } from "../cluster/index.ts";
import type { DetectorSpec, Evaluation } from "../detect/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import type { HealthRunner } from "../health/index.ts";
import type { Logger, Metrics, Notifier } from "../observe/index.ts";
import type { Clock, Fs, Host, ProcessRunner } from "../platform/index.ts";
import type { Keys, Session } from "../slots/index.ts";
import type { WindowSet } from "../windows/index.ts";
import type { CheckPhase, ChecksReport } from "../checks/index.ts";
import type { KubeCap } from "./_kube.ts";
import type { LockBackend } from "./lock.ts";

export interface Plan {
  node: string;
  group: string;
  fallback: boolean;
  limit: number;
  globalCap: number | null;
  detectors: DetectorSpec[];
  policy: PolicyConfig;
  windows: WindowSet;
  killSwitchFile: string;
  rebootCommand: string[];
  dryRun: boolean;
  healthTimeoutMs: number;
  publishIntervalMs: number;
  checkIntervalMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  cooldownSec: number;
  lockTtlSec: number;
  slotTimeoutSec: number;
  rebootGraceMs: number;
  maxRebootsPerNode: number;
  /** Members down without a slot count against the budget (count_down_nodes; slots/down.ts). */
  countDownNodes: boolean;
  /** Failed reboots before the group freezes (max_failed_reboots; 0 = never; slots/failure.ts). */
  maxFailedReboots: number;
  /** How long a `run --timer` pass leaves its health record (timer_presence_sec). */
  timerPresenceSec: number;
  rebootLoopWindowMs: number;
  /** Notify `blocked` after needing a reboot but being blocked this long. */
  blockedThresholdMs: number;
  /** Notify `reboot_failed` (cause unhealthy_after_boot) once the post-boot checks have failed this long. */
  unhealthyAfterBootMs: number;
  /** Defer while interactive users are logged in, for at most maxDeferMs. */
  deferForUsers: boolean;
  maxDeferMs: number;
  /** Where the post-reboot marker goes (/run/clusterrebootd); absent = no marker. */
  runtimeDir?: string;
  /** RC_* variables shared by the health script and the reboot command. */
  baseEnv: Record<string, string>;
  /** This machine's id (records carry it; a slot of our name with another id is not ours). */
  machineId?: string;
  /** Its hardware id: a disk clone has our machine id but not this (slots/identity.ts). */
  hardwareId?: string;
}

/**
 * How the pass may act: `run` reboots; `once` is the diagnostic pass; `status` never writes;
 * `grant` is the FleetLock server deciding for a client (no command: the answer is the grant).
 */
export type PassMode = "run" | "once" | "status" | "grant";

export interface Ports {
  clock: Clock;
  runner: ProcessRunner;
  host: Host;
  fs: Fs;
  log: Logger;
  /** Prometheus metrics; noopMetrics where nothing is exported. */
  metrics: Metrics;
}

/**
 * What the daemon loop remembers between passes; single passes get a fresh one. Gates read it and
 * return a MemoryChange; runPass applies it with `remember`. The etcd identity is the exception:
 * _local-state.ts observeEtcd updates it as it reads (see there).
 */
export interface LoopMemory {
  /** When interactive users first deferred the current reboot. */
  deferredSince?: number;
  /** The last drain that did not finish, per node: no new cordon before the hold-off passes. */
  drainFailures: Map<string, DrainFailure>;
  /** etcd's identity as this process saw it (orchestrate/_local-state.ts observeEtcd). */
  etcd: EtcdMemory;
}

export interface DrainFailure {
  atMs: number;
  message: string;
}

/** etcd's identity: its cluster id, the highest revision seen, and the hold after a data loss. */
export interface EtcdMemory {
  clusterId?: string;
  maxRevision: number;
  persistedAtMs: number;
  hold?: EtcdHold;
  loaded: boolean;
}

export interface EtcdHold {
  reason: string;
  clusterId: string;
  atMs: number;
  untilMs: number;
}

export type MemoryChange =
  | { kind: "users-deferring"; since: number | undefined } // users gate: since when users defer the reboot (undefined: nobody logged in)
  | { kind: "drain-failed"; node: string; atMs: number; message: string } // drain gate: hold off the next drain
  | { kind: "drain-holdoff-over"; node: string; failure: DrainFailure } // drain hold-off gate: this failure no longer holds the drain off
  | { kind: "etcd-hold-lifted"; hold: EtcdHold }; // etcd reset gate: this hold was acknowledged, or the slot timeout passed

/**
 * Applies what a gate returned. A change judged on a record (a drain failure, an etcd hold) removes
 * only that record: one a concurrent pass put there since (FleetLock grants share the memory) stays.
 */
export function remember(m: LoopMemory, c: MemoryChange | undefined): void {
  switch (c?.kind) {
    case undefined:
      return;
    case "users-deferring":
      m.deferredSince = c.since;
      return;
    case "drain-failed":
      m.drainFailures.set(c.node, { atMs: c.atMs, message: c.message });
      return;
    case "drain-holdoff-over":
      if (m.drainFailures.get(c.node) === c.failure) m.drainFailures.delete(c.node);
      return;
    case "etcd-hold-lifted":
      if (m.etcd.hold === c.hold) delete m.etcd.hold;
      return;
  }
}

export interface Checks {
  count: number;
  run(phase: CheckPhase, signal?: AbortSignal): Promise<ChecksReport | undefined>;
}

export const noChecks: Checks = { count: 0, run: async () => undefined };

interface Common {
  plan: Plan;
  ports: Ports;
  /** The health script (a passing no-op where the mode runs none: the FleetLock server). */
  health: HealthRunner;
  /** Built-in checks beside the health script (none configured: an empty list). */
  checks: Checks;
  /** Cordon, drain, uncordon of the subject's Kubernetes node (no-op without `kubernetes:`). */
  kube: KubeCap;
  /** The process environment given to detectors and (with RC_*) to the reboot command. */
  env: Record<string, string>;
  /** Does this subject need a reboot? The detectors (a FleetLock client: it asked, so yes). */
  detect(signal?: AbortSignal): Promise<Evaluation>;
  /** A pending on-demand reboot request may go outside the maintenance windows (absent: never). */
  ignoreWindow?(): Promise<boolean>;
  notifier: Notifier;
  /** Where the slot comes from: etcd slots, a remote FleetLock server, or none (--skip-lock). */
  lock: LockBackend;
  memory: LoopMemory;
}

/** A daemon (or one-shot pass) on our etcd slots. `session` publishes health; status's is read-only. */
export interface EtcdCoordinator extends Common {
  mode: "etcd";
  etcd: { gw: EtcdGateway; keys: Keys };
  session: Session;
}

/** lock_backend: fleetlock — a remote FleetLock server decides pause, cooldown, budget and policy. */
export interface RemoteCoordinator extends Common {
  mode: "fleetlock";
  remote: { id: string; group: string };
}

/** status --skip-lock: no etcd, no server; the lifecycle stops before the slot. */
export interface LocalCoordinator extends Common {
  mode: "local";
}

/** The FleetLock server deciding one client's pre-reboot: the same gates, on the client's behalf. */
export interface ServerCoordinator extends Common {
  mode: "server";
  etcd: { gw: EtcdGateway; keys: Keys };
  /** The client's id; plan.node is the id too (slots are keyed by it). */
  client: { id: string; address?: string };
}

export type Coordinator = EtcdCoordinator | RemoteCoordinator | LocalCoordinator | ServerCoordinator;
export type CoordinatorMode = Coordinator["mode"];

export const newMemory = (): LoopMemory => ({ drainFailures: new Map(), etcd: { maxRevision: 0, persistedAtMs: 0, loaded: false } });

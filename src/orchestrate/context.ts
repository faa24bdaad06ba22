/**
 * What one coordinator process works with: the plan (config turned into numbers and specs once),
 * the ports, and — when etcd is in use — the gateway and this daemon's session.
 */
import type { PolicyConfig, Session } from "../cluster/index.ts";
import type { DetectorSpec } from "../detect/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import type { HealthRunner } from "../health/index.ts";
import type { Logger, Metrics, Notifier } from "../observe/index.ts";
import type { Clock, Fs, Host, ProcessRunner } from "../platform/index.ts";
import type { Keys } from "../slots/index.ts";
import type { WindowSet } from "../windows/index.ts";
import type { RemoteLock } from "./client-pass.ts";
import type { CheckDeps, CheckSpec } from "../checks/index.ts";
import type { KubeSetup } from "../kube/index.ts";

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
  rebootLoopWindowMs: number;
  /** Notify `blocked` after needing a reboot but being blocked this long. */
  blockedThresholdMs: number;
  /** Defer while interactive users are logged in, for at most maxDeferMs. */
  deferForUsers: boolean;
  maxDeferMs: number;
  /** Where the post-reboot marker goes (/run/clusterrebootd); absent = no marker. */
  runtimeDir?: string;
  /** RC_* variables shared by the health script and the reboot command. */
  baseEnv: Record<string, string>;
}

/** How the pass may act: `run` reboots; `once` is the diagnostic pass; `status` never writes. */
export type PassMode = "run" | "once" | "status";

export interface Ports {
  clock: Clock;
  runner: ProcessRunner;
  host: Host;
  fs: Fs;
  log: Logger;
  /** Prometheus metrics (run only); absent = not recorded. */
  metrics?: Metrics;
}

export interface Coordinator {
  plan: Plan;
  ports: Ports;
  health: HealthRunner;
  /** undefined only for `status --skip-lock` style passes that never touch etcd. */
  etcd?: { gw: EtcdGateway; keys: Keys };
  /** The daemon's presence (run / once); status has none and publishes nothing. */
  session?: Session;
  /** The process environment given to detectors and (with RC_*) to the reboot command. */
  env: Record<string, string>;
  notifier?: Notifier;
  /** kubernetes: cordon/drain under the slot, uncordon after post-boot checks. */
  kube?: KubeSetup;
  /** health_checks: built-in checks run beside the health script in every phase. */
  checks?: { specs: CheckSpec[]; deps: CheckDeps };
  /** lock_backend: fleetlock — a remote FleetLock server instead of etcd (then etcd is absent). */
  remote?: RemoteLock;
  /** What the loop remembers between passes (deferral start); absent for single passes. */
  memory?: LoopMemory;
}

export interface LoopMemory {
  /** When interactive users first deferred the current reboot. */
  deferredSince?: number;
}

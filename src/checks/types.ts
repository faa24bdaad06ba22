/**
 * Built-in health checks: the spec comes from `health_checks:` (config/_checks.ts), each run gives
 * a tagged result with a one-line message for status output and logs.
 */
import type { CheckPhase, HealthCheckConfig } from "../config/index.ts";
import type { KubeApi } from "../kube/index.ts";
import type { Clock, Fs } from "../platform/index.ts";

export type CheckSpec = HealthCheckConfig;
export type { CheckPhase };
export type SpecOf<T extends CheckSpec["type"]> = Extract<CheckSpec, { type: T }>;

/** What one check found. Only `pass` is healthy; everything else blocks (fail closed, like kured's blockers). */
export type Verdict =
  | { kind: "pass"; message: string } // healthy
  | { kind: "fail"; message: string } // the check ran and says no (endpoint down, alert firing, volume degraded)
  | { kind: "error"; message: string }; // could not tell (misconfiguration, query error, API unreachable)

export type CheckResult = { name: string; type: CheckSpec["type"]; durationMs: number } & (
  | Verdict
  | { kind: "timeout"; message: string; timeoutMs: number } // no answer within the check's timeout_sec
);

/** All checks of one phase: `pass` iff every result passed (no checks configured for the phase = pass). */
export interface ChecksReport {
  kind: "pass" | "blocked";
  phase: CheckPhase;
  results: CheckResult[];
  /** "all 3 checks passed" or the failing ones: "longhorn: volume pvc-1 is degraded; http:…: status 503". */
  message: string;
}

export interface CheckDeps {
  clock: Clock;
  /** Reads CA, certificate and key files named in checks. */
  fs: Fs;
  /** This node's Kubernetes name (kubernetes.node_name, else node_name). */
  node: string;
  /** Needed by kubernetes_nodes_ready, kubernetes_pods and longhorn; absent → those checks report an error. */
  kube?: KubeApi;
  /** How etcd_quorum talks to etcd. Overridable for tests; default: etcd3 clients. */
  etcdProbe?: EtcdProbeFactory;
}

// How etcd_quorum looks at etcd: the real probe is _etcd-probe.ts; tests pass their own.

export interface EtcdMemberInfo {
  /** Member id in decimal (uint64 as text). */
  id: string;
  name: string;
  clientUrls: string[];
  isLearner: boolean;
}

export type MemberHealth = { healthy: true; detail: string } | { healthy: false; detail: string };

export interface EtcdProbe {
  /** Our member's id (from the local endpoint's response header) and the full member list. Never throws. */
  members(): Promise<{ kind: "ok"; selfId: string; members: EtcdMemberInfo[] } | { kind: "error"; message: string }>;
  /** Status of one member at its client URLs: healthy = answers, sees a leader, no alarms. Never throws. */
  memberHealth(member: EtcdMemberInfo): Promise<MemberHealth>;
  close(): void;
}

/** Builds a probe, or says why it cannot (unreadable TLS files). */
export type EtcdProbeFactory = (spec: SpecOf<"etcd_quorum">, fs: Fs, deadlineMs: number) => Promise<EtcdProbe | { error: string }>;

/**
 * Built-in health checks: the spec comes from `health_checks:` (config/_checks.ts), each run gives
 * a tagged result with a one-line message for status output and logs.
 */
import type { CheckPhase, HealthCheckConfig } from "../config/index.ts";
import type { KubeApi } from "../kube/index.ts";
import type { Clock, Fs } from "../platform/index.ts";
import type { EtcdProbeFactory } from "./_etcd-probe.ts";

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

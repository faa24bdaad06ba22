/**
 * Request counters of the FleetLock server, by endpoint and outcome, and their Prometheus text.
 * Deliberately tiny and dependency-free: the daemon's metrics endpoint mounts `renderPrometheus`
 * next to its own series. Cardinality is bounded by construction: three endpoint values times
 * `ok` plus the fixed error kinds.
 */
import type { Endpoint, ErrorKind } from "./protocol.ts";

/** `other` counts requests to paths that are neither endpoint (404s, probes). */
export type MetricEndpoint = Endpoint | "other";
export type MetricOutcome = "ok" | ErrorKind;

export interface FleetLockMetrics {
  inc(endpoint: MetricEndpoint, outcome: MetricOutcome): void;
  /** Current counts keyed `endpoint\u0000outcome`; a copy, safe to keep. */
  snapshot(): Map<string, number>;
  /** The value of one counter (0 when never incremented). */
  get(endpoint: MetricEndpoint, outcome: MetricOutcome): number;
}

export const REQUESTS_METRIC = "clusterrebootd_fleetlock_requests_total";

export function createFleetLockMetrics(): FleetLockMetrics {
  const counts = new Map<string, number>();
  const key = (e: MetricEndpoint, o: MetricOutcome) => `${e}\u0000${o}`;
  return {
    inc(e, o) {
      const k = key(e, o);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    },
    snapshot: () => new Map(counts),
    get: (e, o) => counts.get(key(e, o)) ?? 0,
  };
}

/**
 * Prometheus text exposition (format 0.0.4) of the counters. Label values come from our fixed
 * vocabulary, never from clients, so no escaping beyond the format's is needed.
 */
export function renderPrometheus(metrics: FleetLockMetrics): string {
  const lines = [
    `# HELP ${REQUESTS_METRIC} FleetLock requests handled, by endpoint and outcome (ok or the error kind returned).`,
    `# TYPE ${REQUESTS_METRIC} counter`,
  ];
  const entries = [...metrics.snapshot()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, n] of entries) {
    const [endpoint, outcome] = k.split("\u0000");
    lines.push(`${REQUESTS_METRIC}{endpoint="${endpoint}",outcome="${outcome}"} ${n}`);
  }
  return lines.join("\n") + "\n";
}

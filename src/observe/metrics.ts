/**
 * The metrics the daemon exports. Names and labels of the Go daemon are kept
 * (docs/WEAKNESSES.md §Compatibility: metrics), each declared once with a fixed label set (W25);
 * ours are added beside them. `Metrics` is a small interface so the orchestrator does not depend
 * on prom-client; `noopMetrics` is the default.
 */
export interface Metrics {
  inc(name: CounterName, labels?: Record<string, string>, by?: number): void;
  observe(name: HistogramName, seconds: number, labels?: Record<string, string>): void;
  set(name: GaugeName, value: number, labels?: Record<string, string>): void;
  /** Drops every series of a labelled gauge (e.g. blocked{reason} before setting the current one). */
  reset(name: GaugeName): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  /** Adds another text source to /metrics (e.g. the FleetLock server's request counters). */
  addSource(render: () => string): void;
  contentType: string;
}

export const COUNTERS = {
  kill_switch_checks_total: ["stage", "result"],
  window_evaluations_total: ["result"],
  detector_evaluations_total: ["phase", "result"],
  health_checks_total: ["phase", "result"],
  cluster_health_checks_total: ["phase", "result"],
  cluster_health_updates_total: ["phase", "status", "result"],
  cooldown_checks_total: ["phase", "result"],
  cooldown_activations_total: ["result"],
  lock_attempts_total: ["result"],
  orchestration_outcomes_total: ["status"],
  // ours
  reboots_total: ["result"],
  reboot_blocked_total: ["reason"],
  stale_slots_freed_total: [],
  reboots_not_happened_total: [],
  pass_errors_total: [],
  identity_conflicts_total: [],
  etcd_resets_total: ["reason"],
  config_reloads_total: ["result"],
  notifications_total: ["event", "result"],
  failed_reboots_total: ["reason"],
  silences_total: ["action", "result"],
} as const;

export const HISTOGRAMS = {
  detector_evaluation_seconds: ["phase", "result"],
  health_check_seconds: ["phase", "result"],
  lock_acquire_seconds: ["result"],
  lock_release_seconds: ["result"],
  // ours
  slot_wait_seconds: [],
  drain_seconds: ["result"],
  reboot_to_healthy_seconds: [],
} as const;

export const GAUGES = {
  reboot_required: [],
  reboot_requests_pending: [],
  healthy: [],
  slot_held: [],
  slots_in_use: ["group"],
  blocked: ["reason"],
  paused: [],
  last_reboot_timestamp_seconds: [],
  last_pass_timestamp_seconds: [],
  etcd_up: [],
  etcd_reset_hold: [],
  group_unresolved: [],
  group_frozen: ["group"],
  down_nodes: ["group"],
  build_info: ["version", "commit"],
} as const;

export type CounterName = keyof typeof COUNTERS;
export type HistogramName = keyof typeof HISTOGRAMS;
export type GaugeName = keyof typeof GAUGES;
export const METRIC_PREFIX = "clusterrebootd_";

/** Every exported metric name, for tests that check the dashboard and alert rules. */
export const ALL_METRIC_NAMES: readonly string[] = [
  ...Object.keys(COUNTERS),
  ...Object.keys(HISTOGRAMS),
  ...Object.keys(GAUGES),
].map((n) => METRIC_PREFIX + n);

export const noopMetrics: Metrics = {
  inc() {},
  observe() {},
  set() {},
  reset() {},
  addSource() {},
  render: async () => "",
  contentType: "text/plain; version=0.0.4",
};

/** The prom-client implementation (loaded lazily: only `run` needs it). */
export async function createPromMetrics(): Promise<Metrics> {
  const prom = await import("prom-client");
  const registry = new prom.Registry();
  // The event-loop lag monitor samples every 10 ms by default: ~100 wake-ups/s and most of the
  // idle CPU (docs/BENCHMARKS.md). Once a second keeps the lag metrics meaningful.
  prom.collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 1000 });
  const counters = new Map<string, InstanceType<typeof prom.Counter>>();
  const histograms = new Map<string, InstanceType<typeof prom.Histogram>>();
  const gauges = new Map<string, InstanceType<typeof prom.Gauge>>();
  for (const [name, labels] of Object.entries(COUNTERS))
    counters.set(name, new prom.Counter({ name: METRIC_PREFIX + name, help: help(name), labelNames: [...labels], registers: [registry] }));
  // Go's exporter gave every histogram a constant unit="seconds"; dashboards filter on it.
  for (const [name, labels] of Object.entries(HISTOGRAMS))
    histograms.set(name, new prom.Histogram({ name: METRIC_PREFIX + name, help: help(name), labelNames: [...labels, "unit"], buckets: BUCKETS, registers: [registry] }));
  for (const [name, labels] of Object.entries(GAUGES))
    gauges.set(name, new prom.Gauge({ name: METRIC_PREFIX + name, help: help(name), labelNames: [...labels], registers: [registry] }));
  const sources: (() => string)[] = [];
  return {
    addSource: (r) => void sources.push(r),
    inc: (name, labels = {}, by = 1) => counters.get(name)!.inc(labels, by),
    observe: (name, seconds, labels = {}) => histograms.get(name)!.observe({ ...labels, unit: HISTOGRAM_UNIT }, seconds),
    set: (name, value, labels = {}) => gauges.get(name)!.set(labels, value),
    reset: (name) => gauges.get(name)!.reset(),
    render: async () => [await registry.metrics(), ...sources.map((s) => s())].join("\n"),
    contentType: registry.contentType,
  };
}

// --- internal ---

/** The constant `unit` label of every histogram (Go compatibility). */
export const HISTOGRAM_UNIT = "seconds";

/** Seconds: from a fast health check to a slow Pi reboot and a long drain. */
const BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

function help(name: string): string {
  return HELP[name] ?? name.replace(/_/g, " ");
}

const HELP: Record<string, string> = {
  reboot_required: "1 when the detectors say this node needs a reboot",
  reboot_requests_pending: "1 while an on-demand reboot request (request-reboot) for this node is pending",
  healthy: "1 while the last health check of this node (script and built-in checks) passed",
  slot_held: "1 while this node holds a reboot slot (any phase)",
  slots_in_use: "reboot slots held per group, as seen by this node",
  blocked: "1 for the reason this node is currently not rebooting although it needs to",
  paused: "1 while the cluster-wide pause key exists",
  group_unresolved: "1 while the node label named by group_from_node_label cannot be read (no slot is taken)",
  last_reboot_timestamp_seconds: "time of this node's last reboot command issued under a slot",
  reboots_total: "reboot commands run under a slot, by result (success, failed)",
  stale_slots_freed_total: "slots freed by their timeout because their node never came back",
  failed_reboots_total: "failed reboots this node recorded (never_returned, unhealthy_past_deadline, reboot_not_happened)",
  group_frozen: "1 while a group is frozen after a failed reboot (clusterrebootd resume --group G lifts it)",
  down_nodes: "members per group that are down without a slot (no live session or a stale health record), as seen by this node",
  reboot_to_healthy_seconds: "from the reboot command to the post-boot release of the slot",
  slot_wait_seconds: "from needing a reboot to holding a slot",
  silences_total: "Alertmanager silence requests for this node's reboots, by action (create, expire) and result (success, error)",
  notifications_total: "webhook notifications by event and result (success, error)",
};

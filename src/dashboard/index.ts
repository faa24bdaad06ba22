/**
 * Front door of the dashboard domain: `clusterrebootd dashboard`, a read-only live fleet page.
 * Bun.serve answers the page (one HTML document, inline CSS and JS), a server-sent-events stream
 * fed by an etcd prefix watch (debounced re-reads of the cluster state), the state as JSON,
 * /metrics and /healthz. Nothing in this domain writes to etcd.
 */
export { startDashboard, type DashboardOptions, type RunningDashboard } from "./server.ts";
export { buildView, type FleetView, type GroupView, type NodeView, type NodePhase, type NodeHealth, type PhaseSpan, type ViewOptions } from "./view.ts";
export { createPhaseTracker, type PhaseTracker } from "./timeline.ts";
export { resolveSettings, viewOptionsFromConfig, type DashboardFlags, type DashboardSettings, type SettingsResult } from "./options.ts";

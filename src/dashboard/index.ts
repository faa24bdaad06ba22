/**
 * Front door of the dashboard domain: `clusterrebootd dashboard`, a read-only live fleet page.
 * Bun.serve answers the page (one HTML document, inline CSS and JS), a server-sent-events stream
 * fed by an etcd prefix watch (debounced re-reads of the cluster state), the state as JSON,
 * /metrics and /healthz. Nothing in this domain writes to etcd.
 */
export { startDashboard, type DashboardOptions, type RunningDashboard } from "./_server.ts";
export { buildView, type FleetView, type GroupView, type NodeView, type NodePhase, type NodeHealth, type ViewOptions } from "./_view.ts";
export { createPhaseTracker, type PhaseSpan, type PhaseTracker } from "./_timeline.ts";
export { resolveSettings, viewOptionsFromConfig, type DashboardFlags, type DashboardSettings, type SettingsResult } from "./_options.ts";
export { renderDashboardMetrics, type DashboardMetrics } from "./_metrics.ts";
export { createFeed, type Feed, type FeedOptions } from "./_feed.ts";

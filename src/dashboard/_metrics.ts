/**
 * The dashboard's own metrics, served at /metrics on its port: open live streams, state events
 * pushed, and etcd reads by result. Dependency-free Prometheus text (the command runs in its own
 * process and needs none of the daemon's series); label values are our fixed vocabulary.
 */
export interface DashboardMetrics {
  clients: number;
  /** State events pushed: one per change, counted once however many clients receive it. */
  events: number;
  reads: { ok: number; error: number };
  /** Streams cut because the client did not read (its queue passed the bound). */
  dropped: number;
}

export const createDashboardMetrics = (): DashboardMetrics => ({ clients: 0, events: 0, reads: { ok: 0, error: 0 }, dropped: 0 });

export function renderDashboardMetrics(m: DashboardMetrics): string {
  const p = "clusterrebootd_dashboard_";
  return [
    `# HELP ${p}clients Open live (server-sent events) streams of the dashboard page.`,
    `# TYPE ${p}clients gauge`,
    `${p}clients ${m.clients}`,
    `# HELP ${p}events_total Fleet state events pushed to the page (one per change seen in etcd).`,
    `# TYPE ${p}events_total counter`,
    `${p}events_total ${m.events}`,
    `# HELP ${p}etcd_reads_total Reads of the cluster state after etcd changes, by result.`,
    `# TYPE ${p}etcd_reads_total counter`,
    `${p}etcd_reads_total{result="ok"} ${m.reads.ok}`,
    `${p}etcd_reads_total{result="error"} ${m.reads.error}`,
    `# HELP ${p}slow_clients_dropped_total Live streams cut because the client did not read what was sent (it reconnects and gets the current state).`,
    `# TYPE ${p}slow_clients_dropped_total counter`,
    `${p}slow_clients_dropped_total ${m.dropped}`,
    "",
  ].join("\n");
}

/**
 * The HTTP listener of `run`: Prometheus text at /metrics, liveness at /healthz, 404 elsewhere
 * (W18: the Go daemon answered metrics on every path). Default 127.0.0.1:9090.
 */
import type { Metrics } from "./metrics.ts";

export interface MetricsServer {
  /** host:port actually bound (port resolved when 0), exported as RC_METRICS_ENDPOINT. */
  address: string;
  stop(): Promise<void>;
}

/** `live()` false → /healthz answers 503 (the loop has not completed a pass for too long). */
export function serveMetrics(listen: string, metrics: Metrics, live: () => { ok: boolean; detail: string }): MetricsServer {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[|\]$/g, "") || "0.0.0.0";
  const port = Number(listen.slice(i + 1));
  const server = Bun.serve({
    hostname: host,
    port,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405 });
      if (url.pathname === "/metrics") return new Response(await metrics.render(), { headers: { "content-type": metrics.contentType } });
      if (url.pathname === "/healthz") {
        const l = live();
        return new Response(`${l.ok ? "ok" : "stalled"}: ${l.detail}\n`, { status: l.ok ? 200 : 503 });
      }
      return new Response("not found: try /metrics or /healthz\n", { status: 404 });
    },
  });
  const h = host.includes(":") ? `[${host}]` : host;
  return { address: `${h}:${server.port}`, stop: () => server.stop(true) };
}

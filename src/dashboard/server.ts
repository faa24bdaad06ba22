/**
 * The dashboard's HTTP server (Bun.serve): the page, its event stream, the state as JSON,
 * /metrics and /healthz. Read-only by construction: only GET and HEAD are answered, and nothing
 * here writes to etcd. Basic auth (when set) guards every path but /healthz.
 */
import { authorized, challenge, type BasicAuth } from "./_auth.ts";
import { createFeed, type Feed } from "./_feed.ts";
import { createDashboardMetrics, renderDashboardMetrics, type DashboardMetrics } from "./_metrics.ts";
import { pageHtml, pageSecurityHeaders } from "./_page.ts";
import { createHub } from "./_sse.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import type { Keys } from "../slots/index.ts";
import type { ViewOptions } from "./view.ts";

export interface DashboardOptions {
  gw: EtcdGateway;
  keys: Keys;
  view: ViewOptions;
  /** `host:port` (already validated); port 0 = any free port. */
  listen: string;
  /** PEM contents, not paths (the caller reads the files and reports their errors). */
  tls?: { cert: string; key: string };
  basicAuth?: BasicAuth;
  maxClients: number;
  heartbeatMs: number;
  minRefreshMs: number;
  onReadError?(message: string): void;
  /** The Clock port's now: the page's times and its refresh timing. */
  now: () => number;
}

export interface RunningDashboard {
  /** The page's URL (ends with `/`). */
  url: string;
  port: number;
  metrics: DashboardMetrics;
  feed: Feed;
  stop(): Promise<void>;
}

/** Starts the feed (throws when etcd cannot be read at all) and then listens. */
export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const metrics = createDashboardMetrics();
  // eslint-disable-next-line prefer-const -- the hub's heartbeat needs the feed, the feed the hub
  let feed: Feed;
  const hub = createHub({ maxClients: o.maxClients, heartbeatMs: o.heartbeatMs, metrics, onHeartbeat: () => feed.refreshIfOlder(o.heartbeatMs) });
  feed = createFeed({
    gw: o.gw,
    keys: o.keys,
    view: o.view,
    minRefreshMs: o.minRefreshMs,
    metrics,
    onView: (_v, json) => hub.broadcast(json),
    ...(o.onReadError ? { onReadError: o.onReadError } : {}),
    now: o.now,
  });
  await feed.start();
  const { hostname, port } = splitListen(o.listen);
  const security = pageSecurityHeaders();
  const server = Bun.serve({
    hostname,
    port,
    development: false,
    // Bun closes connections idle this long; heartbeats come well before (heartbeat ≤ 120 s).
    idleTimeout: Math.min(255, Math.ceil((o.heartbeatMs * 2) / 1000) + 5),
    ...(o.tls ? { tls: { cert: o.tls.cert, key: o.tls.key } } : {}),
    fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "GET" && req.method !== "HEAD")
        return new Response("read-only: only GET and HEAD\n", { status: 405, headers: { allow: "GET, HEAD" } });
      if (url.pathname === "/healthz") {
        const v = feed.current()?.view;
        const ok = v?.etcd.ok === true;
        return new Response(ok ? "ok\n" : `etcd unreadable: ${v?.etcd.error ?? "no state yet"}\n`, { status: ok ? 200 : 503 });
      }
      if (o.basicAuth && !authorized(o.basicAuth, req.headers.get("authorization"))) return challenge();
      switch (url.pathname) {
        case "/":
          return new Response(pageHtml(feed.current()?.json), { headers: { ...security, "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
        case "/events":
          // HEAD: the headers only, no stream to keep open.
          if (req.method === "HEAD") return new Response(null, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
          return hub.connect(req, feed.current()?.json);
        case "/state.json":
          return new Response(feed.current()?.json ?? "null", { headers: { "content-type": "application/json", "cache-control": "no-store" } });
        case "/metrics":
          return new Response(renderDashboardMetrics(metrics), { headers: { "content-type": "text/plain; version=0.0.4" } });
        default:
          return new Response("not found: the page is at /\n", { status: 404 });
      }
    },
    error: () => new Response("internal error\n", { status: 500 }),
  });
  const actualPort = server.port ?? port;
  const shownHost = hostname.includes(":") ? `[${hostname}]` : hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  return {
    url: `${o.tls ? "https" : "http"}://${shownHost}:${actualPort}/`,
    port: actualPort,
    metrics,
    feed,
    async stop() {
      hub.close();
      await feed.stop();
      await server.stop(true);
    },
  };
}

/** `host:port` → Bun's hostname/port; an empty host means every interface. */
function splitListen(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[|\]$/g, "");
  return { hostname: host === "" ? "0.0.0.0" : host, port: Number(listen.slice(i + 1)) };
}

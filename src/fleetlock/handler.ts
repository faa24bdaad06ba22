/**
 * The HTTP side of the FleetLock server: routing, the guard header, the bounded body, parsing, and
 * mapping backend outcomes onto status codes and `{kind, value}` bodies. A plain
 * `(Request) => Promise<Response>` so it is tested without a socket and fuzzed with random input.
 *
 * It never throws: anything unexpected becomes 500 `internal_error` (logged), an etcd failure
 * 503 `etcd_unavailable`. The checks run in the order path → method → header → body, so a
 * request is told about the first thing that is wrong with it.
 */
import { EtcdError } from "../etcd/index.ts";
import { silentLogger, type Logger } from "../observe/index.ts";
import { readBodyCapped } from "./_body.ts";
import { createFleetLockMetrics, renderPrometheus, type FleetLockMetrics, type MetricEndpoint } from "./metrics.ts";
import { timingSafeEqual } from "node:crypto";
import {
  fleetError,
  parseClientParams,
  PATHS,
  PROTOCOL_HEADER,
  STATUS,
  type Endpoint,
  type FleetLockBackend,
  type FleetLockError,
  type LockOutcome,
} from "./protocol.ts";

/** The spec's clients send ~100 bytes; a few KiB leave room for pretty-printing and extra fields. */
export const DEFAULT_MAX_BODY_BYTES = 4096;

export interface HandlerOptions {
  backend: FleetLockBackend;
  maxBodyBytes?: number;
  /** Overridable so a daemon can share one counter map between listeners. */
  metrics?: FleetLockMetrics;
  log?: Logger;
  /** Also answer `GET /metrics` (Prometheus text) on this listener; for `fleetlock serve`. */
  serveMetrics?: boolean;
  /** fleetlock.url_secret: the lock endpoints live only under `/<secret>/`. */
  urlSecret?: string | null;
}

/** `address` is the client's source address (the listener passes it; a lock is bound to it). */
export type FleetLockHandler = ((req: Request, address?: string) => Promise<Response>) & { metrics: FleetLockMetrics };

export function createFleetLockHandler(o: HandlerOptions): FleetLockHandler {
  const metrics = o.metrics ?? createFleetLockMetrics();
  const log = o.log ?? silentLogger;
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const secret = o.urlSecret ? `/${o.urlSecret}/` : undefined;
  const handle = async (req: Request, address?: string): Promise<Response> => {
    let endpoint: MetricEndpoint = "other";
    const fail = (e: FleetLockError, headers?: Record<string, string>) => {
      metrics.inc(endpoint, e.kind);
      return errorResponse(e, headers);
    };
    try {
      const full = pathOf(req.url);
      // Without the secret prefix a lock endpoint does not exist (404, like any unknown path).
      const path = secret && routeOf(full) && !hasSecret(full, secret) ? "/" : full;
      const ep = routeOf(path);
      if (ep === undefined) {
        if (req.method === "GET" && path === "/-/healthy") return text(200, "ok\n");
        if (req.method === "GET" && path === "/metrics" && o.serveMetrics)
          return new Response(renderPrometheus(metrics), { headers: { "content-type": "text/plain; version=0.0.4" } });
        return fail(fleetError("not_found", `no such endpoint; FleetLock serves POST ${PATHS.pre_reboot} and POST ${PATHS.steady_state}`));
      }
      endpoint = ep;
      if (req.method !== "POST") return fail(fleetError("method_not_allowed", `${PATHS[ep]} accepts POST only`), { allow: "POST" });
      if (req.headers.get(PROTOCOL_HEADER)?.trim() !== "true")
        return fail(fleetError("missing_header", `header "${PROTOCOL_HEADER}: true" is required`));
      const body = await readBodyCapped(req, maxBody);
      if (body.kind === "too_large") return fail(fleetError("payload_too_large", `request body exceeds ${body.limit} bytes`));
      if (body.kind === "invalid") return fail(fleetError("invalid_body", body.message));
      const parsed = parseClientParams(body.text);
      if (parsed.kind === "error") return fail(parsed.error);
      const params = address ? { ...parsed.params, address } : parsed.params;
      const res = ep === "pre_reboot" ? await o.backend.preReboot(params) : await o.backend.steadyState(params);
      if (res.kind === "refused") return fail(res.error);
      metrics.inc(endpoint, "ok");
      return text(200, successText(res, parsed.params.id));
    } catch (err) {
      if (err instanceof EtcdError && (err.kind === "unavailable" || err.kind === "closed"))
        return fail(fleetError("etcd_unavailable", `etcd unavailable, retry later: ${err.message}`), { "retry-after": "5" });
      log.event("error", "fleetlock_internal_error", { endpoint, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      return fail(fleetError("internal_error", "internal error; see the server log"));
    }
  };
  return Object.assign(handle, { metrics });
}

// --- internal ---

/** The path starts with the secret segment (compared in constant time). */
function hasSecret(path: string, secret: string): boolean {
  const head = Buffer.from(path.slice(0, secret.length));
  const want = Buffer.from(secret);
  return head.length === want.length && timingSafeEqual(head, want);
}

function routeOf(path: string): Endpoint | undefined {
  // A suffix match, so a reverse proxy that keeps its path prefix (base_url
  // `https://host/fleet_lock/`) needs no rewriting.
  if (path.endsWith(PATHS.pre_reboot)) return "pre_reboot";
  if (path.endsWith(PATHS.steady_state)) return "steady_state";
  return undefined;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function errorResponse(e: FleetLockError, headers: Record<string, string> = {}): Response {
  return Response.json({ kind: e.kind, value: e.value }, { status: STATUS[e.kind], headers });
}

const text = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

function successText(res: Exclude<LockOutcome, { kind: "refused" }>, id: string): string {
  if (res.kind === "unlocked") return res.released ? `released: ${id} no longer holds a reboot slot\n` : `ok: ${id} holds no reboot slot\n`;
  const until = res.deadline ? ` until ${res.deadline} at the latest` : "";
  return `${res.recursive ? "already locked" : "locked"}: ${id} holds ${res.slotKey}${until}\n`;
}

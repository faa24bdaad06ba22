/**
 * The listener: `Bun.serve` around the handler, optionally with TLS. Separate from the handler so
 * the protocol is tested without sockets and the socket part stays this small.
 */
import type { FleetLockHandler } from "./handler.ts";
import { fleetError, STATUS } from "./protocol.ts";

/**
 * Bun's own body limit. Ours (max_body_bytes, at most 64 KiB) is enforced by the handler with a
 * JSON error; Bun's answers a bare 413, so it only catches bodies far beyond ours.
 */
export const BODY_BACKSTOP_BYTES = 1024 * 1024;

/**
 * Bun closes a connection idle this long. Short enough that idle or trickling clients cannot hold
 * sockets for long, long enough for a server-side etcd call (etcd_request_timeout_sec ≤ 5 s
 * typically, a handful per request). Bun counts it per connection, not per request.
 */
export const IDLE_TIMEOUT_SEC = 30;

export interface ServeOptions {
  /** `host:port` as in config (`127.0.0.1:8080`, `[::1]:8080`, `:8080` = all interfaces); port 0 = any free port. */
  listen: string;
  handler: FleetLockHandler;
  /** PEM contents (not paths): the caller reads the files so file errors are reported there. */
  tls?: { cert: string; key: string };
}

export interface RunningServer {
  /** Base URL clients use (ends with `/`, as Zincati's base_url must). */
  url: string;
  port: number;
  /** Stops accepting; `force` also cuts connections with requests in flight. */
  stop(force?: boolean): Promise<void>;
}

/** Starts listening. Throws when the address cannot be bound (an environment failure). */
export function startFleetLockServer(o: ServeOptions): RunningServer {
  const { hostname, port } = parseListen(o.listen);
  const server = Bun.serve({
    hostname,
    port,
    maxRequestBodySize: BODY_BACKSTOP_BYTES,
    idleTimeout: IDLE_TIMEOUT_SEC,
    development: false,
    ...(o.tls ? { tls: { cert: o.tls.cert, key: o.tls.key } } : {}),
    fetch: (req, srv) => o.handler(req, srv.requestIP(req)?.address),
    // The handler never throws; this is for Bun-level failures before or around it.
    error: () => Response.json(fleetError("internal_error", "internal error"), { status: STATUS.internal_error }),
  });
  const shownHost = hostname.includes(":") ? `[${hostname}]` : hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  const actualPort = server.port ?? port;
  return {
    url: `${o.tls ? "https" : "http"}://${shownHost}:${actualPort}/`,
    port: actualPort,
    stop: async (force = false) => {
      await server.stop(force);
    },
  };
}

/** `host:port` → Bun's hostname/port; an empty host means every interface. */
export function parseListen(listen: string): { hostname: string; port: number } {
  const m = /^(\[[^\]]*\]|[^:[\]\s]*):(\d{1,5})$/.exec(listen.trim());
  if (!m) throw new Error(`bug: listen address ${JSON.stringify(listen)} passed validation but does not parse`);
  const host = m[1] ?? "";
  return { hostname: host === "" ? "0.0.0.0" : host.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

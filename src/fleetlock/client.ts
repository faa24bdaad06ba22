/**
 * A FleetLock client, for the daemon's future "lock backend = a remote FleetLock server" mode. It
 * speaks the protocol as Zincati does (same URLs, header and body) and turns every way a call can
 * end into a tagged result, so the caller decides about retries; nothing here retries or throws.
 *
 * Differences from Zincati, on purpose: a base URL without a trailing `/` gets one (Zincati's
 * `Url::join` would silently drop its last path segment), the default timeout is 30 s instead of
 * 30 min (the daemon has its own loop and backoff), and response bodies are read with a cap.
 */
import { checkBaseUrl } from "../config/index.ts";
import { readBodyCapped } from "./_body.ts";
import { PATHS, PROTOCOL_HEADER, type Endpoint } from "./protocol.ts";

export { checkBaseUrl };
export const DEFAULT_CLIENT_TIMEOUT_MS = 30_000;
/** Error bodies are `{kind, value}`; anything this large is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export type FleetLockCallResult =
  | { kind: "ok"; status: number } // 2xx: locked (pre-reboot) or not held any more (steady-state)
  | { kind: "refused"; status: number; error: { kind: string; value: string } } // the server's protocol error (kind may be any server's vocabulary)
  | { kind: "http_error"; status: number; error: { kind: string; value: string } } // a non-protocol error body: kind `generic_http_<status>` as Zincati names it
  | { kind: "timeout"; timeoutMs: number } // no complete answer within timeoutMs
  | { kind: "network_error"; message: string } // connection refused, reset, DNS, TLS
  | { kind: "aborted" }; // the caller's signal

export interface FleetLockClientOptions {
  /** Deployment base URL, e.g. `https://fleetlock.example.internal:8080/` (a path prefix is kept). */
  baseUrl: string;
  timeoutMs?: number;
  /** Extra CA (PEM) to trust for an https server with a private CA. */
  ca?: string;
  /** Overridable for tests. */
  fetch?: typeof fetch;
}

export interface FleetLockClient {
  /** RecursiveLock: ok means this id holds a reboot slot now. */
  preReboot(id: string, group: string, signal?: AbortSignal): Promise<FleetLockCallResult>;
  /** UnlockIfHeld: ok means this id holds no slot now. */
  steadyState(id: string, group: string, signal?: AbortSignal): Promise<FleetLockCallResult>;
}

/** Throws for an invalid base URL: callers validate configuration first (checkBaseUrl). */
export function createFleetLockClient(o: FleetLockClientOptions): FleetLockClient {
  const problem = checkBaseUrl(o.baseUrl);
  if (problem) throw new Error(`FleetLock base URL ${problem}`);
  const base = new URL(o.baseUrl.endsWith("/") ? o.baseUrl : `${o.baseUrl}/`);
  const timeoutMs = o.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const doFetch = o.fetch ?? fetch;
  const call = (ep: Endpoint) => (id: string, group: string, signal?: AbortSignal) =>
    callEndpoint(doFetch, new URL(PATHS[ep].slice(1), base), { id, group }, { timeoutMs, ...(o.ca ? { ca: o.ca } : {}), ...(signal ? { signal } : {}) });
  return { preReboot: call("pre_reboot"), steadyState: call("steady_state") };
}

// --- internal ---

async function callEndpoint(
  doFetch: typeof fetch,
  url: URL,
  params: { id: string; group: string },
  o: { timeoutMs: number; ca?: string; signal?: AbortSignal },
): Promise<FleetLockCallResult> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout.signal, o.signal]) : timeout.signal;
  const ended = (err: unknown): FleetLockCallResult => {
    if (timeout.signal.aborted) return { kind: "timeout", timeoutMs: o.timeoutMs };
    if (o.signal?.aborted) return { kind: "aborted" };
    return { kind: "network_error", message: err instanceof Error ? err.message : String(err) };
  };
  try {
    const res = await doFetch(url, {
      method: "POST",
      headers: { [PROTOCOL_HEADER]: "true", "content-type": "application/json" },
      body: JSON.stringify({ client_params: params }, null, 2),
      signal,
      redirect: "manual", // the header guards against redirection; never follow one
      ...(o.ca ? { tls: { ca: o.ca } } : {}),
    });
    const body = await readBodyCapped(res, MAX_RESPONSE_BYTES);
    // A body cut short by our timeout or abort reads as "invalid": report why it was cut.
    if (signal.aborted) return ended(undefined);
    if (res.status >= 200 && res.status < 300) return { kind: "ok", status: res.status };
    const error = body.kind === "ok" ? protocolError(body.text) : undefined;
    return error
      ? { kind: "refused", status: res.status, error }
      : { kind: "http_error", status: res.status, error: { kind: `generic_http_${res.status}`, value: `HTTP ${res.status} without a FleetLock error body` } };
  } catch (err) {
    return ended(err);
  } finally {
    clearTimeout(timer);
  }
}

function protocolError(text: string): { kind: string; value: string } | undefined {
  try {
    const d: unknown = JSON.parse(text);
    if (typeof d !== "object" || d === null) return undefined;
    const { kind, value } = d as Record<string, unknown>;
    return typeof kind === "string" && kind !== "" && typeof value === "string" && value !== "" ? { kind, value } : undefined;
  } catch {
    return undefined;
  }
}

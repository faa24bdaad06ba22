/**
 * Parsing of the address-like config values: etcd key prefixes, etcd endpoints, the metrics
 * listen address. Each returns a tagged result so the schema can report a precise message.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const SEGMENT_RE = /^[A-Za-z0-9._-]+$/;

/**
 * Normalize an etcd key path such as `etcd_namespace` or `lock_key` to `/a/b`: one leading
 * slash, no trailing slash, non-empty segments of [A-Za-z0-9._-], no "." or ".." segments.
 * Why so strict: every key we write lives under this prefix, and one etcd role should cover it
 * (W15); odd characters or empty segments make prefix reads and RBAC ranges ambiguous.
 */
export function normalizeKeyPath(raw: string): Parsed<string> {
  const trimmed = raw.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return { ok: false, error: `must name at least one path segment, got ${JSON.stringify(raw)}` };
  const segments = trimmed.split("/");
  for (const seg of segments) {
    if (seg === "") return { ok: false, error: `must not contain empty segments ("//"), got ${JSON.stringify(raw)}` };
    if (seg === "." || seg === "..") {
      return { ok: false, error: `must not contain "." or ".." segments, got ${JSON.stringify(raw)}` };
    }
    if (!SEGMENT_RE.test(seg)) {
      return {
        ok: false,
        error: `segments may only use A-Z a-z 0-9 . _ -, got ${JSON.stringify(raw)}`,
      };
    }
  }
  return { ok: true, value: `/${segments.join("/")}` };
}

/** One parsed etcd endpoint: as written, and `scheme` null when written as plain `host:port`. */
export interface Endpoint {
  text: string;
  scheme: "http" | "https" | null;
  host: string;
  port: number;
}

const ENDPOINT_RE = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?(\[[^\]]*\]|[^:/[\]\s]*)(?::([^/]*))?\/?$/;
const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;

/** Parse `http(s)://host:port` or `host:port`. */
export function parseEndpoint(raw: string): Parsed<Endpoint> {
  const fail = (why: string): Parsed<Endpoint> => ({
    ok: false,
    error: `${why}: expected http://host:port, https://host:port or host:port, got ${JSON.stringify(raw)}`,
  });
  const m = ENDPOINT_RE.exec(raw.trim());
  if (m === null) return fail("not an endpoint");
  const [, schemeRaw, host = "", portRaw] = m;
  const scheme = schemeRaw?.toLowerCase() ?? null;
  if (scheme !== null && scheme !== "http" && scheme !== "https") return fail(`unsupported scheme "${schemeRaw}"`);
  if (host === "") return fail("missing host");
  if (!IPV6_RE.test(host) && !HOSTNAME_RE.test(host)) return fail(`invalid host "${host}"`);
  if (portRaw === undefined || portRaw === "") return fail("missing port");
  const port = parsePort(portRaw);
  if (port === null || port === 0) return fail(`invalid port "${portRaw}" (1–65535)`);
  return { ok: true, value: { text: raw, scheme, host, port } };
}

/** The URL form the etcd client needs: scheme always present (https when TLS is on). */
export function endpointUrl(e: Endpoint, tls: boolean): string {
  return `${e.scheme ?? (tls ? "https" : "http")}://${e.host}:${e.port}`;
}

/** Check a `host:port` listen address; host may be empty (all interfaces), port 0–65535. */
export function checkListen(raw: string): string | null {
  const m = /^(\[[^\]]*\]|[^:[\]\s]*):([^:]*)$/.exec(raw);
  const bad = `expected host:port with port 0–65535 (e.g. 127.0.0.1:9090), got ${JSON.stringify(raw)}`;
  if (m === null) return bad;
  const [, host = "", portRaw = ""] = m;
  if (host !== "" && !IPV6_RE.test(host) && !HOSTNAME_RE.test(host)) return bad;
  return parsePort(portRaw) === null ? bad : null;
}

// --- internal ---

function parsePort(s: string): number | null {
  if (!/^\d{1,5}$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

/** A DNS name for TLS verification (`etcd_tls.server_name`), or the problem. */
export function checkHostname(raw: string): string | null {
  return HOSTNAME_RE.test(raw) ? null : `expected a DNS name such as etcd.example.internal, got ${JSON.stringify(raw)}`;
}

/** An http:// or https:// URL (the checks, Alertmanager): as written, and parsed. */
export function parseHttpUrl(raw: string): Parsed<{ text: string; url: URL }> {
  const bad = { ok: false, error: `must be an http:// or https:// URL, got ${JSON.stringify(raw)}` } as const;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? { ok: true, value: { text: raw, url } } : bad;
  } catch {
    return bad;
  }
}

/** The problem with a base URL, or null; for config validation (FleetLock server URLs). */
export function checkBaseUrl(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `expected an http:// or https:// URL, got ${JSON.stringify(raw)}`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `expected an http:// or https:// URL, got ${JSON.stringify(raw)}`;
  if (u.search || u.hash) return `must not carry a query or fragment, got ${JSON.stringify(raw)}`;
  return null;
}


/**
 * `http`: a /health endpoint answers with an expected status (and body), like the HolmOS
 * services' /health and /ready. `prometheus`: a PromQL query meets a threshold, or no alert is
 * firing (kured's alert blocker, HolmOS's error-rate triggers).
 */
import { describeFsError, type Fs } from "../platform/index.ts";
import type { CheckDeps, SpecOf, Verdict } from "./types.ts";

/** Bodies are matched and quoted up to this size: a health endpoint that streams forever must not eat memory. */
const MAX_BODY_BYTES = 64 * 1024;
/** How many failing series or alerts a message names before "and N more". */
const MAX_LISTED = 5;

type TlsSpec = { ca_file: string | null; insecure_skip_verify: boolean };

/** GET with the check's TLS settings; a CA file that cannot be read is an error, not a pass. */
async function get(url: string, spec: TlsSpec, fs: Fs, signal: AbortSignal): Promise<{ ok: true; res: Response; body: string } | { ok: false; message: string; config: boolean }> {
  let ca: string | undefined;
  if (spec.ca_file !== null) {
    try {
      ca = await fs.readText(spec.ca_file);
    } catch (e) {
      return { ok: false, config: true, message: `cannot read ca_file ${spec.ca_file}: ${describeFsError(e)}` };
    }
  }
  try {
    const res = await fetch(url, {
      signal,
      headers: { Accept: "application/json, text/plain, */*", "User-Agent": "clusterrebootd" },
      tls: { ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: !spec.insecure_skip_verify },
    });
    return { ok: true, res, body: await readCapped(res) };
  } catch (e) {
    return { ok: false, config: false, message: `GET ${url}: ${signal.aborted ? "aborted" : e instanceof Error ? e.message : String(e)}` };
  }
}

export async function httpCheck(spec: SpecOf<"http">, deps: CheckDeps, signal: AbortSignal): Promise<Verdict> {
  const r = await get(spec.url, spec, deps.fs, signal);
  // An endpoint that does not answer is unhealthy; a config we cannot use is an error.
  if (!r.ok) return { kind: r.config ? "error" : "fail", message: r.message };
  if (!spec.expect_status.includes(r.res.status)) {
    return { kind: "fail", message: `GET ${spec.url}: status ${r.res.status}, expected ${spec.expect_status.join(" or ")}${snippet(r.body)}` };
  }
  if (spec.body_regex !== null && !new RegExp(spec.body_regex).test(r.body)) {
    return { kind: "fail", message: `GET ${spec.url}: body does not match /${spec.body_regex}/${snippet(r.body)}` };
  }
  return { kind: "pass", message: `GET ${spec.url}: status ${r.res.status}` };
}

export async function prometheusCheck(spec: SpecOf<"prometheus">, deps: CheckDeps, signal: AbortSignal): Promise<Verdict> {
  const base = spec.url.replace(/\/+$/, "");
  const url = spec.mode === "query" ? `${base}/api/v1/query?${new URLSearchParams({ query: spec.query })}` : `${base}/api/v1/alerts`;
  const r = await get(url, spec, deps.fs, signal);
  // kured: a Prometheus we cannot ask counts as blocked (fail closed).
  if (!r.ok) return { kind: "error", message: r.message };
  let json: PromResponse;
  try {
    json = JSON.parse(r.body) as PromResponse;
  } catch {
    return { kind: "error", message: `${url}: status ${r.res.status}, not a Prometheus API response${snippet(r.body)}` };
  }
  if (json.status !== "success") return { kind: "error", message: `Prometheus: ${json.errorType ?? "error"}: ${json.error ?? `status ${r.res.status}`}` };
  return spec.mode === "query" ? judgeQuery(spec, json.data) : judgeAlerts(spec, json.data);
}

// --- internal ---

interface PromResponse {
  status?: string;
  error?: string;
  errorType?: string;
  data?: unknown;
}

type QuerySpec = Extract<SpecOf<"prometheus">, { mode: "query" }>;
type AlertsSpec = Extract<SpecOf<"prometheus">, { mode: "alerts" }>;

function judgeQuery(spec: QuerySpec, data: unknown): Verdict {
  const d = data as { resultType?: string; result?: unknown } | undefined;
  const cond = `${spec.pass_if.op} ${spec.pass_if.value}`;
  let samples: { labels: string; value: number }[];
  if (d?.resultType === "vector" && Array.isArray(d.result)) {
    samples = d.result.map((s: { metric?: Record<string, string>; value?: [number, string] }) => ({
      labels: formatLabels(s.metric ?? {}),
      value: Number(s.value?.[1]),
    }));
  } else if (d?.resultType === "scalar" && Array.isArray(d.result)) {
    samples = [{ labels: "scalar", value: Number(d.result[1]) }];
  } else {
    return { kind: "error", message: `query returned ${d?.resultType ?? "nothing"}; expected an instant vector or scalar` };
  }
  if (samples.length === 0) {
    const msg = `query returned no samples (on_empty: ${spec.on_empty})`;
    return { kind: spec.on_empty === "pass" ? "pass" : "fail", message: msg };
  }
  // NaN fails every comparison, which is what we want: "no data" is not "healthy".
  const bad = samples.filter((s) => !compare(s.value, spec.pass_if.op, spec.pass_if.value));
  if (bad.length === 0) return { kind: "pass", message: `all ${samples.length} sample(s) ${cond}` };
  return { kind: "fail", message: `${bad.length} of ${samples.length} sample(s) not ${cond}: ${listed(bad.map((s) => `${s.labels}=${s.value}`))}` };
}

function judgeAlerts(spec: AlertsSpec, data: unknown): Verdict {
  const alerts = ((data as { alerts?: unknown[] } | undefined)?.alerts ?? []) as { labels?: Record<string, string>; state?: string }[];
  const ignore = new RegExp(spec.alerts.ignore_alertnames);
  const only = spec.alerts.only_alertnames === null ? undefined : new RegExp(spec.alerts.only_alertnames);
  const blocking = alerts.filter((a) => {
    const labels = a.labels ?? {};
    if (spec.alerts.firing_only && a.state !== "firing") return false;
    if (only && !only.test(labels.alertname ?? "")) return false;
    if (ignore.test(labels.alertname ?? "")) return false;
    return Object.entries(spec.alerts.match_labels).every(([k, v]) => labels[k] === v);
  });
  if (blocking.length === 0) return { kind: "pass", message: `no ${spec.alerts.firing_only ? "firing " : ""}alerts (${alerts.length} active in total)` };
  return { kind: "fail", message: `${blocking.length} alert(s) ${spec.alerts.firing_only ? "firing" : "active"}: ${listed(blocking.map((a) => `${a.labels?.alertname ?? "?"}${formatLabels(a.labels ?? {}, "alertname")}`))}` };
}

function compare(x: number, op: QuerySpec["pass_if"]["op"], y: number): boolean {
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
    case "==":
      return x === y;
    case "!=":
      return x !== y && !Number.isNaN(x);
  }
}

function formatLabels(labels: Record<string, string>, skip?: string): string {
  const parts = Object.entries(labels).filter(([k]) => k !== skip && k !== "__name__").map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(",")}}` : skip ? "" : "{}";
}

function listed(items: string[]): string {
  return items.length <= MAX_LISTED ? items.join(", ") : `${items.slice(0, MAX_LISTED).join(", ")} and ${items.length - MAX_LISTED} more`;
}

function snippet(body: string): string {
  const s = body.trim().replace(/\s+/g, " ").slice(0, 120);
  return s === "" ? "" : ` (body: ${s})`;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_BODY_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES));
}

/**
 * A small typed Kubernetes API client over `fetch`: just the calls drain and the health checks
 * make. Why not @kubernetes/client-node: it would work in the binary, but it brings ~40 modules
 * (request stack, OpenAPI models, JSONPath, WebSocket) for six REST calls, adds start-up time and
 * memory on a Pi, and still needs our own eviction/retry logic on top. Here every call is one
 * `fetch`, auth comes from the kubeconfig (client certificate or token) or the service account.
 *
 * Expected failures (HTTP status, unreachable, malformed body) are `ApiResult` values, never throws.
 */
import * as v from "valibot";
import type { Clock } from "../platform/index.ts";
import type { ConnectionLoader, KubeConnection } from "./connection.ts";
import { ListSchema, NodeSchema, parseItems, PodSchema, StatusSchema, summarize, type Node, type Pod } from "./objects.ts";
import type { PodRef } from "./types.ts";

export type ApiResult<T> =
  | { kind: "ok"; value: T }
  | { kind: "status"; code: number; reason: string; message: string } // the API server answered non-2xx
  | { kind: "error"; message: string }; // no usable answer: network, TLS, timeout, malformed body

export type PatchType = "merge" | "strategic";

export interface KubeApi {
  getNode(name: string, signal?: AbortSignal): Promise<ApiResult<Node>>;
  /** `merge` = RFC 7386 (null deletes a key); `strategic` = what kubectl cordon sends. */
  patchNode(name: string, patch: object, type: PatchType, signal?: AbortSignal): Promise<ApiResult<Node>>;
  listNodes(labelSelector?: string, signal?: AbortSignal): Promise<ApiResult<Node[]>>;
  /** Pods in all namespaces (or one) filtered server-side, e.g. fieldSelector `spec.nodeName=pi-03`. */
  listPods(q: { fieldSelector?: string; labelSelector?: string; namespace?: string | null }, signal?: AbortSignal): Promise<ApiResult<Pod[]>>;
  /** POST …/pods/<name>/eviction (policy/v1): 201 evicted, 429 refused by a PDB, 404 already gone. */
  evictPod(pod: PodRef, gracePeriodSec: number | null, signal?: AbortSignal): Promise<ApiResult<unknown>>;
  /** DELETE with a UID precondition, so a replacement pod with the same name is never hit. */
  deletePod(pod: PodRef & { uid?: string }, gracePeriodSec: number | null, signal?: AbortSignal): Promise<ApiResult<unknown>>;
  /** Items of a namespaced custom resource list, e.g. longhorn.io/v1beta2 volumes; not validated. */
  listCustom(group: string, version: string, namespace: string, plural: string, signal?: AbortSignal): Promise<ApiResult<unknown[]>>;
}

export interface KubeApiOptions {
  /** Loads (and re-loads) server, TLS material and credentials. */
  load: ConnectionLoader;
  clock: Clock;
  /** Deadline of one request. */
  timeoutMs: number;
  /** Re-read the kubeconfig / service-account token this often: k3s rotates certificates, and bound SA tokens expire. */
  refreshMs?: number;
}

/** Like client-go, which re-reads a rotated service-account token about once a minute. */
const CONNECTION_REFRESH_MS = 60_000;
/** Bodies of error responses are quoted in messages; more is noise. */
const MAX_MESSAGE_CHARS = 300;

export function createKubeApi(opts: KubeApiOptions): KubeApi {
  let cached: { conn: KubeConnection; at: number } | null = null;
  const refreshMs = opts.refreshMs ?? CONNECTION_REFRESH_MS;

  async function connection(): Promise<KubeConnection | string> {
    const now = opts.clock.now();
    if (cached !== null && now - cached.at < refreshMs) return cached.conn;
    const r = await opts.load();
    if (r.kind === "error") return cached?.conn ?? r.message; // keep the last good one over a transient read error
    cached = { conn: r.conn, at: now };
    return r.conn;
  }

  async function request(method: string, path: string, body: { data: object; type: string } | null, signal?: AbortSignal): Promise<ApiResult<unknown>> {
    const conn = await connection();
    if (typeof conn === "string") return { kind: "error", message: conn };
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": "clusterrebootd" };
    if (conn.token !== null) headers.Authorization = `Bearer ${conn.token}`;
    if (body !== null) headers["Content-Type"] = body.type;
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${conn.server}${path}`, {
        method,
        headers,
        body: body === null ? null : JSON.stringify(body.data),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        tls: {
          ...(conn.ca !== null ? { ca: conn.ca } : {}),
          ...(conn.cert !== null && conn.key !== null ? { cert: conn.cert, key: conn.key } : {}),
          ...(conn.serverName !== null ? { serverName: conn.serverName } : {}),
          rejectUnauthorized: !conn.insecureSkipVerify,
        },
      });
    } catch (e) {
      const why = timeout.aborted ? `no answer within ${opts.timeoutMs} ms` : e instanceof Error ? e.message : String(e);
      return { kind: "error", message: `${method} ${conn.server}${path}: ${why}` };
    }
    const text = await res.text().catch(() => "");
    let json: unknown = undefined;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      // an error page from a proxy, say; handled below
    }
    if (res.ok) {
      return json === undefined && text !== ""
        ? { kind: "error", message: `${method} ${path}: response is not JSON` }
        : { kind: "ok", value: json };
    }
    const status = v.safeParse(StatusSchema, json);
    const reason = status.success ? (status.output.reason ?? "") : "";
    const base = status.success && status.output.message ? status.output.message : text.slice(0, MAX_MESSAGE_CHARS) || res.statusText;
    // The cause is the useful part (a 429 names the PDB and its numbers): keep it in the message.
    const causes = status.success ? (status.output.details?.causes ?? []).map((c) => c.message).filter((m): m is string => !!m && !base.includes(m)) : [];
    const message = causes.length > 0 ? `${base} (${causes.join("; ")})` : base;
    return { kind: "status", code: res.status, reason, message };
  }

  function parse<S extends v.GenericSchema>(r: ApiResult<unknown>, schema: S, what: string): ApiResult<v.InferOutput<S>> {
    if (r.kind !== "ok") return r;
    const p = v.safeParse(schema, r.value);
    return p.success ? { kind: "ok", value: p.output } : { kind: "error", message: `malformed ${what}: ${summarize(p.issues)}` };
  }

  function parseList<S extends v.GenericSchema>(r: ApiResult<unknown>, schema: S | null, what: string): ApiResult<v.InferOutput<S>[]> {
    if (r.kind !== "ok") return r;
    const list = v.safeParse(ListSchema, r.value);
    if (!list.success) return { kind: "error", message: `malformed ${what} list: ${summarize(list.issues)}` };
    const items = list.output.items ?? [];
    if (schema === null) return { kind: "ok", value: items as v.InferOutput<S>[] };
    const p = parseItems(schema, items);
    return p.ok ? { kind: "ok", value: p.items } : { kind: "error", message: `malformed ${what} list: ${p.error}` };
  }

  const enc = encodeURIComponent;
  const query = (q: Record<string, string | undefined>) => {
    const s = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== "")).toString();
    return s === "" ? "" : `?${s}`;
  };
  const podPath = (p: PodRef) => `/api/v1/namespaces/${enc(p.namespace)}/pods/${enc(p.name)}`;
  const deleteOptions = (grace: number | null) => (grace === null ? {} : { gracePeriodSeconds: grace });

  return {
    getNode: async (name, signal) => parse(await request("GET", `/api/v1/nodes/${enc(name)}`, null, signal), NodeSchema, "node"),
    patchNode: async (name, patch, type, signal) => {
      const ct = type === "merge" ? "application/merge-patch+json" : "application/strategic-merge-patch+json";
      return parse(await request("PATCH", `/api/v1/nodes/${enc(name)}`, { data: patch, type: ct }, signal), NodeSchema, "node");
    },
    listNodes: async (labelSelector, signal) =>
      parseList(await request("GET", `/api/v1/nodes${query({ labelSelector })}`, null, signal), NodeSchema, "node"),
    listPods: async (q, signal) => {
      const base = q.namespace ? `/api/v1/namespaces/${enc(q.namespace)}/pods` : "/api/v1/pods";
      const r = await request("GET", `${base}${query({ fieldSelector: q.fieldSelector, labelSelector: q.labelSelector })}`, null, signal);
      return parseList(r, PodSchema, "pod");
    },
    evictPod: (pod, grace, signal) =>
      request(
        "POST",
        `${podPath(pod)}/eviction`,
        {
          data: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod.name, namespace: pod.namespace }, deleteOptions: deleteOptions(grace) },
          type: "application/json",
        },
        signal,
      ),
    deletePod: (pod, grace, signal) =>
      request(
        "DELETE",
        podPath(pod),
        {
          data: { apiVersion: "v1", kind: "DeleteOptions", ...deleteOptions(grace), ...(pod.uid ? { preconditions: { uid: pod.uid } } : {}) },
          type: "application/json",
        },
        signal,
      ),
    listCustom: async (group, version, namespace, plural, signal) =>
      parseList(await request("GET", `/apis/${enc(group)}/${enc(version)}/namespaces/${enc(namespace)}/${enc(plural)}`, null, signal), null, plural),
  };
}

/** One line for logs and results: `403 Forbidden: nodes "pi-1" is forbidden: …`. */
export function describeApiFailure(r: Exclude<ApiResult<unknown>, { kind: "ok" }>): string {
  return r.kind === "status" ? `${r.code}${r.reason ? ` ${r.reason}` : ""}: ${r.message}` : r.message;
}

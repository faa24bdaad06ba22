/**
 * A stand-in kube-apiserver for tests (no real one can run here): Bun.serve on 127.0.0.1 with a
 * random port, speaking the API contract our client relies on, as the real server does:
 *
 * - bearer-token auth (401 Status), or mutual TLS when started with `tls` (handshake refused);
 * - nodes: GET, list (labelSelector), PATCH with merge-patch or strategic-merge-patch content types
 *   (415 for others), resourceVersion precondition (409); a cordon sets only spec.unschedulable (the
 *   real API server adds no taint: the node controller does, later; addNode of a node that is
 *   already cordoned carries that taint);
 * - pods: list across or within namespaces with fieldSelector (spec.nodeName, status.phase,
 *   metadata.name/namespace; `=`, `==`, `!=`; others 400) and labelSelector; DELETE with grace
 *   period and UID precondition (409);
 * - eviction (policy/v1): 201 and the pod starts terminating; 429 while a matching PDB refuses
 *   (`refusals` times, Infinity = forever) with the real body (TooManyRequests, the PDB named in
 *   details.causes); 404 for a missing pod; 500 without a `reason` when two PDBs match; the PDB is
 *   not consulted for Pending, finished or terminating pods (the real server deletes those at once);
 * - terminating pods disappear after `terminatingLists` further pod lists (deterministic, no timers);
 * - Longhorn CRs: longhorn.io/v1beta2 volumes and replicas, as given.
 *
 * Every request is recorded; `fail()` injects errors for matching requests.
 */
import { randomUUID } from "node:crypto";
import { createKube, createKubeApi, type DrainOptions, type Kube, type KubeApi } from "../../src/kube/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import type { TlsMaterial } from "./tls.ts";

export type FakeObj = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } };
type Obj = FakeObj;
export interface PodSpec {
  name: string;
  namespace?: string;
  node: string;
  /** Controller kind; null = unmanaged (no controller). Default ReplicaSet. */
  owner?: "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "Node" | null;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  emptyDir?: boolean;
  graceSec?: number;
}
/** A PodDisruptionBudget reduced to its effect: `refusals` evictions get 429 before it allows them. */
export type PdbSpec = {
  name: string;
  namespace?: string;
  selector: Record<string, string>;
  refusals: number;
  /** status.desiredHealthy / currentHealthy, quoted in the 429's cause (default 1 and 1). */
  desiredHealthy?: number;
  currentHealthy?: number;
};
/** One request as the fake saw it, with the status it answered. */
export type Recorded = { method: string; path: string; query: string; contentType: string | null; body: unknown; status: number };
type Failure = { method?: string; path: RegExp; status: number; times: number };

export interface FakeApiOptions {
  /** Required bearer token; null = no token check (use with tls client certs). Default "test-token". */
  token?: string | null;
  /** Serve HTTPS with this PKI (server certificate for localhost / 127.0.0.1). */
  tls?: TlsMaterial;
  /** With tls: refuse clients without a certificate signed by the CA (k3s.yaml auth). Default true. */
  requireClientCert?: boolean;
}

export class FakeApiServer {
  readonly requests: Recorded[] = [];
  terminatingLists = 1;
  private nodes = new Map<string, Obj>();
  private pods = new Map<string, Obj & { listsLeft?: number }>();
  private pdbs: (PdbSpec & { namespace: string })[] = [];
  private crs = new Map<string, Obj[]>();
  private failures: Failure[] = [];
  private rv = 100;
  private server: ReturnType<typeof Bun.serve> | null = null;
  readonly token: string | null;

  constructor(private readonly opts: FakeApiOptions = {}) {
    this.token = opts.token === undefined ? "test-token" : opts.token;
  }

  get url(): string {
    if (!this.server) throw new Error("fake apiserver not started");
    return `${this.opts.tls ? "https" : "http"}://127.0.0.1:${this.server.port}`;
  }

  start(): this {
    const tls = this.opts.tls;
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      ...(tls ? { tls: { cert: Bun.file(tls.serverCertFile), key: Bun.file(tls.serverKeyFile), ca: Bun.file(tls.caFile), requestCert: this.opts.requireClientCert !== false, rejectUnauthorized: this.opts.requireClientCert !== false } } : {}),
      fetch: (req) => this.handle(req),
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
    this.server = null;
  }

  addNode(name: string, o: { unschedulable?: boolean; ready?: boolean; labels?: Record<string, string>; annotations?: Record<string, string>; machineID?: string } = {}): void {
    const node: Obj = {
      apiVersion: "v1", kind: "Node",
      metadata: { name, uid: randomUUID(), resourceVersion: this.nextRv(), labels: { "kubernetes.io/hostname": name, ...o.labels }, annotations: { ...o.annotations } },
      spec: o.unschedulable ? { unschedulable: true } : {},
      status: { conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True", reason: "KubeletReady" }], ...(o.machineID ? { nodeInfo: { machineID: o.machineID } } : {}) },
    };
    this.nodes.set(name, withTaint(node));
  }

  addPod(p: PodSpec): Obj {
    const ns = p.namespace ?? "default";
    const owner = p.owner === undefined ? "ReplicaSet" : p.owner;
    const pod: Obj = {
      apiVersion: "v1", kind: "Pod",
      metadata: {
        name: p.name, namespace: ns, uid: randomUUID(), resourceVersion: this.nextRv(), labels: { ...p.labels },
        annotations: { ...p.annotations, ...(owner === "Node" ? { "kubernetes.io/config.mirror": "abc123" } : {}) },
        ...(owner === null ? {} : { ownerReferences: [{ apiVersion: "apps/v1", kind: owner, name: `${p.name}-owner`, uid: randomUUID(), controller: true, blockOwnerDeletion: true }] }),
      },
      spec: { nodeName: p.node, terminationGracePeriodSeconds: p.graceSec ?? 30, volumes: p.emptyDir ? [{ name: "scratch", emptyDir: {} }] : [{ name: "kube-api-access", projected: {} }] },
      status: { phase: p.phase ?? "Running" },
    };
    this.pods.set(`${ns}/${p.name}`, pod);
    return pod;
  }

  addPdb(p: PdbSpec): void {
    this.pdbs.push({ ...p, namespace: p.namespace ?? "default" });
  }

  /** Changes how many more evictions a PDB refuses (0 = allow from now on). */
  setPdbRefusals(name: string, refusals: number): void {
    for (const b of this.pdbs) if (b.name === name) b.refusals = refusals;
  }

  /** A Longhorn CR as the API would return it (`kind`: volumes | replicas). */
  addLonghorn(kind: "volumes" | "replicas", obj: Obj, namespace = "longhorn-system"): void {
    const key = `${namespace}/${kind}`;
    this.crs.set(key, [...(this.crs.get(key) ?? []), obj]);
  }

  /** The next `times` requests matching method and path get `status` (a Status body). */
  fail(f: { method?: string; path: RegExp; status: number; times?: number }): void {
    this.failures.push({ ...f, times: f.times ?? 1 });
  }

  /** Drops every injected failure that has not happened yet (the API server is back). */
  clearFailures(): void {
    this.failures = [];
  }

  /** Sets (or with null removes) a label, as a cloud controller or `kubectl label` would: a new resourceVersion. */
  setLabel(node: string, key: string, value: string | null): void {
    const n = this.nodes.get(node);
    if (!n) throw new Error(`fake apiserver: no node ${node}`);
    const labels = { ...(n.metadata.labels as Record<string, string>) };
    if (value === null) delete labels[key];
    else labels[key] = value;
    n.metadata = { ...n.metadata, labels, resourceVersion: this.nextRv() };
  }

  node(name: string): Obj | undefined {
    return structuredClone(this.nodes.get(name));
  }

  podNames(node?: string): string[] {
    return [...this.pods.values()].filter((p) => node === undefined || (p.spec as { nodeName: string }).nodeName === node).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  }

  evictions(status?: number): Recorded[] {
    return this.requests.filter((r) => r.path.endsWith("/eviction") && (status === undefined || r.status === status));
  }

  // --- request handling ---

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : await req.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const res = this.route(req, url, body);
    this.requests.push({ method: req.method, path: url.pathname, query: url.search, contentType: req.headers.get("content-type"), body, status: res.status });
    return res;
  }

  private route(req: Request, url: URL, body: unknown): Response {
    if (this.token !== null && req.headers.get("authorization") !== `Bearer ${this.token}`) return status(401, "Unauthorized", "Unauthorized");
    const f = this.failures.find((x) => x.times > 0 && x.path.test(url.pathname) && (!x.method || x.method === req.method));
    if (f) {
      f.times--;
      return status(f.status, f.status === 500 ? "InternalError" : "ServiceUnavailable", `injected failure ${f.status}`);
    }
    const p = url.pathname;
    const q = url.searchParams;
    let m: RegExpExecArray | null;
    if (p === "/api/v1/nodes" && req.method === "GET") return this.list("NodeList", [...this.nodes.values()], q.get("labelSelector"));
    if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(p))) {
      const node = this.nodes.get(decodeURIComponent(m[1]!));
      if (!node) return status(404, "NotFound", `nodes "${decodeURIComponent(m[1]!)}" not found`);
      if (req.method === "GET") return json(200, node);
      if (req.method === "PATCH") return this.patchNode(node, req.headers.get("content-type"), body);
      return status(405, "MethodNotAllowed", "method not allowed");
    }
    if ((p === "/api/v1/pods" || (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p))) && req.method === "GET") {
      return this.listPods(m?.[1] ? decodeURIComponent(m[1]) : null, q.get("fieldSelector"), q.get("labelSelector"));
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/eviction)?$/.exec(p))) {
      const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      if (m[3] && req.method === "POST") return this.evict(key, body);
      if (!m[3] && req.method === "DELETE") return this.deletePod(key, body);
      if (!m[3] && req.method === "GET") return this.pods.has(key) ? json(200, this.pods.get(key)) : status(404, "NotFound", `pods "${m[2]}" not found`);
    }
    if ((m = /^\/apis\/longhorn\.io\/v1beta2\/namespaces\/([^/]+)\/(volumes|replicas)$/.exec(p)) && req.method === "GET") {
      return json(200, { apiVersion: "longhorn.io/v1beta2", kind: m[2] === "volumes" ? "VolumeList" : "ReplicaList", metadata: { resourceVersion: String(this.rv) }, items: this.crs.get(`${m[1]}/${m[2]}`) ?? [] });
    }
    return status(404, "NotFound", "the server could not find the requested resource");
  }

  private patchNode(node: Obj, contentType: string | null, patch: unknown): Response {
    const type = (contentType ?? "").split(";")[0]!.trim();
    if (type !== "application/merge-patch+json" && type !== "application/strategic-merge-patch+json") {
      return status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    }
    if (!isObj(patch)) return status(400, "BadRequest", "the body of the request was not a JSON object");
    const meta = isObj(patch.metadata) ? patch.metadata : {};
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== node.metadata.resourceVersion) {
      return status(409, "Conflict", `Operation cannot be fulfilled on nodes "${node.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const next = mergePatch(structuredClone(node), patch) as Obj;
    const annotations = next.metadata.annotations;
    if (isObj(annotations) && Object.values(annotations).some((x) => typeof x !== "string")) return status(400, "BadRequest", "metadata.annotations: values must be strings");
    const spec = next.spec as Record<string, unknown> | undefined;
    if (spec?.unschedulable !== undefined && typeof spec.unschedulable !== "boolean") return status(400, "BadRequest", "spec.unschedulable: must be a boolean");
    next.metadata.name = node.metadata.name;
    next.metadata.resourceVersion = this.nextRv();
    this.nodes.set(node.metadata.name, next);
    return json(200, this.nodes.get(node.metadata.name));
  }

  private listPods(namespace: string | null, fieldSelector: string | null, labelSelector: string | null): Response {
    for (const [key, pod] of this.pods) if (pod.listsLeft !== undefined && pod.listsLeft <= 0) this.pods.delete(key);
    let items = [...this.pods.values()].filter((pod) => namespace === null || pod.metadata.namespace === namespace);
    if (fieldSelector) {
      const reqs = fieldSelector.split(",").map((r) => /^([a-zA-Z.]+)\s*(==|!=|=)\s*(.*)$/.exec(r.trim()));
      for (const r of reqs) {
        if (!r || !FIELDS[r[1]!]) return status(400, "BadRequest", `field label not supported: ${r?.[1] ?? fieldSelector}`);
        const [, field, op, value] = r;
        items = items.filter((pod) => (FIELDS[field!]!(pod) === value) === (op !== "!="));
      }
    }
    const res = this.list("PodList", items, labelSelector);
    for (const pod of this.pods.values()) if (pod.listsLeft !== undefined) pod.listsLeft--;
    return res;
  }

  private list(kind: string, items: Obj[], labelSelector: string | null): Response {
    const match = labelSelector ? selectorMatcher(labelSelector) : () => true;
    if (match === null) return status(400, "BadRequest", `unable to parse requirement: ${labelSelector}`);
    return json(200, { apiVersion: "v1", kind, metadata: { resourceVersion: String(this.rv) }, items: items.filter((o) => match((o.metadata.labels ?? {}) as Record<string, string>)) });
  }

  private evict(key: string, body: unknown): Response {
    const [ns, name] = key.split("/") as [string, string];
    if (!isObj(body) || body.apiVersion !== "policy/v1" || body.kind !== "Eviction" || !isObj(body.metadata) || body.metadata.name !== name) {
      return status(400, "BadRequest", "expected a policy/v1 Eviction whose metadata.name matches the pod");
    }
    const pod = this.pods.get(key);
    if (!pod) return status(404, "NotFound", `pods "${name}" not found`);
    // The real server's rule: a pod that is Pending, finished or already terminating cannot count
    // towards any budget, so it is deleted without looking at PDBs.
    const ignoresPdb = ["Pending", "Succeeded", "Failed"].includes((pod.status as { phase: string }).phase) || pod.metadata.deletionTimestamp;
    if (!ignoresPdb) {
      const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
      const pdbs = this.pdbs.filter((b) => b.namespace === ns && Object.entries(b.selector).every(([k, v]) => labels[k] === v));
      // As seen from a real v1.24 server: code and message, no `reason`.
      if (pdbs.length > 1)
        return json(500, { apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.", code: 500 });
      const pdb = pdbs[0];
      if (pdb && pdb.refusals > 0) {
        pdb.refusals--;
        return json(429, {
          apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", code: 429, reason: "TooManyRequests",
          message: "Cannot evict pod as it would violate the pod's disruption budget.",
          details: { causes: [{ type: "DisruptionBudget", message: `The disruption budget ${pdb.name} needs ${pdb.desiredHealthy ?? 1} healthy pods and has ${pdb.currentHealthy ?? 1} currently` }] },
        });
      }
    }
    const grace = isObj(body.deleteOptions) && typeof body.deleteOptions.gracePeriodSeconds === "number" ? body.deleteOptions.gracePeriodSeconds : null;
    this.terminate(key, grace);
    return json(201, { apiVersion: "v1", kind: "Status", status: "Success", code: 201 });
  }

  private deletePod(key: string, body: unknown): Response {
    const pod = this.pods.get(key);
    if (!pod) return status(404, "NotFound", `pods "${key.split("/")[1]}" not found`);
    const pre = isObj(body) && isObj(body.preconditions) ? body.preconditions : {};
    if (pre.uid !== undefined && pre.uid !== pod.metadata.uid) {
      return status(409, "Conflict", `Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${String(pod.metadata.uid)}`);
    }
    this.terminate(key, isObj(body) && typeof body.gracePeriodSeconds === "number" ? body.gracePeriodSeconds : null);
    return json(200, this.pods.get(key) ?? pod);
  }

  private terminate(key: string, grace: number | null): void {
    const pod = this.pods.get(key)!;
    if (grace === 0) return void this.pods.delete(key);
    pod.metadata.deletionTimestamp ??= new Date().toISOString();
    pod.metadata.deletionGracePeriodSeconds = grace ?? (pod.spec as { terminationGracePeriodSeconds: number }).terminationGracePeriodSeconds;
    pod.listsLeft ??= this.terminatingLists;
  }

  private nextRv(): string {
    return String(++this.rv);
  }
}

export async function startFakeApiServer(opts: FakeApiOptions = {}): Promise<FakeApiServer> {
  return new FakeApiServer(opts).start();
}

// --- test harness: our client wired to the fake, and a fake-clock driver ---

export const NODE = "pi-03";

export type Harness = { clock: FakeClock; api: KubeApi; kube: Kube; log: ReturnType<typeof memoryLogger> };

/** A fresh daemon's view of the cluster: new clock, client and logger (a restart is a new harness). */
export function harness(fake: FakeApiServer, token: string | null = fake.token): Harness {
  const clock = new FakeClock();
  const server = fake.url; // fixed now: a stopped fake then looks like an unreachable API server
  const api = createKubeApi({
    load: async () => ({
      kind: "ok",
      conn: { server, ca: null, cert: null, key: null, serverName: null, insecureSkipVerify: false, token, source: "test" },
    }),
    clock,
    timeoutMs: 5_000,
  });
  const log = memoryLogger();
  return { clock, api, kube: createKube({ api, clock, log }), log };
}

/** kubectl's defaults: refuse emptyDir and unmanaged pods, each pod's own grace period; 2 min timeout, abort. */
export function drainOpts(o: Partial<DrainOptions> = {}): DrainOptions {
  return { timeoutMs: 120_000, gracePeriodSec: null, deleteEmptyDirData: false, evictUnmanagedPods: false, podSelector: "", onTimeout: "abort", ...o };
}

/**
 * Runs `p` to completion, moving the fake clock only while the code under test is parked in a
 * sleep, in steps of `stepMs`: time never jumps while a request is in flight, so deadlines and
 * backoff are exact (results carry their simulated durationMs).
 */
export async function drive<T>(clock: FakeClock, p: Promise<T>, stepMs = 250): Promise<T> {
  let settled = false;
  const tracked = p.finally(() => {
    settled = true;
  });
  for (;;) {
    await Promise.race([tracked, clock.untilSleeping()]);
    if (settled) return tracked;
    await clock.advance(stepMs);
  }
}

/** Standard workload of one node: two app pods, a DaemonSet pod, a mirror (static) pod and a finished Job pod. */
export function seedNode(fake: FakeApiServer, node = NODE): void {
  fake.addNode(node);
  fake.addNode("pi-04");
  fake.addPod({ name: "web-1", node, labels: { app: "web" } });
  fake.addPod({ name: "api-1", node, namespace: "holm", labels: { app: "api" } });
  fake.addPod({ name: "svclb-traefik-x", node, namespace: "kube-system", owner: "DaemonSet" });
  fake.addPod({ name: `kube-vip-${node}`, node, namespace: "kube-system", owner: "Node" });
  fake.addPod({ name: "backup-28911", node, owner: "Job", phase: "Succeeded" });
  fake.addPod({ name: "web-2", node: "pi-04", labels: { app: "web" } });
}

export const annotationsOf = (fake: FakeApiServer, node = NODE) =>
  ((fake.node(node)?.metadata.annotations ?? {}) as Record<string, string>);
export const unschedulable = (fake: FakeApiServer, node = NODE) =>
  (fake.node(node)?.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;

// --- internal ---

const FIELDS: Record<string, (pod: Obj) => string> = {
  "spec.nodeName": (p) => String((p.spec as { nodeName?: string }).nodeName ?? ""),
  "status.phase": (p) => String((p.status as { phase?: string }).phase ?? ""),
  "metadata.name": (p) => p.metadata.name,
  "metadata.namespace": (p) => String(p.metadata.namespace),
};

const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);

/** RFC 7386 JSON merge patch (also what strategic merge does for the maps we patch). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The node lifecycle controller's taint for a node that was cordoned before the test started. */
function withTaint(node: Obj): Obj {
  const spec = (node.spec ?? {}) as { unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  const taints = (spec.taints ?? []).filter((t) => t.key !== "node.kubernetes.io/unschedulable");
  if (spec.unschedulable) taints.push({ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" });
  node.spec = { ...spec, ...(taints.length ? { taints } : {}) };
  if (!taints.length) delete (node.spec as { taints?: unknown }).taints;
  return node;
}

/** An independent label-selector matcher (not the config's validator), or null if unparsable. */
function selectorMatcher(sel: string): ((labels: Record<string, string>) => boolean) | null {
  const parts = sel.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  const tests: ((l: Record<string, string>) => boolean)[] = [];
  for (const raw of parts.map((x) => x.trim())) {
    let m: RegExpExecArray | null;
    if ((m = /^!([\w./-]+)$/.exec(raw))) { const k = m[1]!; tests.push((l) => !(k in l)); }
    else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(raw))) { const [, k, op, v] = m as unknown as [string, string, string, string]; tests.push((l) => (l[k] === v) === (op !== "!=")); }
    else if ((m = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(raw))) { const [, k, op, vs] = m as unknown as [string, string, string, string]; const set = vs.split(",").map((s) => s.trim()); tests.push((l) => (k in l && set.includes(l[k]!)) === (op === "in")); }
    else if ((m = /^([\w./-]+)$/.exec(raw))) { const k = m[1]!; tests.push((l) => k in l); }
    else return null;
  }
  return (labels) => tests.every((t) => t(labels));
}

function json(code: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status: code, headers: { "Content-Type": "application/json" } });
}

function status(code: number, reason: string, message: string): Response {
  return json(code, { apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", message, reason, code });
}

/**
 * `health_checks:` — built-in checks beside `health_script`, so the common cases (an HTTP /health
 * endpoint, a Prometheus alert, Longhorn replicas, etcd quorum) need no shell script.
 *
 * One mapping per check with a `type`. The schema is a single strict mapping holding every key of
 * every type (so the loader's unknown-key walk and its "did you mean" hints work unchanged); a
 * cross check then rejects keys that do not belong to the entry's type, and the output is a
 * tagged union with each type's defaults filled in.
 */
import * as v from "valibot";
import { closed, mapping } from "./_issues.ts";
import { checkHostname } from "./_addresses.ts";
import { crossCheck, crossChecks, type CrossProblem } from "./_cross.ts";
import { describeValue, expected, httpUrl, intSchema, problemCheck, seconds } from "./_fields.ts";
import { labelSelectorProblem } from "./_kubernetes.ts";

export const CHECK_TYPES = ["http", "prometheus", "kubernetes_nodes_ready", "kubernetes_pods", "longhorn", "etcd_quorum"] as const;
export type CheckType = (typeof CHECK_TYPES)[number];
/** Same names as the health script's RC_PHASE (health/types.ts HealthPhase). */
export const CHECK_PHASES = ["monitor", "pre-lock", "post-lock", "heartbeat", "post-boot"] as const;
export type CheckPhase = (typeof CHECK_PHASES)[number];

/** One slow endpoint must not stall a pass; still long enough for a Pi's API server under load. */
export const DEFAULT_CHECK_TIMEOUT_SEC = 10;
export const DEFAULT_LONGHORN_NAMESPACE = "longhorn-system";
/** k3s's embedded etcd: the local member, and the client certificate k3s itself uses. */
export const K3S_ETCD = {
  endpoint: "https://127.0.0.1:2379",
  ca_file: "/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt",
  cert_file: "/var/lib/rancher/k3s/server/tls/etcd/client.crt",
  key_file: "/var/lib/rancher/k3s/server/tls/etcd/client.key",
} as const;

const COMPARATORS = ["<", "<=", ">", ">=", "==", "!="] as const;
export type Comparator = (typeof COMPARATORS)[number];

/** `"< 0.05"` → { op: "<", value: 0.05 }, or the problem. */
export function parsePassIf(s: string): { op: Comparator; value: number } | string {
  const m = /^\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/.exec(s);
  if (!m) return `expected a comparison such as "< 0.05" or ">= 3" (operators ${COMPARATORS.join(" ")}), got ${JSON.stringify(s)}`;
  return { op: m[1] as Comparator, value: Number(m[2]) };
}

const regex = v.pipe(
  v.string(expected("a regular expression")),
  problemCheck((s: string) => {
    try {
      new RegExp(s);
      return null;
    } catch (e) {
      return `is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`;
    }
  }),
);
const absPath = v.pipe(
  v.string(expected("an absolute path")),
  problemCheck((s: string) => (s.startsWith("/") ? null : `must be an absolute path, got ${JSON.stringify(s)}`)),
);
const selector = v.pipe(v.string(expected("a label selector")), problemCheck(labelSelectorProblem));
const opt = <T extends v.GenericSchema>(s: T) => v.nullish(s, null);

const CheckObject = closed({
  type: v.picklist(CHECK_TYPES, expected(CHECK_TYPES.map((t) => JSON.stringify(t)).join(", "))),
  /** Labels results, logs and metrics; unique. Default derived from the type (see checkName). */
  name: opt(v.pipe(v.string(expected("a string")), problemCheck((s: string) => (s.trim() === "" ? "must not be blank" : null)))),
  timeout_sec: seconds(1, DEFAULT_CHECK_TIMEOUT_SEC),
  /** Phases the check runs in; default all of them. */
  phases: opt(v.pipe(v.array(v.picklist(CHECK_PHASES, expected(CHECK_PHASES.join(", "))), expected("a list of phases")), v.minLength(1, "must list at least one phase (omit the key for all phases)"))),
  // http, prometheus
  url: opt(httpUrl),
  ca_file: opt(absPath),
  insecure_skip_verify: opt(v.boolean(expected("true or false"))),
  // http
  expect_status: opt(v.pipe(v.array(v.pipe(intSchema(100), v.maxValue(599, (i) => `must be an HTTP status 100–599, got ${describeValue(i.input)}`)), expected("a list of HTTP status codes")), v.minLength(1, "must list at least one status"))),
  body_regex: opt(regex),
  // prometheus
  query: opt(v.pipe(v.string(expected("a PromQL expression")), problemCheck((s: string) => (s.trim() === "" ? "must not be blank" : null)))),
  pass_if: opt(v.pipe(v.string(expected(`a comparison such as "< 0.05"`)), problemCheck((s: string) => { const r = parsePassIf(s); return typeof r === "string" ? r : null; }))),
  on_empty: opt(v.picklist(["pass", "fail"], expected(`"pass" or "fail"`))),
  alerts: opt(
    closed({
      /** true (default): only firing alerts block; pending ones do not (kured's --alert-firing-only). */
      firing_only: v.nullish(v.boolean(expected("true or false")), true),
      /** Only alerts carrying all these labels block; {} = every alert. */
      match_labels: v.nullish(mapping(v.record(v.string(), v.string(expected("a string")), expected("a mapping of label to value"))), () => ({})),
      /** Alerts whose alertname matches this regex never block (kured's --alert-filter-regexp). */
      ignore_alertnames: v.nullish(regex, "^(Watchdog|InfoInhibitor)$"),
      /**
       * When set, only alerts whose alertname matches block; every other alert is ignored (kured's
       * --alert-filter-regexp with --alert-filter-match-only). null (default): every alert may block.
       */
      only_alertnames: v.nullish(regex, null),
    }),
  ),
  // kubernetes_nodes_ready, kubernetes_pods
  selector: opt(selector),
  min_ready: opt(intSchema(1)),
  // longhorn, kubernetes_pods
  namespace: opt(v.pipe(v.string(expected("a namespace")), problemCheck((s: string) => (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s) ? null : `must be a namespace name, got ${JSON.stringify(s)}`)))),
  ignore_volumes: opt(v.array(v.string(expected("a volume name")), expected("a list of volume names"))),
  // etcd_quorum
  /** This node's own etcd member (its client URL): the member that would go down. */
  endpoint: opt(httpUrl),
  cert_file: opt(absPath),
  key_file: opt(absPath),
  server_name: opt(v.pipe(v.string(expected("a DNS name")), problemCheck(checkHostname))),
});
type Raw = v.InferOutput<typeof CheckObject>;
type Key = Exclude<keyof Raw, "type" | "name" | "timeout_sec" | "phases">;

/** Keys each type accepts besides type, name, timeout_sec and phases. */
const KEYS: Record<CheckType, readonly Key[]> = {
  http: ["url", "expect_status", "body_regex", "ca_file", "insecure_skip_verify"],
  prometheus: ["url", "query", "pass_if", "on_empty", "alerts", "ca_file", "insecure_skip_verify"],
  kubernetes_nodes_ready: ["selector", "min_ready"],
  kubernetes_pods: ["selector", "namespace"],
  longhorn: ["namespace", "ignore_volumes"],
  etcd_quorum: ["endpoint", "ca_file", "cert_file", "key_file", "server_name"],
};
const REQUIRED: Record<CheckType, readonly Key[]> = {
  http: ["url"],
  prometheus: ["url"],
  kubernetes_nodes_ready: [],
  kubernetes_pods: ["selector"],
  longhorn: [],
  etcd_quorum: [],
};

function typeProblems(c: Raw): CrossProblem[] {
  const problems: CrossProblem[] = [];
  const allowed = KEYS[c.type];
  for (const key of Object.keys(KEYS_ALL) as Key[]) {
    if (c[key] !== null && !allowed.includes(key)) {
      problems.push({ path: [key], message: `does not apply to a ${c.type} check (its keys: ${allowed.join(", ") || "none"})` });
    }
  }
  for (const key of REQUIRED[c.type]) if (c[key] === null) problems.push({ path: [key], message: `is required for a ${c.type} check` });
  if (c.type === "prometheus") {
    if ((c.query === null) === (c.alerts === null)) {
      problems.push({ path: [], message: "a prometheus check needs exactly one of query (with pass_if) or alerts" });
    } else if (c.query !== null && c.pass_if === null) {
      problems.push({ path: ["pass_if"], message: `is required with query: the condition every sample must meet, e.g. "< 0.05"` });
    } else if (c.alerts !== null && (c.pass_if !== null || c.on_empty !== null)) {
      problems.push({ path: [c.pass_if !== null ? "pass_if" : "on_empty"], message: "only applies to query, not to alerts" });
    }
  }
  if (c.type === "kubernetes_pods" && typeof c.selector === "string" && c.selector.trim() === "") {
    problems.push({ path: ["selector"], message: "must not be empty: it names the pods that block a reboot (e.g. app=backup-job)" });
  }
  if (c.type === "etcd_quorum" && (c.cert_file === null) !== (c.key_file === null)) {
    problems.push({ path: [c.cert_file === null ? "cert_file" : "key_file"], message: "cert_file and key_file go together" });
  }
  return problems;
}
const KEYS_ALL: Record<Key, true> = Object.fromEntries(
  [...new Set(Object.values(KEYS).flat())].map((k) => [k, true]),
) as Record<Key, true>;

/** The check's effective name: `name`, else `http:<url>`, `prometheus:<query>`/`prometheus:alerts`, or the type. */
export function checkName(c: { name?: unknown; type?: unknown; url?: unknown; query?: unknown }): string {
  if (typeof c.name === "string" && c.name.trim() !== "") return c.name.trim();
  if (c.type === "http") return `http:${String(c.url ?? "")}`;
  if (c.type === "prometheus") return typeof c.query === "string" ? `prometheus:${c.query}` : "prometheus:alerts";
  return String(c.type ?? "");
}

const isIpHost = (url: string) => /^(\[.*\]|\d+\.\d+\.\d+\.\d+)$/.test(new URL(url).hostname);

const common = (c: Raw) => ({ name: checkName(c), timeout_sec: c.timeout_sec, phases: c.phases ?? [...CHECK_PHASES] });

/** Output: a tagged union per type, every default filled in. */
function finalize(c: Raw) {
  const tls = { ca_file: c.ca_file, insecure_skip_verify: c.insecure_skip_verify ?? false };
  switch (c.type) {
    case "http":
      return { type: c.type, ...common(c), url: c.url!, expect_status: c.expect_status ?? [200], body_regex: c.body_regex, ...tls };
    case "prometheus": {
      const base = { type: c.type, ...common(c), url: c.url!, ...tls };
      if (c.alerts !== null) return { ...base, mode: "alerts" as const, alerts: c.alerts };
      const cond = parsePassIf(c.pass_if!);
      if (typeof cond === "string") throw new Error(`bug: unparsable pass_if reached finalize: ${cond}`);
      return { ...base, mode: "query" as const, query: c.query!, pass_if: cond, on_empty: c.on_empty ?? "fail" };
    }
    case "kubernetes_nodes_ready":
      return { type: c.type, ...common(c), selector: c.selector ?? "", min_ready: c.min_ready };
    case "kubernetes_pods":
      return { type: c.type, ...common(c), selector: c.selector!, namespace: c.namespace };
    case "longhorn":
      return { type: c.type, ...common(c), namespace: c.namespace ?? DEFAULT_LONGHORN_NAMESPACE, ignore_volumes: c.ignore_volumes ?? [] };
    case "etcd_quorum": {
      // k3s's TLS files are the defaults only for an https endpoint; a plain-http etcd needs none.
      const endpoint = c.endpoint ?? K3S_ETCD.endpoint;
      const k3s = endpoint.startsWith("https:") && c.cert_file === null && c.key_file === null;
      return {
        type: c.type,
        ...common(c),
        endpoint,
        ca_file: c.ca_file ?? (endpoint.startsWith("https:") ? K3S_ETCD.ca_file : null),
        cert_file: c.cert_file ?? (k3s ? K3S_ETCD.cert_file : null),
        key_file: c.key_file ?? (k3s ? K3S_ETCD.key_file : null),
        // Members are dialled by IP (k3s advertises https://<node-ip>:2379) and gRPC under Bun cannot
        // verify an IP as a TLS name; every k3s etcd server certificate carries DNS:localhost.
        server_name: c.server_name ?? (endpoint.startsWith("https:") && isIpHost(endpoint) ? "localhost" : null),
      };
    }
  }
}

export const HealthCheck = v.pipe(
  CheckObject,
  // Reads only `type`: a key with its own problem still "does not apply" or is still "required".
  crossCheck<Raw>([["type"]], typeProblems),
  v.transform(finalize),
);
export type HealthCheckConfig = v.InferOutput<typeof HealthCheck>;

/** Names label results, logs and metrics, so they must be unique. */
const uniqueNames = crossChecks<HealthCheckConfig[]>([
  {
    reads: [],
    check: (list) => {
      const problems: CrossProblem[] = [];
      const seen = new Map<string, number>();
      (list as unknown[]).forEach((c, i) => {
        if (c === null || typeof c !== "object" || Array.isArray(c)) return;
        const name = checkName(c);
        if (name === "") return;
        const first = seen.get(name);
        if (first === undefined) return void seen.set(name, i);
        problems.push({ path: [i], message: `duplicate check name ${JSON.stringify(name)} (also health_checks[${first}]); set a unique name` });
      });
      return problems;
    },
  },
]);

/** `health_checks:` — default []. Wire as `health_checks: HealthChecksSchema`. */
export const HealthChecksSchema = v.nullish(v.pipe(v.array(HealthCheck, expected("a list of checks")), uniqueNames), () => []);

/** Types of check that talk to the Kubernetes API (they need the `kubernetes:` block). */
export const KUBERNETES_CHECK_TYPES: readonly CheckType[] = ["kubernetes_nodes_ready", "kubernetes_pods", "longhorn"];

/**
 * Top-level rule for `_rules.ts`: Kubernetes checks use the `kubernetes:` block's connection, so
 * it must be present (with `drain: {enabled: false}` when only the checks are wanted).
 */
export function kubernetesChecksProblems(c: { kubernetes: unknown; health_checks: unknown }): CrossProblem[] {
  if (c.kubernetes !== null && c.kubernetes !== undefined) return [];
  if (!Array.isArray(c.health_checks)) return [];
  return c.health_checks.flatMap((x: unknown, i) =>
    x !== null && typeof x === "object" && KUBERNETES_CHECK_TYPES.includes((x as { type: CheckType }).type)
      ? [{ path: ["health_checks", i, "type"], message: `a ${(x as { type: string }).type} check needs the kubernetes: block (how to reach the API server); add "kubernetes: {drain: {enabled: false}}" for checks only` }]
      : [],
  );
}

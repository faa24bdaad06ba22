/**
 * `health_checks:` — built-in checks beside `health_script`, so the common cases (an HTTP /health
 * endpoint, a Prometheus alert, Longhorn replicas, etcd quorum) need no shell script.
 *
 * One mapping per check, a valibot `variant` on `type`: each type is a closed mapping of its own
 * keys with their defaults. Another type's key is an entry too, only to be refused by name ("does
 * not apply to a http check (its keys: …)"); a key of no type is an unknown key.
 */
import * as v from "valibot";
import { closed, closedObject, fallbackMessage, mapping, pathTo, uniqueNames, type PathKey } from "./_issues.ts";
import { checkHostname } from "./_addresses.ts";
import { describeValue, expected, get, intSchema, problemCheck, seconds } from "./_fields.ts";
import { httpUrl, httpUrlParts, parsedBy } from "./_parsed.ts";
import { labelSelectorProblem } from "./_kubernetes.ts";

const CHECK_TYPES = ["http", "prometheus", "kubernetes_nodes_ready", "kubernetes_pods", "longhorn", "etcd_quorum"] as const;
type CheckType = (typeof CHECK_TYPES)[number];
/** Same names as the health script's RC_PHASE (health/types.ts HealthPhase). */
export const CHECK_PHASES = ["monitor", "pre-lock", "post-lock", "heartbeat", "post-boot"] as const;
export type CheckPhase = (typeof CHECK_PHASES)[number];

/** One slow endpoint must not stall a pass; still long enough for a Pi's API server under load. */
const DEFAULT_CHECK_TIMEOUT_SEC = 10;
const DEFAULT_LONGHORN_NAMESPACE = "longhorn-system";
/** k3s's embedded etcd: the local member, and the client certificate k3s itself uses. */
const K3S_ETCD = {
  endpoint: "https://127.0.0.1:2379",
  ca_file: "/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt",
  cert_file: "/var/lib/rancher/k3s/server/tls/etcd/client.crt",
  key_file: "/var/lib/rancher/k3s/server/tls/etcd/client.key",
} as const;

const COMPARATORS = ["<", "<=", ">", ">=", "==", "!="] as const;
type Comparator = (typeof COMPARATORS)[number];

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
const notBlank = (what: string) => v.pipe(v.string(expected(what)), problemCheck((s: string) => (s.trim() === "" ? "must not be blank" : null)));
const selector = v.pipe(v.string(expected("a label selector")), problemCheck(labelSelectorProblem));
const namespace = v.pipe(v.string(expected("a namespace")), problemCheck((s: string) => (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s) ? null : `must be a namespace name, got ${JSON.stringify(s)}`)));
const opt = <T extends v.GenericSchema>(s: T) => v.nullish(s, null);
/** A key its type needs: null or absent is "is required for a <type> check". */
const required = <T extends v.GenericSchema>(s: T, type: CheckType) =>
  v.pipe(
    v.nullish(s, null),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      if (dataset.value !== null) return dataset.value;
      addIssue({ message: `is required for a ${type} check` });
      return NEVER;
    }),
  );

const COMMON = {
  /** Labels results, logs and metrics; unique. Default derived from the type (see checkName). */
  name: opt(notBlank("a string")),
  timeout_sec: seconds(1, DEFAULT_CHECK_TIMEOUT_SEC),
  /** Phases the check runs in; default all of them. */
  phases: v.nullish(
    v.pipe(v.array(v.picklist(CHECK_PHASES, expected(CHECK_PHASES.join(", "))), expected("a list of phases")), v.minLength(1, "must list at least one phase (omit the key for all phases)")),
    () => [...CHECK_PHASES],
  ),
};
const TLS = { ca_file: opt(absPath), insecure_skip_verify: v.nullish(v.boolean(expected("true or false")), false) };

// Each type's own keys, in the order its "does not apply" message lists them.
const HTTP = {
  url: required(httpUrl, "http"),
  expect_status: v.nullish(v.pipe(v.array(v.pipe(intSchema(100), v.maxValue(599, (i) => `must be an HTTP status 100–599, got ${describeValue(i.input)}`)), expected("a list of HTTP status codes")), v.minLength(1, "must list at least one status")), () => [200]),
  body_regex: opt(regex),
  ...TLS,
};
const PROMETHEUS = {
  url: required(httpUrl, "prometheus"),
  query: opt(notBlank("a PromQL expression")),
  /** Parsed here once: the checks get { op, value }. */
  pass_if: opt(v.pipe(v.string(expected(`a comparison such as "< 0.05"`)), parsedBy((s: string) => { const r = parsePassIf(s); return typeof r === "string" ? { ok: false, error: r } : { ok: true, value: r }; }))),
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
  ...TLS,
};
const NODES_READY = { selector: v.nullish(selector, ""), min_ready: opt(intSchema(1)) };
const PODS = {
  selector: required(v.pipe(selector, problemCheck((s: string) => (s.trim() === "" ? "must not be empty: it names the pods that block a reboot (e.g. app=backup-job)" : null))), "kubernetes_pods"),
  namespace: opt(namespace),
};
const LONGHORN = { namespace: v.nullish(namespace, DEFAULT_LONGHORN_NAMESPACE), ignore_volumes: v.nullish(v.array(v.string(expected("a volume name")), expected("a list of volume names")), () => []) };
const ETCD_QUORUM = {
  /** This node's own etcd member (its client URL): the member that would go down. Parsed here once. */
  endpoint: v.nullish(httpUrlParts, K3S_ETCD.endpoint),
  ca_file: opt(absPath),
  cert_file: opt(absPath),
  key_file: opt(absPath),
  server_name: opt(v.pipe(v.string(expected("a DNS name")), problemCheck(checkHostname))),
};
const ALL_KEYS = [...new Set([HTTP, PROMETHEUS, NODES_READY, PODS, LONGHORN, ETCD_QUORUM].flatMap((k) => Object.keys(k)))];

/** One type of check: its mapping, and its output with this type's keys only and the effective name. */
function checkType<const T extends CheckType, const E extends v.ObjectEntries>(type: T, own: E) {
  const entries = { type: v.literal(type), ...COMMON, ...own };
  const refuse = v.nullish(v.never(`does not apply to a ${type} check (its keys: ${Object.keys(own).join(", ") || "none"})`));
  const others = Object.fromEntries(ALL_KEYS.filter((k) => !(k in entries)).map((k) => [k, refuse]));
  return v.pipe(
    closedObject({ ...entries, ...others } as typeof entries),
    // Another type's key given as null (unset) passed above; the output does not carry it along.
    v.transform((c) => {
      const own = Object.fromEntries(Object.keys(entries).map((k) => [k, (c as Record<string, unknown>)[k]])) as typeof c;
      return { ...own, name: checkName(c) };
    }),
  );
}

// The rules on a whole check read only `type`, valid inside its variant option, so each runs even
// when a key it looks at has a problem of its own (a relative cert_file still lacks its key_file).
const PrometheusKeys = checkType("prometheus", PROMETHEUS);
type P = v.InferOutput<typeof PrometheusKeys>;
/** What the rules leave: a query with its condition, or alerts. */
type Mode = (P & { query: string; pass_if: NonNullable<P["pass_if"]>; alerts: null }) | (P & { alerts: NonNullable<P["alerts"]> });
const queryOnly = "only applies to query, not to alerts";
/** The rules after the first look at a check only once it has exactly one of query and alerts. */
const either = (c: P) => (c.query === null) !== (c.alerts === null);
const Prometheus = v.pipe(
  PrometheusKeys,
  v.partialCheck([["type"]], either, "a prometheus check needs exactly one of query (with pass_if) or alerts"),
  v.forward(v.partialCheck([["type"]], (c: P) => !either(c) || c.query === null || c.pass_if !== null, `is required with query: the condition every sample must meet, e.g. "< 0.05"`), ["pass_if"]),
  v.forward(v.partialCheck([["type"]], (c: P) => !either(c) || c.alerts === null || c.pass_if === null, queryOnly), ["pass_if"]),
  v.forward(v.partialCheck([["type"]], (c: P) => !either(c) || c.alerts === null || c.pass_if !== null || c.on_empty === null, queryOnly), ["on_empty"]),
  // Reached only when the rules held (a transformation never runs after a problem): tells the types.
  v.guard((c: P): c is Mode => c.alerts !== null || (c.query !== null && c.pass_if !== null)),
  v.transform((c: Mode) => {
    if (c.alerts !== null) {
      const { query: _q, pass_if: _p, on_empty: _e, ...alerts } = c;
      return { ...alerts, mode: "alerts" as const };
    }
    const { alerts: _a, ...query } = c;
    return { ...query, mode: "query" as const, on_empty: c.on_empty ?? "fail" };
  }),
);

const EtcdQuorumKeys = checkType("etcd_quorum", ETCD_QUORUM);
type Q = v.InferOutput<typeof EtcdQuorumKeys>;
const EtcdQuorum = v.pipe(
  EtcdQuorumKeys,
  v.forward(v.partialCheck([["type"]], (c: Q) => c.cert_file !== null || c.key_file === null, "cert_file and key_file go together"), ["cert_file"]),
  v.forward(v.partialCheck([["type"]], (c: Q) => c.key_file !== null || c.cert_file === null, "cert_file and key_file go together"), ["key_file"]),
  v.transform(({ endpoint: { text, url }, ...c }) => {
    // k3s's TLS files are the defaults only for an https endpoint; a plain-http etcd needs none.
    const https = url.protocol === "https:";
    const k3s = https && c.cert_file === null && c.key_file === null;
    return {
      ...c,
      endpoint: text,
      ca_file: c.ca_file ?? (https ? K3S_ETCD.ca_file : null),
      cert_file: c.cert_file ?? (k3s ? K3S_ETCD.cert_file : null),
      key_file: c.key_file ?? (k3s ? K3S_ETCD.key_file : null),
      // Members are dialled by IP (k3s advertises https://<node-ip>:2379) and gRPC under Bun cannot
      // verify an IP as a TLS name; every k3s etcd server certificate carries DNS:localhost.
      server_name: c.server_name ?? (https && /^(\[.*\]|\d+\.\d+\.\d+\.\d+)$/.test(url.hostname) ? "localhost" : null),
    };
  }),
);

/** The check's effective name: `name`, else `http:<url>`, `prometheus:<query>`/`prometheus:alerts`, or the type. */
function checkName(c: { name?: unknown; type?: unknown; url?: unknown; query?: unknown }): string {
  if (typeof c.name === "string" && c.name.trim() !== "") return c.name.trim();
  if (c.type === "http") return `http:${String(c.url ?? "")}`;
  if (c.type === "prometheus") return typeof c.query === "string" ? `prometheus:${c.query}` : "prometheus:alerts";
  return String(c.type ?? "");
}

/** One `health_checks[i]`: a tagged union by `type`, every default filled in. */
export const HealthCheck = mapping(
  v.variant(
    "type",
    [checkType("http", HTTP), Prometheus, checkType("kubernetes_nodes_ready", NODES_READY), checkType("kubernetes_pods", PODS), checkType("longhorn", LONGHORN), EtcdQuorum],
    // The variant words both its own problems: not a mapping (no path), or a bad `type`.
    (issue) => (issue.path === undefined ? fallbackMessage(issue) : issue.input === undefined ? "is required" : expected(CHECK_TYPES.map((t) => JSON.stringify(t)).join(", "))(issue)),
  ),
);
export type HealthCheckConfig = v.InferOutput<typeof HealthCheck>;

/** Unique check names; a check that did not parse is named from what was written. */
const uniqueCheckNames = uniqueNames<HealthCheckConfig>(
  (c) => checkName(c) || undefined,
  (name, first) => ({ message: `duplicate check name ${JSON.stringify(name)} (also health_checks[${first}]); set a unique name` }),
);

/** `health_checks:` — default []. Wire as `health_checks: HealthChecksSchema`. */
export const HealthChecksSchema = v.nullish(v.pipe(v.array(HealthCheck, expected("a list of checks")), uniqueCheckNames), () => []);

/** Types of check that talk to the Kubernetes API (they need the `kubernetes:` block). */
const KUBERNETES_CHECK_TYPES: readonly CheckType[] = ["kubernetes_nodes_ready", "kubernetes_pods", "longhorn"];

/**
 * Top-level rule (schema.ts): Kubernetes checks use the `kubernetes:` block's connection, so it
 * must be present (with `drain: {enabled: false}` when only the checks are wanted).
 */
export function kubernetesChecksProblems(c: unknown): { path: PathKey[]; message: string }[] {
  const checks = get(c, "health_checks");
  if ((get(c, "kubernetes") ?? null) !== null || !Array.isArray(checks)) return [];
  return checks.flatMap((x: unknown, i) =>
    x !== null && typeof x === "object" && KUBERNETES_CHECK_TYPES.includes((x as { type: CheckType }).type)
      ? [{ path: ["health_checks", i, "type"], message: `a ${(x as { type: string }).type} check needs the kubernetes: block (how to reach the API server); add "kubernetes: {drain: {enabled: false}}" for checks only` }]
      : [],
  );
}

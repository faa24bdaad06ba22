/**
 * The config schema: every key (`_keys.ts`), then the rules that relate several top-level keys,
 * then the final shape. Each message says why the rule exists, because the fix is usually "raise
 * one of two numbers" and the operator has to know which.
 *
 * A rule is `forward(partialCheck(paths, …), path)`: it runs when the keys it reads have no
 * problem of their own (`checked`), so one load reports every problem (W14). It then also skips a
 * key a rule above it reported at, so a rule comes before every rule that reports at a key it
 * reads: with Go's `lock_ttl_sec: 5` and another problem in the file, both the
 * etcd_request_timeout_sec and the lock_ttl_sec problem are still reported. A rule with one
 * problem per entry is a rawCheck (a partialCheck reports one problem).
 */
import * as v from "valibot";
import { endpointUrl, type Endpoint } from "./_addresses.ts";
import { kubernetesChecksProblems } from "./_checks.ts";
import { checked, get } from "./_fields.ts";
import { pathTo } from "./_issues.ts";
import { ConfigObject, type ConfigObjectOutput } from "./_keys.ts";

type C = ConfigObjectOutput;

/**
 * One rule: `ok` reads the keys `reads` (each clean, see above) and a problem is reported at `at`.
 * The paths are built from key names, which valibot's tuple types cannot follow: hence the cast.
 */
function rule<K extends keyof C>(at: K, reads: readonly K[], ok: (c: Pick<C, K>) => boolean, message: string | ((c: Pick<C, K>) => string)) {
  const text = (i: v.BaseIssue<unknown>) => (typeof message === "string" ? message : message(i.input as Pick<C, K>));
  const partialCheck = v.partialCheck as (paths: string[][], ok: (c: Pick<C, K>) => boolean, message: typeof text) => v.BaseValidation<C, C, v.BaseIssue<unknown>>;
  const check = partialCheck(reads.map((k) => [k as string]), ok, text);
  return v.forward(check, [at] as never);
}

/**
 * Kubernetes checks use the `kubernetes:` block's connection, so it must be present; one problem
 * per check, and only when both keys are clean (a broken check or block has its own problem).
 */
const kubernetesChecks = v.rawCheck<ConfigObjectOutput>(({ dataset, addIssue }) => {
  if (dataset.issues?.some((i) => ["kubernetes", "health_checks"].includes(String(i.path?.[0]?.key)))) return;
  for (const p of kubernetesChecksProblems(dataset.value)) addIssue({ message: p.message, path: pathTo(dataset.value, p.path) });
});

/**
 * Scheme/TLS agreement and duplicates, one problem per endpoint. Format errors were reported per
 * item by the schema, and such items are still raw input here: skipped. Reads only the TLS switch
 * (a switch that is not true or false has its own problem), so one bad entry hides nothing.
 */
const endpointRules = v.rawCheck<ConfigObjectOutput>(({ dataset, addIssue }) => {
  const tls = get(get(dataset.value, "etcd_tls"), "enabled");
  const endpoints = get(dataset.value, "etcd_endpoints");
  if (typeof tls !== "boolean" || !Array.isArray(endpoints)) return;
  const seen = new Map<string, number>();
  endpoints.forEach((e: unknown, i) => {
    if (!isParsedEndpoint(e)) return;
    const problem = (message: string) => addIssue({ message, path: pathTo(dataset.value, ["etcd_endpoints", i]) });
    if (e.scheme === "http" && tls) problem(`${JSON.stringify(e.text)} is plain text but etcd_tls.enabled is true; use https:// or host:port`);
    else if (e.scheme === "https" && !tls) problem(`${JSON.stringify(e.text)} needs etcd_tls.enabled: true (with ca_file)`);
    const url = endpointUrl(e, tls);
    const first = seen.get(url);
    if (first === undefined) seen.set(url, i);
    else problem(`duplicate endpoint ${url} (also etcd_endpoints[${first}])`);
  });
});

function isParsedEndpoint(e: unknown): e is Endpoint {
  const x = e as Partial<Endpoint> | null;
  return typeof x === "object" && x !== null && typeof x.text === "string" && typeof x.host === "string" && typeof x.port === "number";
}

/**
 * Final shape: endpoints as URLs with a scheme, which is what the etcd client needs, and the list
 * exactly as written, which is what scripts see in RC_ETCD_ENDPOINTS (as in the Go daemon).
 */
function finalizeConfig(c: ConfigObjectOutput) {
  const { set, ...windows } = c.windows;
  return {
    ...c,
    windows,
    /** The parsed windows: the gates evaluate these, nothing parses them again. */
    window_set: set,
    // With group_from_node_label the group is unknown until the label is read (cli/_group.ts):
    // null, so no code path can mistake it for "default" and count this node in the wrong budget.
    group: c.group_from_node_label === null ? (c.group ?? "default") : null,
    etcd_endpoints_configured: c.etcd_endpoints.map((e) => e.text),
    etcd_endpoints: c.etcd_endpoints.map((e) => endpointUrl(e, c.etcd_tls.enabled)),
  };
}

/** Parse input (the YAML document as plain data) into a defaulted, normalized `Config`. */
export const ConfigSchema = v.pipe(
  checked(ConfigObject),
  kubernetesChecks,
  rule(
    "fleetlock_client",
    ["etcd_endpoints", "lock_backend", "fleetlock_client"],
    (c) => c.lock_backend !== "fleetlock" || c.fleetlock_client !== null,
    "is required when lock_backend is fleetlock (the server's url at least)",
  ),
  rule(
    "etcd_endpoints",
    ["etcd_endpoints", "lock_backend", "fleetlock_client"],
    (c) => c.lock_backend === "fleetlock" || c.etcd_endpoints.length > 0,
    "must list at least one etcd endpoint (e.g. https://etcd1.example.internal:2379)",
  ),
  // Before the rule on reboot_slot_timeout_sec, which reports at a key this one reads.
  rule(
    "reboot_grace_sec",
    ["reboot_grace_sec", "reboot_slot_timeout_sec"],
    (c) => c.reboot_grace_sec < c.reboot_slot_timeout_sec,
    (c) =>
      `must be less than reboot_slot_timeout_sec (${c.reboot_slot_timeout_sec}), got ${c.reboot_grace_sec}: ` +
      "the slot must still be held while we wait for the machine to go down",
  ),
  // These two before the rule on lock_ttl_sec (Go's lock_ttl_sec: 5 breaks it and the second).
  rule(
    "reboot_slot_timeout_sec",
    ["reboot_slot_timeout_sec", "lock_ttl_sec"],
    (c) => c.reboot_slot_timeout_sec > c.lock_ttl_sec,
    (c) =>
      `must be greater than lock_ttl_sec (${c.lock_ttl_sec}), got ${c.reboot_slot_timeout_sec}: ` +
      "the slot of a rebooting node must outlast a slow reboot, which takes longer than a lease TTL",
  ),
  rule(
    "etcd_request_timeout_sec",
    ["etcd_request_timeout_sec", "lock_ttl_sec"],
    (c) => c.etcd_request_timeout_sec < c.lock_ttl_sec,
    (c) =>
      `must be less than lock_ttl_sec (${c.lock_ttl_sec}), got ${c.etcd_request_timeout_sec}: ` +
      "a request allowed to take longer than the lease TTL could outlive our own lease",
  ),
  rule(
    "lock_ttl_sec",
    ["lock_ttl_sec", "health_timeout_sec"],
    (c) => c.lock_ttl_sec > c.health_timeout_sec,
    (c) =>
      `must be greater than health_timeout_sec (${c.health_timeout_sec}), got ${c.lock_ttl_sec}: ` +
      "the lease must outlive a health-script run made while holding it, to avoid premature lease expiry",
  ),
  rule(
    "backoff_max_sec",
    ["backoff_min_sec", "backoff_max_sec"],
    (c) => c.backoff_max_sec >= c.backoff_min_sec,
    (c) => `must be ≥ backoff_min_sec (${c.backoff_min_sec}), got ${c.backoff_max_sec}`,
  ),
  // The group is either written or read from a label; the block is needed only for the label.
  rule(
    "group_from_node_label",
    ["group", "group_from_node_label", "kubernetes"],
    (c) => c.group_from_node_label === null || c.group === null,
    (c) =>
      `conflicts with group (${JSON.stringify(c.group)}): the group is either written here or read from the node label ` +
      `${JSON.stringify(c.group_from_node_label)}; remove one`,
  ),
  rule(
    "group_from_node_label",
    ["group", "group_from_node_label", "kubernetes"],
    (c) => c.group_from_node_label === null || c.group !== null || c.kubernetes !== null,
    (c) => `needs the kubernetes: block: the label ${JSON.stringify(c.group_from_node_label)} is read from this node's Kubernetes node object`,
  ),
  endpointRules,
  v.transform(finalizeConfig),
);

export type Config = v.InferOutput<typeof ConfigSchema>;

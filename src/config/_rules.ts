/**
 * Rules that relate several top-level keys, and the final normalization. Each message says why
 * the rule exists, because the fix is usually "raise one of two numbers" and the operator has to
 * know which.
 */
import { endpointUrl } from "./_addresses.ts";
import { crossChecks, type CrossProblem } from "./_cross.ts";
import type { ConfigObjectOutput } from "./schema.ts";
import { kubernetesChecksProblems } from "./_checks.ts";

type C = ConfigObjectOutput;

export const topLevelRules = crossChecks<C>([
  { reads: [["kubernetes"], ["health_checks"]], check: kubernetesChecksProblems },
  {
    reads: [["etcd_endpoints"], ["lock_backend"], ["fleetlock_client"]],
    check: (c) => {
      if (c.lock_backend === "fleetlock")
        return c.fleetlock_client ? [] : [{ path: ["fleetlock_client"], message: "is required when lock_backend is fleetlock (the server's url at least)" }];
      return c.etcd_endpoints.length > 0
        ? []
        : [{ path: ["etcd_endpoints"], message: "must list at least one etcd endpoint (e.g. https://etcd1.example.internal:2379)" }];
    },
  },
  {
    reads: [["lock_ttl_sec"], ["health_timeout_sec"]],
    check: (c) =>
      c.lock_ttl_sec > c.health_timeout_sec
        ? []
        : [
            {
              path: ["lock_ttl_sec"],
              message:
                `must be greater than health_timeout_sec (${c.health_timeout_sec}), got ${c.lock_ttl_sec}: ` +
                "the lease must outlive a health-script run made while holding it, to avoid premature lease expiry",
            },
          ],
  },
  {
    reads: [["backoff_min_sec"], ["backoff_max_sec"]],
    check: (c) =>
      c.backoff_max_sec >= c.backoff_min_sec
        ? []
        : [{ path: ["backoff_max_sec"], message: `must be ≥ backoff_min_sec (${c.backoff_min_sec}), got ${c.backoff_max_sec}` }],
  },
  {
    reads: [["reboot_slot_timeout_sec"], ["lock_ttl_sec"]],
    check: (c) =>
      c.reboot_slot_timeout_sec > c.lock_ttl_sec
        ? []
        : [
            {
              path: ["reboot_slot_timeout_sec"],
              message:
                `must be greater than lock_ttl_sec (${c.lock_ttl_sec}), got ${c.reboot_slot_timeout_sec}: ` +
                "the slot of a rebooting node must outlast a slow reboot, which takes longer than a lease TTL",
            },
          ],
  },
  {
    reads: [["reboot_grace_sec"], ["reboot_slot_timeout_sec"]],
    check: (c) =>
      c.reboot_grace_sec < c.reboot_slot_timeout_sec
        ? []
        : [
            {
              path: ["reboot_grace_sec"],
              message:
                `must be less than reboot_slot_timeout_sec (${c.reboot_slot_timeout_sec}), got ${c.reboot_grace_sec}: ` +
                "the slot must still be held while we wait for the machine to go down",
            },
          ],
  },
  {
    reads: [["etcd_request_timeout_sec"], ["lock_ttl_sec"]],
    check: (c) =>
      c.etcd_request_timeout_sec < c.lock_ttl_sec
        ? []
        : [
            {
              path: ["etcd_request_timeout_sec"],
              message:
                `must be less than lock_ttl_sec (${c.lock_ttl_sec}), got ${c.etcd_request_timeout_sec}: ` +
                "a request allowed to take longer than the lease TTL could outlive our own lease",
            },
          ],
  },
  {
    reads: [["group"], ["group_from_node_label"], ["kubernetes"]],
    check: (c) => {
      if (c.group_from_node_label === null) return [];
      const label = JSON.stringify(c.group_from_node_label);
      if (c.group !== null)
        return [{ path: ["group_from_node_label"], message: `conflicts with group (${JSON.stringify(c.group)}): the group is either written here or read from the node label ${label}; remove one` }];
      return c.kubernetes === null
        ? [{ path: ["group_from_node_label"], message: `needs the kubernetes: block: the label ${label} is read from this node's Kubernetes node object` }]
        : [];
    },
  },
  // Reads only the TLS switch: endpoints are checked one by one, so one bad entry hides nothing.
  { reads: [["etcd_tls", "enabled"]], check: endpointProblems },
]);

/** Scheme/TLS agreement and duplicates; format errors were reported per item by the schema. */
function endpointProblems(c: C): CrossProblem[] {
  const problems: CrossProblem[] = [];
  const tls = c.etcd_tls.enabled;
  const seen = new Map<string, number>();
  const endpoints: unknown = c.etcd_endpoints;
  if (!Array.isArray(endpoints)) return [];
  // Items that did not parse are still raw input here (and have their own problem).
  endpoints.forEach((e: unknown, i) => {
    if (!isParsedEndpoint(e)) return;
    const path = ["etcd_endpoints", i];
    const raw = e.text;
    if (e.scheme === "http" && tls) {
      problems.push({ path, message: `${JSON.stringify(raw)} is plain text but etcd_tls.enabled is true; use https:// or host:port` });
    } else if (e.scheme === "https" && !tls) {
      problems.push({
        path,
        message: `${JSON.stringify(raw)} needs etcd_tls.enabled: true (with ca_file)`,
      });
    }
    const url = endpointUrl(e, tls);
    const first = seen.get(url);
    if (first === undefined) seen.set(url, i);
    else problems.push({ path, message: `duplicate endpoint ${url} (also etcd_endpoints[${first}])` });
  });
  return problems;
}

function isParsedEndpoint(e: unknown): e is C["etcd_endpoints"][number] {
  const x = e as Partial<C["etcd_endpoints"][number]> | null;
  return typeof x === "object" && x !== null && typeof x.text === "string" && typeof x.host === "string" && typeof x.port === "number";
}

/**
 * Final shape: endpoints as URLs with a scheme, which is what the etcd client needs, and the list
 * exactly as written, which is what scripts see in RC_ETCD_ENDPOINTS (as in the Go daemon).
 */
export function finalizeConfig(c: C) {
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

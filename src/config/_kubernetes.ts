/**
 * The optional `kubernetes:` block: how to reach the API server (k3s's kubeconfig by default, or
 * the pod's service account) and how to drain this node while it holds a reboot slot. Absent
 * (null) = no Kubernetes integration at all: plain-Linux fleets never touch an API server.
 *
 * Also home of the label-selector syntax check, shared with `health_checks` (`_checks.ts`): a
 * typo in a selector must fail at load time, not as a 400 in the middle of a drain.
 */
import * as v from "valibot";
import { closed } from "./_issues.ts";
import { bool, expected, get, optSeconds, problemCheck, seconds, str } from "./_fields.ts";

/** Where k3s writes an admin kubeconfig on every server node (client certificate auth). */
export const DEFAULT_KUBECONFIG = "/etc/rancher/k3s/k3s.yaml";
/** `kubeconfig: in-cluster`: service-account token and CA at the standard paths (a DaemonSet pod). */
export const IN_CLUSTER = "in-cluster";
/** kured and kubectl wait forever by default; a slot held forever blocks the whole group. */
export const DEFAULT_DRAIN_TIMEOUT_SEC = 600;
export const DEFAULT_KUBE_REQUEST_TIMEOUT_SEC = 10;

/** Kubernetes object names (nodes): DNS-1123 subdomains, lower case, ≤ 253 characters. */
const DNS_SUBDOMAIN_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function kubeNameProblem(s: string): string | null {
  return DNS_SUBDOMAIN_RE.test(s)
    ? null
    : `must be a Kubernetes node name (lower-case DNS subdomain: a-z 0-9 - ., ≤ 253 characters), got ${JSON.stringify(s)}`;
}

// --- label selectors (k8s.io/apimachinery/pkg/labels syntax) ---

const LABEL_NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const LABEL_PREFIX_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function labelKeyProblem(key: string): string | null {
  const slash = key.indexOf("/");
  const [prefix, name] = slash === -1 ? [null, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== null && !LABEL_PREFIX_RE.test(prefix)) return `label key prefix ${JSON.stringify(prefix)} is not a DNS subdomain`;
  if (!LABEL_NAME_RE.test(name)) return `label key ${JSON.stringify(key)} is invalid (≤ 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)`;
  return null;
}

const valueProblem = (value: string) => (LABEL_VALUE_RE.test(value) ? null : `label value ${JSON.stringify(value)} is invalid`);

/** Splits on commas outside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function splitRequirements(s: string): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0 || depth > 1) return null;
    if (ch === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (depth !== 0) return null;
  out.push(cur.trim());
  return out;
}

/**
 * The problem with a label selector such as `app=web,tier!=cache,env in (a,b),!legacy`, or null.
 * "" selects everything. Same grammar as kubectl's `-l`.
 */
export function labelSelectorProblem(selector: string): string | null {
  if (selector.trim() === "") return null;
  const reqs = splitRequirements(selector);
  if (reqs === null) return `unbalanced parentheses in label selector ${JSON.stringify(selector)}`;
  for (const req of reqs) {
    const problem = requirementProblem(req);
    if (problem !== null) return `${problem} in label selector ${JSON.stringify(selector)}`;
  }
  return null;
}

function requirementProblem(req: string): string | null {
  if (req === "") return "empty requirement (stray comma)";
  let m = /^!\s*(\S+)$/.exec(req);
  if (m) return labelKeyProblem(m[1]!);
  m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(req);
  if (m) return labelKeyProblem(m[1]!) ?? valueProblem(m[3]!);
  m = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req);
  if (m) {
    const values = m[3]!.split(",").map((x) => x.trim());
    return labelKeyProblem(m[1]!) ?? values.map(valueProblem).find((p) => p !== null) ?? null;
  }
  if (/^\S+$/.test(req)) return labelKeyProblem(req);
  return `cannot parse requirement ${JSON.stringify(req)} (expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b))`;
}

/** A label selector string ("" = everything), checked for syntax. */
/** A label key (`topology.kubernetes.io/zone`), e.g. the one `group_from_node_label` names. */
export const labelKeySchema = v.pipe(v.string(expected("a label key")), problemCheck(labelKeyProblem));

export const labelSelector = (def: string) =>
  v.nullish(v.pipe(v.string(expected("a label selector such as app=web,tier!=cache")), problemCheck(labelSelectorProblem)), def);

// --- the block ---

const DrainObject = closed({
  /** false: connect (for kubernetes health checks and annotations) but never cordon or evict. */
  enabled: bool(true),
  /** Give up after this long; then `on_timeout` decides. */
  timeout_sec: seconds(1, DEFAULT_DRAIN_TIMEOUT_SEC),
  /** Grace period passed with each eviction; null (default) = each pod's terminationGracePeriodSeconds. */
  grace_period_sec: optSeconds(0),
  /** kubectl's --delete-emptydir-data: evict pods whose emptyDir data is then lost. Default false = refuse to drain. */
  delete_emptydir_data: bool(false),
  /** kubectl's --force: evict pods no controller recreates (they are gone for good). Default false = refuse to drain. */
  evict_unmanaged_pods: bool(false),
  /** Only pods matching this selector are evicted (kured's --drain-pod-selector); "" = all. */
  pod_selector: labelSelector(""),
  /** abort: uncordon and give the slot back; force: delete the pods that are left and reboot. */
  on_timeout: v.nullish(v.picklist(["abort", "force"], expected(`"abort" or "force"`)), "abort"),
});

const KubernetesObject = closed({
  /** Path of a kubeconfig, or "in-cluster". Default: k3s's /etc/rancher/k3s/k3s.yaml. */
  kubeconfig: v.nullish(
    v.pipe(
      v.string(expected(`an absolute path or "in-cluster"`)),
      problemCheck((s: string) =>
        s === IN_CLUSTER || s.startsWith("/") ? null : `must be an absolute path or "in-cluster", got ${JSON.stringify(s)}`,
      ),
    ),
    DEFAULT_KUBECONFIG,
  ),
  /** Kubeconfig context; null (default) = its current-context. */
  context: str(null),
  /** This node's Kubernetes name; null (default) = node_name. */
  node_name: v.nullish(v.pipe(v.string(expected("a Kubernetes node name")), problemCheck(kubeNameProblem)), null),
  /** Deadline of one API request. */
  request_timeout_sec: seconds(1, DEFAULT_KUBE_REQUEST_TIMEOUT_SEC),
  drain: v.nullish(DrainObject, {}),
});

/** `kubernetes:` — null (absent) = no Kubernetes integration. Wire as `kubernetes: KubernetesSchema`. */
export const KubernetesSchema = v.nullish(KubernetesObject, null);
export type KubernetesConfig = v.InferOutput<typeof KubernetesObject>;
export type DrainConfig = KubernetesConfig["drain"];

/**
 * Load-time warnings for `_files.ts` (`fileChecks`): files the Kubernetes integration and the
 * built-in checks will read. Warnings, not problems: on a k3s server these files appear only once
 * k3s has started, and until they do every drain and check fails closed (no reboot), which is safe.
 */
export async function kubernetesFileWarnings(cfg: unknown, readFile: (path: string) => Promise<string>): Promise<string[]> {
  const wanted: { path: string; where: string }[] = [];
  const kubeconfig = get(get(cfg, "kubernetes"), "kubeconfig");
  if (typeof kubeconfig === "string" && kubeconfig !== IN_CLUSTER) wanted.push({ path: kubeconfig, where: "kubernetes.kubeconfig" });
  const checks = get(cfg, "health_checks");
  if (Array.isArray(checks)) {
    checks.forEach((c: unknown, i) => {
      for (const key of ["ca_file", "cert_file", "key_file"]) {
        const path = get(c, key);
        if (typeof path === "string") wanted.push({ path, where: `health_checks[${i}].${key}` });
      }
    });
  }
  const out = await Promise.all(
    wanted.map(async ({ path, where }) => {
      try {
        await readFile(path);
        return [];
      } catch (e) {
        const why = e instanceof Error && "code" in e && e.code === "ENOENT" ? "does not exist (yet)" : "cannot be read";
        return [`${where}: ${path} ${why}; what needs it fails (and blocks reboots) until it can be read`];
      }
    }),
  );
  return out.flat();
}

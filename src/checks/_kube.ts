/**
 * Checks that ask the Kubernetes API: enough nodes Ready, no blocking pod on this node (kured's
 * --blocking-pod-selector), and Longhorn volumes that survive this node going away for a while.
 * An API error is an `error` verdict: we cannot tell, so we do not reboot.
 */
import { describeApiFailure, LonghornReplicaSchema, LonghornVolumeSchema, type KubeApi, type LonghornReplica } from "../kube/index.ts";
import * as v from "valibot";
import type { CheckDeps, SpecOf, Verdict } from "./types.ts";

const MAX_LISTED = 5;

function needKube(deps: CheckDeps): KubeApi | Verdict {
  return deps.kube ?? { kind: "error", message: "no Kubernetes connection configured (add the kubernetes: block)" };
}

export async function nodesReadyCheck(spec: SpecOf<"kubernetes_nodes_ready">, deps: CheckDeps, signal: AbortSignal): Promise<Verdict> {
  const api = needKube(deps);
  if ("kind" in api) return api;
  const r = await api.listNodes(spec.selector, signal);
  if (r.kind !== "ok") return { kind: "error", message: `listing nodes: ${describeApiFailure(r)}` };
  const ready = r.value.filter((n) => (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"));
  const notReady = r.value.filter((n) => !ready.includes(n)).map((n) => n.metadata.name);
  const need = spec.min_ready ?? r.value.length;
  const sel = spec.selector ? ` matching ${spec.selector}` : "";
  if (r.value.length === 0) return { kind: "fail", message: `no nodes${sel}` };
  const summary = `${ready.length}/${r.value.length} nodes${sel} Ready (need ${spec.min_ready === null ? "all" : need})`;
  return ready.length >= need
    ? { kind: "pass", message: summary }
    : { kind: "fail", message: `${summary}; not Ready: ${listed(notReady)}` };
}

export async function podsCheck(spec: SpecOf<"kubernetes_pods">, deps: CheckDeps, signal: AbortSignal): Promise<Verdict> {
  const api = needKube(deps);
  if ("kind" in api) return api;
  // kured's filter: finished pods do not block.
  const fieldSelector = `spec.nodeName=${deps.node},status.phase!=Succeeded,status.phase!=Failed`;
  const r = await api.listPods({ fieldSelector, labelSelector: spec.selector, namespace: spec.namespace }, signal);
  if (r.kind !== "ok") return { kind: "error", message: `listing pods on ${deps.node}: ${describeApiFailure(r)}` };
  if (r.value.length === 0) return { kind: "pass", message: `no pods matching ${spec.selector} on ${deps.node}` };
  const names = r.value.map((p) => `${p.metadata.namespace ?? "default"}/${p.metadata.name}`);
  return { kind: "fail", message: `blocking pods on ${deps.node} (${spec.selector}): ${listed(names)}` };
}

/**
 * Longhorn: no degraded or faulted volume, and no volume whose healthy replicas are all on this
 * node (rebooting it would take the volume's last good copy offline; if the node does not come
 * back, the data is gone).
 */
export async function longhornCheck(spec: SpecOf<"longhorn">, deps: CheckDeps, signal: AbortSignal): Promise<Verdict> {
  const api = needKube(deps);
  if ("kind" in api) return api;
  const [vols, reps] = await Promise.all([
    api.listCustom("longhorn.io", "v1beta2", spec.namespace, "volumes", signal),
    api.listCustom("longhorn.io", "v1beta2", spec.namespace, "replicas", signal),
  ]);
  if (vols.kind !== "ok") return { kind: "error", message: `listing Longhorn volumes: ${describeApiFailure(vols)}` };
  if (reps.kind !== "ok") return { kind: "error", message: `listing Longhorn replicas: ${describeApiFailure(reps)}` };
  const volumes = parseAll(LonghornVolumeSchema, vols.value, "volume");
  const replicas = parseAll(LonghornReplicaSchema, reps.value, "replica");
  if (typeof volumes === "string") return { kind: "error", message: volumes };
  if (typeof replicas === "string") return { kind: "error", message: replicas };

  const healthyByVolume = new Map<string, LonghornReplica[]>();
  for (const r of replicas) {
    if (!isHealthy(r)) continue;
    healthyByVolume.set(r.spec.volumeName, [...(healthyByVolume.get(r.spec.volumeName) ?? []), r]);
  }
  const problems: string[] = [];
  let checked = 0;
  for (const vol of volumes) {
    const name = vol.metadata.name;
    if (spec.ignore_volumes.includes(name)) continue;
    checked++;
    const robustness = vol.status?.robustness ?? "unknown";
    if (robustness === "degraded" || robustness === "faulted") {
      problems.push(`${name} is ${robustness}`);
      continue;
    }
    const healthy = healthyByVolume.get(name) ?? [];
    if (healthy.length > 0 && healthy.every((r) => r.spec.nodeID === deps.node)) {
      problems.push(`${name} has its only healthy replica${healthy.length > 1 ? "s" : ""} on ${deps.node}`);
    }
  }
  if (problems.length === 0) return { kind: "pass", message: `${checked} Longhorn volume(s) healthy with replicas off ${deps.node}` };
  return { kind: "fail", message: `Longhorn: ${listed(problems)}` };
}

// --- internal ---

/** Longhorn marks a replica healthy once rebuilt (healthyAt) and failed with failedAt; running when attached. */
function isHealthy(r: LonghornReplica): boolean {
  if (r.spec.failedAt || r.status?.failedAt) return false;
  if (!r.spec.healthyAt && !r.status?.healthyAt) return false;
  const state = r.status?.currentState;
  return state === undefined || state === null || state === "running" || state === "stopped";
}

function parseAll<S extends v.GenericSchema>(schema: S, items: unknown[], what: string): v.InferOutput<S>[] | string {
  const out: v.InferOutput<S>[] = [];
  for (const [i, item] of items.entries()) {
    const r = v.safeParse(schema, item);
    if (!r.success) return `malformed Longhorn ${what} #${i}: ${r.issues[0]?.message ?? "invalid"}`;
    out.push(r.output);
  }
  return out;
}

function listed(items: string[]): string {
  return items.length <= MAX_LISTED ? items.join(", ") : `${items.slice(0, MAX_LISTED).join(", ")} and ${items.length - MAX_LISTED} more`;
}

/**
 * Front door of kube/: cordon, PDB-aware drain, uncordon and node annotations for k3s/Kubernetes
 * fleets, over a small fetch-based API client (see api.ts for why not @kubernetes/client-node).
 */
import type { KubernetesConfig } from "../config/index.ts";
import type { Logger } from "../observe/index.ts";
import type { Clock, Fs } from "../platform/index.ts";
import { createKubeApi, type KubeApi } from "./api.ts";
import { inClusterLoader, kubeconfigLoader, type ConnectionLoader } from "./connection.ts";
import { drainNode } from "./drain.ts";
import { annotate, readState, restore } from "./_node.ts";
import type { DrainOptions, Kube } from "./types.ts";

export type * from "./types.ts";
export { createKubeApi, describeApiFailure, type ApiResult, type KubeApi, type KubeApiOptions, type PatchType } from "./api.ts";
export { backoffDelays } from "./drain.ts";
export { inClusterLoader, kubeconfigLoader, parseKubeconfig, type ConnectionLoader, type ConnectionResult, type KubeConnection } from "./connection.ts";
export { readNodeLabel, type NodeLabelResult } from "./label.ts";
export type { LonghornReplica, LonghornVolume, Node, Pod } from "./objects.ts";
export { LonghornReplicaSchema, LonghornVolumeSchema } from "./objects.ts";

export interface KubeDeps {
  api: KubeApi;
  clock: Clock;
  log?: Logger;
}

/** The drain/restore/annotate surface over an API client. Holds no state of its own. */
export function createKube(deps: KubeDeps): Kube {
  return {
    drain: (node, opts, signal) => drainNode(deps, node, opts, signal),
    restore: (node) => restore(deps.api, node),
    annotate: (node, state) => annotate(deps.api, node, state),
    readState: (node) => readState(deps.api, node),
  };
}

export interface KubeSetup {
  kube: Kube;
  /** Read-only calls for the kubernetes health checks share the same client. */
  api: KubeApi;
  /** This node's Kubernetes name (`kubernetes.node_name`, else `node_name`). */
  node: string;
  /** null when `kubernetes.drain.enabled` is false: connect, annotate and check, but never cordon. */
  drain: DrainOptions | null;
}

/** Builds everything from the `kubernetes:` block. Nothing is contacted until the first call. */
export function kubeFromConfig(
  k: KubernetesConfig,
  nodeName: string,
  ports: { clock: Clock; fs: Fs; env: Record<string, string | undefined>; log?: Logger },
): KubeSetup {
  const load: ConnectionLoader =
    k.kubeconfig === "in-cluster" ? inClusterLoader(ports.env, ports.fs) : kubeconfigLoader(k.kubeconfig, k.context, ports.fs);
  const api = createKubeApi({ load, clock: ports.clock, timeoutMs: k.request_timeout_sec * 1000 });
  return {
    kube: createKube({ api, clock: ports.clock, ...(ports.log ? { log: ports.log } : {}) }),
    api,
    node: k.node_name ?? nodeName,
    drain: drainOptionsFromConfig(k),
  };
}

export function drainOptionsFromConfig(k: KubernetesConfig): DrainOptions | null {
  const d = k.drain;
  if (!d.enabled) return null;
  return {
    timeoutMs: d.timeout_sec * 1000,
    gracePeriodSec: d.grace_period_sec,
    deleteEmptyDirData: d.delete_emptydir_data,
    evictUnmanagedPods: d.evict_unmanaged_pods,
    podSelector: d.pod_selector,
    onTimeout: d.on_timeout,
  };
}

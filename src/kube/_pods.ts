/**
 * Which pods a drain evicts, skips or refuses to touch: kubectl drain's filters, decided per pod
 * and kept pure so the table test covers every case.
 */
import type { Pod } from "./objects.ts";
import type { PodRef, SkippedPod } from "./types.ts";

/** Set by the kubelet on the API copy of a static pod; evicting it does nothing. */
export const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

export type PodPlan =
  | { kind: "skip"; why: SkippedPod["why"] } // stays: DaemonSet (would come straight back), mirror (static), finished
  | { kind: "refuse"; why: string } // evicting it would lose something the config did not allow
  | { kind: "evict" } // evict through the Eviction API
  | { kind: "wait" }; // already terminating: wait for it to go

export interface PodPolicy {
  deleteEmptyDirData: boolean;
  evictUnmanagedPods: boolean;
}

export function planPod(pod: Pod, policy: PodPolicy): PodPlan {
  const annotations = pod.metadata.annotations ?? {};
  if (Object.hasOwn(annotations, MIRROR_ANNOTATION)) return { kind: "skip", why: "mirror" };
  const controller = (pod.metadata.ownerReferences ?? []).find((o) => o.controller === true);
  if (controller?.kind === "DaemonSet") return { kind: "skip", why: "daemonset" };
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return { kind: "skip", why: "finished" };
  if (pod.metadata.deletionTimestamp) return { kind: "wait" };
  const emptyDirs = (pod.spec?.volumes ?? []).filter((vol) => vol.emptyDir !== undefined && vol.emptyDir !== null);
  if (emptyDirs.length > 0 && !policy.deleteEmptyDirData) {
    return {
      kind: "refuse",
      why: `uses emptyDir volume${emptyDirs.length > 1 ? "s" : ""} ${emptyDirs.map((x) => x.name).join(", ")} (data lost on eviction; set kubernetes.drain.delete_emptydir_data: true to allow)`,
    };
  }
  if (controller === undefined && !policy.evictUnmanagedPods) {
    return { kind: "refuse", why: "has no controller, so nothing would recreate it (set kubernetes.drain.evict_unmanaged_pods: true to allow)" };
  }
  return { kind: "evict" };
}

export const podRef = (pod: Pod): PodRef => ({ namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name });
export const podLabel = (p: PodRef) => `${p.namespace}/${p.name}`;

/** Which pods a drain evicts, skips, waits for or refuses (kubectl drain's filters), and the backoff. */
import { describe, expect, test } from "bun:test";
import { backoffDelays, type Pod } from "../../../src/kube/index.ts";
import { MIRROR_ANNOTATION, planPod, type PodPlan } from "../../../src/kube/_pods.ts";

function pod(o: { owner?: string | null; phase?: string; emptyDir?: boolean; mirror?: boolean; deleting?: boolean; controller?: boolean } = {}): Pod {
  const owner = o.owner === undefined ? "ReplicaSet" : o.owner;
  return {
    metadata: {
      name: "p",
      namespace: "default",
      uid: "u1",
      annotations: o.mirror ? { [MIRROR_ANNOTATION]: "hash" } : {},
      ownerReferences: owner === null ? [] : [{ kind: owner, name: "o", controller: o.controller ?? true }],
      ...(o.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    spec: { nodeName: "pi-03", volumes: o.emptyDir ? [{ name: "cache", emptyDir: {} }, { name: "tmp", emptyDir: { medium: "Memory" } }] : [{ name: "data", persistentVolumeClaim: {} }] },
    status: { phase: o.phase ?? "Running" },
  };
}

const strict = { deleteEmptyDirData: false, evictUnmanagedPods: false };
const lenient = { deleteEmptyDirData: true, evictUnmanagedPods: true };

describe("planPod", () => {
  test.each<[string, PodPlan["kind"], string, Pod, typeof strict]>([
    ["a Deployment pod", "evict", "", pod(), strict],
    ["a StatefulSet pod", "evict", "", pod({ owner: "StatefulSet" }), strict],
    ["a DaemonSet pod", "skip", "daemonset", pod({ owner: "DaemonSet" }), strict],
    ["a DaemonSet pod with emptyDir", "skip", "daemonset", pod({ owner: "DaemonSet", emptyDir: true }), strict],
    ["a mirror (static) pod", "skip", "mirror", pod({ owner: "Node", mirror: true }), strict],
    ["a finished Job pod", "skip", "finished", pod({ owner: "Job", phase: "Succeeded" }), strict],
    ["a failed unmanaged pod", "skip", "finished", pod({ owner: null, phase: "Failed" }), strict],
    ["a pod already terminating", "wait", "", pod({ deleting: true, emptyDir: true }), strict],
    ["a pod with emptyDir", "refuse", "emptyDir volumes cache, tmp", pod({ emptyDir: true }), strict],
    ["a pod with emptyDir, allowed", "evict", "", pod({ emptyDir: true }), lenient],
    ["an unmanaged pod", "refuse", "no controller", pod({ owner: null }), strict],
    ["an owner that is not the controller", "refuse", "no controller", pod({ controller: false }), strict],
    ["an unmanaged pod, allowed", "evict", "", pod({ owner: null }), lenient],
  ])("%s → %s", (_what, kind, detail, p, policy) => {
    const plan = planPod(p, policy);
    expect(plan.kind).toBe(kind);
    expect("why" in plan ? plan.why : "").toContain(detail);
  });
});

describe("backoffDelays", () => {
  test.each([
    [1_000, 10_000, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]],
    [500, 500, [500, 500, 500]],
  ])("from %i ms capped at %i ms", (min, max, expected) => {
    const it = backoffDelays(min, max);
    expect(expected.map(() => it.next().value)).toEqual(expected);
  });
});

/**
 * Our bookkeeping on the Node object itself, so a restarted daemon (or an operator with kubectl)
 * can see what we did and finish or undo it; nothing about a drain lives only in memory.
 *
 *   clusterrebootd/state                 draining | rebooting | verifying
 *   clusterrebootd/prior-unschedulable   "false" = we cordoned it, restore uncordons; "true" = it was
 *                                        already cordoned by someone else, restore leaves it cordoned
 *   clusterrebootd/drain-started         when our drain first cordoned it (ISO 8601)
 *
 * Read-modify-write patches carry the resourceVersion they read, so a concurrent change (kubectl
 * cordon between our GET and PATCH) is a 409 and we read again instead of overwriting it.
 */
import { describeApiFailure, type ApiResult, type KubeApi } from "./api.ts";
import type { Node } from "./objects.ts";
import type { AnnotateResult, NodeRebootState, NodeStateResult, RestoreResult } from "./types.ts";

export const ANNOTATION_PREFIX = "clusterrebootd/";
export const STATE_ANNOTATION = "clusterrebootd/state";
export const PRIOR_ANNOTATION = "clusterrebootd/prior-unschedulable";
export const STARTED_ANNOTATION = "clusterrebootd/drain-started";

/** A 409 means someone else wrote the node between our read and write; a few re-reads settle it. */
const CONFLICT_ATTEMPTS = 5;

const STATES: readonly string[] = ["draining", "rebooting", "verifying"] satisfies NodeRebootState[];

export function stateOf(node: Node): Extract<NodeStateResult, { kind: "ok" }> {
  const a = node.metadata.annotations ?? {};
  const state = a[STATE_ANNOTATION];
  return {
    kind: "ok",
    state: state !== undefined && STATES.includes(state) ? (state as NodeRebootState) : null,
    cordonedByUs: a[PRIOR_ANNOTATION] === "false",
    unschedulable: node.spec?.unschedulable === true,
    drainStartedAt: a[STARTED_ANNOTATION] ?? null,
  };
}

export async function readState(api: KubeApi, node: string): Promise<NodeStateResult> {
  const r = await api.getNode(node);
  if (r.kind === "ok") return stateOf(r.value);
  if (r.kind === "status" && r.code === 404) return { kind: "not-found" };
  return { kind: "failed", reason: `reading node ${node}: ${describeApiFailure(r)}` };
}

export type CordonResult = { kind: "cordoned"; firstTime: boolean; priorUnschedulable: boolean } | { kind: "failed"; reason: string; code?: number };

/**
 * Cordon and mark `draining`. The prior state is recorded only the first time: after a crash the
 * node is already cordoned *by us*, and recording that as "was cordoned" would leave it cordoned
 * forever (kured #63 class of bug).
 */
export async function cordon(api: KubeApi, node: string, nowIso: string): Promise<CordonResult> {
  for (let attempt = 1; ; attempt++) {
    const got = await api.getNode(node);
    if (got.kind !== "ok") return { kind: "failed", reason: `reading node ${node}: ${describeApiFailure(got)}`, ...codeOf(got) };
    const annotations = got.value.metadata.annotations ?? {};
    const prior = annotations[PRIOR_ANNOTATION];
    const firstTime = prior === undefined;
    const priorUnschedulable = firstTime ? got.value.spec?.unschedulable === true : prior === "true";
    const patch = {
      metadata: {
        resourceVersion: got.value.metadata.resourceVersion,
        annotations: {
          [STATE_ANNOTATION]: "draining",
          ...(firstTime ? { [PRIOR_ANNOTATION]: String(priorUnschedulable), [STARTED_ANNOTATION]: nowIso } : {}),
        },
      },
      spec: { unschedulable: true },
    };
    const r = await api.patchNode(node, patch, "strategic");
    if (r.kind === "ok") return { kind: "cordoned", firstTime, priorUnschedulable };
    if (isConflict(r) && attempt < CONFLICT_ATTEMPTS) continue;
    return { kind: "failed", reason: `cordoning node ${node}: ${describeApiFailure(r)}`, ...codeOf(r) };
  }
}

/** Uncordon iff we cordoned it, then remove every annotation of ours. Idempotent. */
export async function restore(api: KubeApi, node: string): Promise<RestoreResult> {
  for (let attempt = 1; ; attempt++) {
    const got = await api.getNode(node);
    if (got.kind === "status" && got.code === 404) return { kind: "not-found" };
    if (got.kind !== "ok") return { kind: "failed", reason: `reading node ${node}: ${describeApiFailure(got)}` };
    const annotations = got.value.metadata.annotations ?? {};
    const ours = Object.keys(annotations).filter((k) => k.startsWith(ANNOTATION_PREFIX));
    if (ours.length === 0) return { kind: "restored", uncordoned: false, hadState: false };
    const uncordon = annotations[PRIOR_ANNOTATION] === "false" && got.value.spec?.unschedulable === true;
    const patch = {
      metadata: { resourceVersion: got.value.metadata.resourceVersion, annotations: Object.fromEntries(ours.map((k) => [k, null])) },
      ...(uncordon ? { spec: { unschedulable: false } } : {}),
    };
    const r = await api.patchNode(node, patch, "merge");
    if (r.kind === "ok") return { kind: "restored", uncordoned: uncordon, hadState: true };
    if (isConflict(r) && attempt < CONFLICT_ATTEMPTS) continue;
    if (r.kind === "status" && r.code === 404) return { kind: "not-found" };
    return { kind: "failed", reason: `restoring node ${node}: ${describeApiFailure(r)}` };
  }
}

export async function annotate(api: KubeApi, node: string, state: NodeRebootState | null): Promise<AnnotateResult> {
  const r = await api.patchNode(node, { metadata: { annotations: { [STATE_ANNOTATION]: state } } }, "merge");
  return r.kind === "ok" ? { kind: "ok" } : { kind: "failed", reason: `annotating node ${node}: ${describeApiFailure(r)}` };
}

// --- internal ---

const isConflict = (r: ApiResult<unknown>) => r.kind === "status" && r.code === 409;
const codeOf = (r: ApiResult<unknown>) => (r.kind === "status" ? { code: r.code } : {});

/**
 * The few fields of Kubernetes objects we read, validated at the edge with valibot. Loose objects:
 * the API server sends far more than this, and a newer server must not break us; a field we rely
 * on with the wrong type makes the whole response invalid (discarded, never repaired).
 */
import * as v from "valibot";

const strMap = v.optional(v.nullable(v.record(v.string(), v.string())));

const Meta = v.looseObject({
  name: v.string(),
  namespace: v.optional(v.string()),
  uid: v.optional(v.string()),
  resourceVersion: v.optional(v.string()),
  annotations: strMap,
  labels: strMap,
  deletionTimestamp: v.optional(v.nullable(v.string())),
  ownerReferences: v.optional(
    v.nullable(v.array(v.looseObject({ kind: v.string(), name: v.string(), controller: v.optional(v.nullable(v.boolean())) }))),
  ),
});

export const NodeSchema = v.looseObject({
  metadata: Meta,
  spec: v.optional(v.nullable(v.looseObject({ unschedulable: v.optional(v.nullable(v.boolean())) }))),
  status: v.optional(
    v.nullable(
      v.looseObject({
        conditions: v.optional(v.nullable(v.array(v.looseObject({ type: v.string(), status: v.string() })))),
        // The machine id (/etc/machine-id) of the node: FleetLock clients are mapped through it.
        nodeInfo: v.optional(v.nullable(v.looseObject({ machineID: v.optional(v.nullable(v.string())) }))),
      }),
    ),
  ),
});
export type Node = v.InferOutput<typeof NodeSchema>;

export const PodSchema = v.looseObject({
  metadata: Meta,
  spec: v.optional(
    v.nullable(
      v.looseObject({
        nodeName: v.optional(v.nullable(v.string())),
        volumes: v.optional(v.nullable(v.array(v.looseObject({ name: v.string(), emptyDir: v.optional(v.unknown()) })))),
      }),
    ),
  ),
  status: v.optional(v.nullable(v.looseObject({ phase: v.optional(v.nullable(v.string())) }))),
});
export type Pod = v.InferOutput<typeof PodSchema>;

/** A list response; items are validated one by one by the caller's schema. */
export const ListSchema = v.looseObject({ items: v.nullable(v.array(v.unknown())) });

/** The body of every non-2xx response (metav1.Status); all fields optional on purpose. */
export const StatusSchema = v.looseObject({
  reason: v.optional(v.string()),
  message: v.optional(v.string()),
  code: v.optional(v.number()),
  /** Why, in detail: e.g. a 429's "The disruption budget web-pdb needs 1 healthy pods and has 2 currently". */
  details: v.optional(v.looseObject({ causes: v.optional(v.array(v.looseObject({ message: v.optional(v.string()) }))) })),
});

/** Longhorn `volumes.longhorn.io` (v1beta2): the fields the longhorn check reads. */
export const LonghornVolumeSchema = v.looseObject({
  metadata: Meta,
  spec: v.optional(v.nullable(v.looseObject({ numberOfReplicas: v.optional(v.nullable(v.number())) }))),
  status: v.optional(
    v.nullable(
      v.looseObject({
        state: v.optional(v.nullable(v.string())), // attached | detached | creating | …
        robustness: v.optional(v.nullable(v.string())), // healthy | degraded | faulted | unknown
        currentNodeID: v.optional(v.nullable(v.string())),
      }),
    ),
  ),
});
export type LonghornVolume = v.InferOutput<typeof LonghornVolumeSchema>;

/** Longhorn `replicas.longhorn.io` (v1beta2). */
export const LonghornReplicaSchema = v.looseObject({
  metadata: Meta,
  spec: v.looseObject({
    volumeName: v.string(),
    nodeID: v.optional(v.nullable(v.string())),
    healthyAt: v.optional(v.nullable(v.string())),
    failedAt: v.optional(v.nullable(v.string())),
  }),
  // Longhorn v1beta2 keeps healthyAt/failedAt in spec; read status too in case a later release moves them.
  status: v.optional(
    v.nullable(
      v.looseObject({
        currentState: v.optional(v.nullable(v.string())),
        healthyAt: v.optional(v.nullable(v.string())),
        failedAt: v.optional(v.nullable(v.string())),
      }),
    ),
  ),
});
export type LonghornReplica = v.InferOutput<typeof LonghornReplicaSchema>;

/** Validates each item of a list; one bad item fails the list (we must not drain past a pod we cannot read). */
export function parseItems<S extends v.GenericSchema>(schema: S, items: unknown[]): { ok: true; items: v.InferOutput<S>[] } | { ok: false; error: string } {
  const out: v.InferOutput<S>[] = [];
  for (const [i, item] of items.entries()) {
    const r = v.safeParse(schema, item);
    if (!r.success) return { ok: false, error: `item ${i}: ${summarize(r.issues)}` };
    out.push(r.output);
  }
  return { ok: true, items: out };
}

export function summarize(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (first === undefined) return "invalid";
  const path = v.getDotPath(first);
  return `${path ?? "(root)"}: ${first.message}`;
}

/**
 * One label of this node, for `group_from_node_label` (zone-aware groups). The outcome says why a
 * label is not usable, because the daemon quotes it as the reason it takes no slot.
 */
import { describeApiFailure, type KubeApi } from "./api.ts";

export type NodeLabelResult =
  | { kind: "ok"; value: string }
  | { kind: "missing"; reason: string } // the node exists but has no such label (yet)
  | { kind: "failed"; reason: string }; // the API did not answer usably (down, 403, node not registered)

export async function readNodeLabel(api: KubeApi, node: string, key: string, signal?: AbortSignal): Promise<NodeLabelResult> {
  const r = await api.getNode(node, signal);
  if (r.kind !== "ok") return { kind: "failed", reason: `reading node ${node}: ${describeApiFailure(r)}` };
  const labels = r.value.metadata.labels ?? {};
  const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
  return value === undefined ? { kind: "missing", reason: `node ${node} has no label ${key}` } : { kind: "ok", value };
}

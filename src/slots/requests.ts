/**
 * On-demand reboot requests (`request-reboot NODE`): one key per node. The node's daemon reads it
 * as one more detector; the post-boot release deletes it in its own transaction (transitions.ts).
 */
import type { EtcdGateway } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import { parseRecord, RebootRequestSchema, type RebootRequest } from "./records.ts";

export type RequestView = { kind: "none" } | { kind: "pending"; request: RebootRequest } | { kind: "unreadable"; key: string };

/** An unreadable request is not "no request": the caller blocks on it (safety first). */
export async function readRequest(gw: EtcdGateway, keys: Keys, node: string): Promise<RequestView> {
  const kv = await gw.get(keys.request(node));
  if (!kv) return { kind: "none" };
  const request = parseRecord(RebootRequestSchema, kv.value);
  return request ? { kind: "pending", request } : { kind: "unreadable", key: keys.request(node) };
}

export async function putRequest(gw: EtcdGateway, keys: Keys, request: RebootRequest): Promise<void> {
  await gw.txn([], [{ kind: "put", key: keys.request(request.node), value: JSON.stringify(request) }]);
}

/** true when there was a request to cancel. */
export async function cancelRequest(gw: EtcdGateway, keys: Keys, node: string): Promise<boolean> {
  const res = await gw.txn([{ key: keys.request(node), target: "version", op: ">", value: 0 }], [{ kind: "delete", key: keys.request(node) }]);
  return res.succeeded;
}

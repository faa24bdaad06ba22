/**
 * On-demand reboot requests (`request-reboot NODE`): one key per node. The node's daemon reads it
 * as one more detector; the fence records which request the reboot consumes, and the post-boot
 * release deletes exactly that one in its own transaction (transitions.ts).
 */
import type { Compare, EtcdGateway, WriteOp } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import { parseRecord, RebootRequestSchema, type RebootRequest, type SlotRecord } from "./records.ts";

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

/** What the fence records of a pending request (SlotRecord.request); undefined when none parses. */
export async function requestAtFence(gw: EtcdGateway, keys: Keys, node: string): Promise<SlotRecord["request"]> {
  const kv = await gw.get(keys.request(node));
  const r = kv && parseRecord(RebootRequestSchema, kv.value);
  return kv && r ? { mod_revision: kv.modRevision, by: r.by, ...(r.reason ? { reason: r.reason } : {}) } : undefined;
}

/**
 * The release's part for the request the reboot consumed (recorded at the fence): delete the key
 * only while it is still that request. The compare pins what was read, so a request written in
 * between fails the release transaction, which the caller retries with a fresh read (and keeps it).
 * No request recorded at the fence: nothing to delete, and nothing to compare.
 */
export async function requestRelease(gw: EtcdGateway, keys: Keys, node: string, consumed: SlotRecord["request"]): Promise<{ compares: Compare[]; writes: WriteOp[] }> {
  if (!consumed) return { compares: [], writes: [] };
  const key = keys.request(node);
  const cur = await gw.get(key);
  // A missing key compares as mod revision 0 in etcd.
  const compares: Compare[] = [{ key, target: "mod", op: "==", value: cur?.modRevision ?? 0 }];
  return { compares, writes: cur?.modRevision === consumed.mod_revision ? [{ kind: "delete", key }] : [] };
}

/**
 * A fair FIFO queue of waiters per group, like etcd's own client/v3/concurrency mutex: a node that
 * passed its gates and wants a slot writes a ticket `P/queue/<group>/<node>` on its session lease;
 * the order is the ticket's create revision. Only the first `free slots` tickets of a group try
 * to take a slot; the others wait for the ticket just ahead of them to go (taken, or its waiter
 * died with its lease), so a release wakes O(1) daemons instead of every waiter.
 *
 * The queue only decides *who tries*: the acquire transaction alone decides who gets a slot, so
 * the budget never depends on it (docs/SLOTS.md §The model: the queue-ignoring mutant is safe).
 * Model step QUEUE.
 */
import type { EtcdGateway } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";

export interface QueueView {
  /** 0-based place of this node's ticket by create revision (ties cannot happen: one per txn). */
  position: number;
  /** Tickets in the group, including ours. */
  length: number;
  /** The ticket just ahead of ours (undefined at the head): wait for its delete. */
  ahead?: string;
  /** Since when our ticket waits (its first write), when we have one and it reads as a ticket. */
  since?: string;
}

/** Puts our ticket unless we have one (a ticket keeps its place across passes). Returns our place. */
export async function joinQueue(gw: EtcdGateway, keys: Keys, group: string, node: string, leaseId: string, nowIso: string): Promise<QueueView> {
  const key = keys.ticket(group, node);
  // Create only if absent: a second put would not move the ticket (create revision stays), but
  // the compare keeps the value (since when we wait) as first written.
  await gw.txn([{ key, target: "create", op: "==", value: 0 }], [{ kind: "put", key, value: JSON.stringify({ node, since: nowIso }), lease: leaseId }]);
  return queuePlace(gw, keys, group, node);
}

/** Where our ticket stands now; position = length when we have none. */
export async function queuePlace(gw: EtcdGateway, keys: Keys, group: string, node: string): Promise<QueueView> {
  const tickets = (await gw.getPrefix(keys.groupQueuePrefix(group))).sort((a, b) => a.createRevision - b.createRevision);
  const i = tickets.findIndex((t) => t.key === keys.ticket(group, node));
  const position = i < 0 ? tickets.length : i;
  const ahead = position > 0 ? tickets[position - 1]?.key : undefined;
  const since = i < 0 ? undefined : ticketSince(tickets[i]!.value);
  return { position, length: tickets.length, ...(ahead ? { ahead } : {}), ...(since ? { since } : {}) };
}

/** The ticket's `since`; only for the audit trail (history's wait), so a bad value is just absent. */
function ticketSince(raw: string): string | undefined {
  try {
    const since = (JSON.parse(raw) as { since?: unknown }).since;
    return typeof since === "string" && Number.isFinite(Date.parse(since)) ? since : undefined;
  } catch {
    return undefined;
  }
}

/** Leaves the queue (gave up waiting: no reboot needed any more, or a refusal that is not the budget). */
export async function leaveQueue(gw: EtcdGateway, keys: Keys, group: string, node: string): Promise<void> {
  await gw.txn([], [{ kind: "delete", key: keys.ticket(group, node) }]);
}

/** "1st", "2nd", "3rd", "4th" … for messages ("3rd in line for group workers"). */
export function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${s}`;
}

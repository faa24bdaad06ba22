/**
 * Taking a reboot slot: one guarded transaction. Invariant (docs/SLOTS.md §Budget): for every group
 * the number of slot keys never exceeds the smallest limit any holder or acquirer enforces, and the
 * total never exceeds the smallest global cap.
 *
 * Why it holds: we read slots and guard revisions at one revision R. The transaction commits only if
 * neither guard changed since R. Every acquisition bumps both guards, so of two racing acquirers at
 * most one commits; the other re-reads. Releases and lease expiries only lower the count, so a
 * snapshot that is stale in that direction can only make us more conservative.
 */
import type { Compare, EtcdGateway, WriteOp } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import type { CooldownRecord, FreezeRecord, PauseRecord, SlotRecord } from "./records.ts";
import { downMembers, type DownNode } from "./down.ts";
import { identityFields } from "./identity.ts";
import { ownSlot, readClusterState, type ClusterState, type SlotEntry } from "./state.ts";

export interface SlotRequest {
  node: string;
  group: string;
  /** This node's group limit and global cap (null = none) from its own config. */
  limit: number;
  globalCap: number | null;
  holder: SlotRecord["holder"];
  pid: number;
  bootId: string;
  /** The session lease: a holder that dies before rebooting frees the slot within its TTL. */
  leaseId: string;
  nowIso: string;
  reason?: string;
  /** Since when this node waited in the group's queue (its ticket), for history's wait_seconds. */
  waitingSince?: string;
  /** The holder's machine (daemons): another machine with the same node name never takes it for its own. */
  machineId?: string;
  /** Its hardware id (slots/identity.ts): a disk clone keeps the machine id, not this. */
  hardwareId?: string;
  /** FleetLock: the client's source address, recorded so only it can release the lock. */
  clientAddress?: string;
  /** Count members that are down without a slot (slots/down.ts); absent: slots only (count_down_nodes: false). */
  countDown?: { staleAfterMs: number };
  /** The holder's max_failed_reboots, recorded in the slot: whoever finds it past its deadline honours it. */
  maxFailedReboots?: number;
}

export type AcquireResult =
  | { kind: "acquired"; slot: SlotEntry; record: SlotRecord; attempts: number } // the slot is ours
  | { kind: "already-held"; slot: SlotEntry } // this node already holds one (e.g. from before a reboot)
  | { kind: "full"; scope: "group" | "global"; limit: number; holders: SlotEntry[]; down: DownNode[] } // budget used up (slots + nodes down without one)
  | { kind: "frozen"; group: string; freeze: FreezeRecord | undefined } // a failed reboot froze the group
  | { kind: "paused"; pause: PauseRecord | undefined } // cluster-wide pause key present
  | { kind: "cooldown"; group: string; cooldown: CooldownRecord | undefined } // group cooling down
  | { kind: "conflict"; attempts: number }; // lost the race too often; retry on the next wake-up

/** Races lost in a row before we give up for this wake-up (each loss means someone else progressed). */
const MAX_TXN_RACES = 8;

/** The effective limits: the smallest of ours, those recorded by current holders, and members'. */
export function effectiveLimits(state: ClusterState, req: Pick<SlotRequest, "group" | "limit" | "globalCap">) {
  let group = req.limit;
  let global = req.globalCap;
  for (const s of state.slots) {
    if (!s.record) continue;
    if (s.group === req.group) group = Math.min(group, s.record.limit);
    if (s.record.global_cap !== null) global = global === null ? s.record.global_cap : Math.min(global, s.record.global_cap);
  }
  // Members publish the limits they enforce: a FleetLock server (or a node) configured with a
  // larger limit than the group's daemons never exceeds theirs, even while none holds a slot.
  for (const m of state.members.values()) {
    if (m.group === req.group && m.limit !== undefined) group = Math.min(group, m.limit);
    if (m.global_cap !== undefined && m.global_cap !== null) global = global === null ? m.global_cap : Math.min(global, m.global_cap);
  }
  return { group, global };
}

/** The budget in use as the snapshot shows it: slots, and members down without one. */
export function budgetUse(state: ClusterState, req: Pick<SlotRequest, "node" | "group" | "nowIso" | "countDown">) {
  const down = req.countDown ? downMembers(state, req.node, { nowMs: Date.parse(req.nowIso), staleAfterMs: req.countDown.staleAfterMs }) : [];
  const inGroup = state.slots.filter((s) => s.group === req.group);
  const downInGroup = down.filter((d) => d.group === req.group);
  return { inGroup, downInGroup, down, group: inGroup.length + downInGroup.length, global: state.slots.length + down.length };
}

/** Decides from a snapshot alone; "ok" means: try the transaction. Model step ADMIT. */
export function admission(state: ClusterState, req: SlotRequest): Exclude<AcquireResult, { kind: "acquired" | "conflict" }> | { kind: "ok" } {
  const mine = ownSlot(state, req.node);
  if (mine) return { kind: "already-held", slot: mine };
  if (state.pausePresent) return { kind: "paused", pause: state.pause };
  const frozen = state.frozen.get(req.group);
  if (frozen) return { kind: "frozen", group: req.group, freeze: frozen.record };
  const cd = state.cooldowns.get(req.group);
  if (cd) return { kind: "cooldown", group: req.group, cooldown: cd.record };
  const lim = effectiveLimits(state, req);
  const use = budgetUse(state, req);
  if (use.group >= lim.group) return { kind: "full", scope: "group", limit: lim.group, holders: use.inGroup, down: use.downInGroup };
  if (lim.global !== null && use.global >= lim.global) return { kind: "full", scope: "global", limit: lim.global, holders: state.slots, down: use.down };
  return { kind: "ok" };
}

/**
 * Members counted as up must still be up when the slot is created (model step ACQUIRE) or fenced.
 *
 * The group's own members: their health records exactly as read (`target`: `mod` at acquisition —
 * a session that died deletes its key, an unhealthy verdict rewrites it; either fails the
 * transaction and we read again, a routine heartbeat too, which costs one more read; `create` at
 * the fence, where a drain takes minutes of heartbeats).
 *
 * Under a global cap, the other groups' members counted as up too, by the health key's create
 * revision only: a session that ends (power lost, crash) deletes the key and one that restarts
 * re-creates it, and either fails the transaction, but their heartbeats do not — no added
 * conflicts in a healthy fleet. Without these compares a member of another group whose session
 * expired between the read and the commit (at the fence: between the view under the slot and the
 * command, a health check and a drain apart) was still counted up against the global cap.
 *
 * etcd caps a transaction's compares (--max-txn-ops, 128 by default): at most UP_COMPARES_MAX in
 * all, the own group first; beyond that only the snapshot decides.
 */
export const UP_COMPARES_MAX = 100;
export function upCompares(
  state: ClusterState,
  req: Pick<SlotRequest, "node" | "group" | "nowIso" | "countDown" | "limit" | "globalCap">,
  keys: Keys,
  target: "mod" | "create",
): Compare[] {
  if (!req.countDown) return [];
  const down = new Set(budgetUse(state, req).down.map((d) => d.node));
  const held = new Set(state.slots.map((s) => s.node));
  const global = effectiveLimits(state, req).global !== null;
  const own: Compare[] = [];
  const others: Compare[] = [];
  for (const [node, m] of state.members) {
    if (node === req.node || down.has(node) || held.has(node)) continue;
    const mine = m.group === req.group;
    if (!mine && !global) continue;
    const t = mine ? target : "create";
    const rev = t === "mod" ? state.healthModRev.get(node) : state.healthCreateRev.get(node);
    if (rev === undefined) continue;
    (mine ? own : others).push({ key: keys.health(node), target: t, op: "==", value: rev });
  }
  return [...own, ...others].slice(0, UP_COMPARES_MAX);
}

/** Tries to take a slot now. Never waits: callers watch the slots prefix and call again. Model step ACQUIRE. */
export async function tryAcquireSlot(gw: EtcdGateway, keys: Keys, req: SlotRequest): Promise<AcquireResult> {
  for (let attempt = 1; attempt <= MAX_TXN_RACES; attempt++) {
    const state = await readClusterState(gw, keys);
    const verdict = admission(state, req);
    if (verdict.kind !== "ok") return verdict;
    const lim = effectiveLimits(state, req);
    const record: SlotRecord = {
      node: req.node,
      group: req.group,
      phase: "preparing",
      holder: req.holder,
      pid: req.pid,
      boot_id: req.bootId,
      acquired_at: req.nowIso,
      phase_at: req.nowIso,
      limit: lim.group,
      global_cap: lim.global,
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.waitingSince ? { waiting_since: req.waitingSince } : {}),
      ...identityFields(req),
      ...(req.maxFailedReboots !== undefined ? { max_failed_reboots: req.maxFailedReboots } : {}),
      ...(req.clientAddress ? { client_address: req.clientAddress } : {}),
    };
    const slotKey = keys.slot(req.group, req.node);
    const compares: Compare[] = [
      { key: keys.guardGroup(req.group), target: "mod", op: "==", value: state.guardGroupRev.get(req.group) ?? 0 },
      { key: keys.guardGlobal, target: "mod", op: "==", value: state.guardGlobalRev },
      { key: keys.pause, target: "version", op: "==", value: 0 },
      { key: keys.frozen(req.group), target: "version", op: "==", value: 0 },
      { key: keys.cooldown(req.group), target: "version", op: "==", value: 0 },
      { key: slotKey, target: "create", op: "==", value: 0 },
      ...upCompares(state, req, keys, "mod"),
    ];
    const stamp = JSON.stringify({ node: req.node, at: req.nowIso });
    const writes: WriteOp[] = [
      { kind: "put", key: slotKey, value: JSON.stringify(record), lease: req.leaseId },
      // The waiter's queue ticket goes with the acquisition (the next in line is woken by it).
      { kind: "delete", key: keys.ticket(req.group, req.node) },
      { kind: "put", key: keys.guardGroup(req.group), value: stamp },
      { kind: "put", key: keys.guardGlobal, value: stamp },
    ];
    const res = await gw.txn(compares, writes);
    if (res.succeeded) {
      const slot: SlotEntry = {
        key: slotKey,
        group: req.group,
        node: req.node,
        record,
        createRevision: res.revision,
        modRevision: res.revision,
        lease: req.leaseId,
      };
      return { kind: "acquired", slot, record, attempts: attempt };
    }
  }
  return { kind: "conflict", attempts: MAX_TXN_RACES };
}

/**
 * Takes a slot on a fresh lease of `ttlSec` that nobody keeps alive (a FleetLock client's slot:
 * the server cannot know whether the client lives, so the slot times out on its own). The lease
 * is revoked unless the slot was taken.
 */
export async function acquireOnNewLease(gw: EtcdGateway, keys: Keys, req: Omit<SlotRequest, "leaseId">, ttlSec: number): Promise<AcquireResult> {
  const lease = await gw.grantLease(ttlSec, { keepAlive: false });
  let res: AcquireResult;
  try {
    res = await tryAcquireSlot(gw, keys, { ...req, leaseId: lease.id });
  } catch (err) {
    await lease.revoke().catch(() => {});
    throw err;
  }
  if (res.kind === "acquired") lease.release();
  else await lease.revoke().catch(() => {});
  return res;
}

/**
 * The budget again at the fence, on a view read under the slot (a drain takes minutes: nodes may
 * have gone down, other slots may have been taken). Over the limit: refuse. Otherwise the fence's
 * transaction compares what this view saw — the sessions of the group's members counted up, and
 * both guards (any acquisition since bumps them), so a fence decided on a view another slot has
 * outdated fails and is decided again on a fresh one. Model step FENCE.
 */
export function fenceBudget(state: ClusterState, req: SlotRequest, keys: Keys): { kind: "over"; limit: number; use: ReturnType<typeof budgetUse> } | { kind: "ok"; compares: Compare[] } {
  const lim = effectiveLimits(state, req);
  const use = budgetUse(state, req);
  if (use.group > lim.group || (lim.global !== null && use.global > lim.global)) return { kind: "over", limit: lim.group, use };
  return {
    kind: "ok",
    compares: [
      { key: keys.guardGroup(req.group), target: "mod", op: "==", value: state.guardGroupRev.get(req.group) ?? 0 },
      { key: keys.guardGlobal, target: "mod", op: "==", value: state.guardGlobalRev },
      ...upCompares(state, req, keys, "create"),
    ],
  };
}

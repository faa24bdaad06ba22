/**
 * FleetLock on our etcd reboot slots. A client holds `P/slots/<group>/<id>` with holder
 * `fleetlock`, so it counts against the same group limit and global cap as clusterrebootd nodes
 * (docs/SLOTS.md) and shows up in `clusterrebootd cluster`. All state is in etcd and every change
 * is one guarded transaction, so any number of servers can run against one etcd.
 *
 * pre-reboot (RecursiveLock):
 *   own FleetLock slot `rebooting` → success (recursive), refreshing its lease when half used;
 *   own slot `preparing` (a drain in progress, or a server died mid-grant) → resume below;
 *   none → gates (pause, cooldown, budget, window, policy) → take the slot on a lease of
 *   `reboot_slot_timeout_sec` → under the slot: window + policy again (a racing acquirer now
 *   counts as down), `beforeGrant` hook, window once more → fence: one transaction checks the
 *   slot is ours and pause/cooldown absent, and marks it `rebooting` with its deadline.
 * steady-state (UnlockIfHeld): release our slot (cooldown starts if it was granted), then the
 *   `afterRelease` hook; nothing held is success too.
 *
 * The slot lease is never kept alive: a client that never comes back loses its slot after
 * `reboot_slot_timeout_sec` (W-"no stuck slot"), exactly like a daemon that never returns.
 */
import type { PolicyConfig } from "../cluster/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import type { Logger } from "../observe/index.ts";
import type { Clock } from "../platform/index.ts";
import { admission, readClusterState, releaseSlot, slotFromKV, tryAcquireSlot, type Keys, type SlotEntry, type SlotRequest } from "../slots/index.ts";
import type { WindowSet } from "../windows/index.ts";
import { acquireRefusal, identityGate, ownershipGate, windowAndPolicy, windowGate } from "./_gates.ts";
import { fenceGrant, refreshIfHalfUsed } from "./_grant.ts";
import { noopHooks, type FleetLockHooks } from "./hooks.ts";
import { fleetError, type ClientParams, type FleetLockBackend, type LockOutcome } from "./protocol.ts";

export interface BackendSettings {
  /** The slot limit of a group, or undefined when this server does not serve the group. */
  limitFor(group: string): number | undefined;
  globalCap: number | null;
  slotTimeoutSec: number;
  /** Group cooldown started when a granted slot is released (min_reboot_interval_sec; 0 = none). */
  cooldownSec: number;
  windows: WindowSet;
  policy: PolicyConfig;
  publishIntervalMs: number;
  healthTimeoutMs: number;
  /** This server's name and pid, recorded in the slot so an operator can tell who granted it. */
  serverName: string;
  pid: number;
}

export interface EtcdBackendDeps {
  gw: EtcdGateway;
  keys: Keys;
  clock: Clock;
  log: Logger;
  settings: BackendSettings;
  hooks?: FleetLockHooks;
}

/** Rounds of "read, try, lost to a concurrent request for the same id on another server". */
const MAX_ROUNDS = 3;

export function createEtcdBackend(deps: EtcdBackendDeps): FleetLockBackend {
  const { gw, keys, clock, log, settings: s } = deps;
  const hooks = deps.hooks ?? noopHooks;
  const serialize = perIdQueue();
  const refused = (p: ClientParams, error: ReturnType<typeof fleetError>): LockOutcome => {
    log.event("debug", "fleetlock_refused", { id: p.id, group: p.group, kind: error.kind, reason: error.value });
    return { kind: "refused", error };
  };

  async function preReboot(p: ClientParams): Promise<LockOutcome> {
    const limit = s.limitFor(p.group);
    if (limit === undefined) return refused(p, fleetError("unknown_group", `group ${p.group} is not served by this FleetLock server`));
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const state = await readClusterState(gw, keys);
      const mine = state.slots.find((x) => x.node === p.id);
      if (mine) {
        const wrong = ownershipGate(mine, p);
        if (wrong) return refused(p, wrong);
        if (mine.record!.phase !== "preparing") return refreshIfHalfUsed(deps, p, mine, mine.record!);
        return underSlot(p, mine);
      }
      const now = clock.now();
      const req: SlotRequest = {
        node: p.id,
        group: p.group,
        limit,
        globalCap: s.globalCap,
        holder: "fleetlock",
        pid: s.pid,
        bootId: "",
        leaseId: "0",
        nowIso: new Date(now).toISOString(),
        reason: `FleetLock client, granted by ${s.serverName}`,
      };
      const verdict = admission(state, req);
      if (verdict.kind !== "ok") return refused(p, acquireRefusal(verdict));
      const gate = identityGate(state, p) ?? windowAndPolicy(s, state, p, now);
      if (gate) return refused(p, gate);
      const lease = await gw.grantLease(s.slotTimeoutSec, { keepAlive: false });
      const res = await tryAcquireSlot(gw, keys, { ...req, leaseId: lease.id }).catch(async (err: unknown) => {
        await lease.revoke().catch(() => {});
        throw err;
      });
      if (res.kind === "acquired") {
        lease.release();
        return underSlot(p, res.slot, now + s.slotTimeoutSec * 1000);
      }
      await lease.revoke().catch(() => {});
      if (res.kind !== "already-held") return refused(p, acquireRefusal(res));
      // Another server took a slot for this id between our reads: look again.
    }
    return refused(p, fleetError("conflict", "concurrent requests for this id kept changing its slot; retry"));
  }

  /** Holding a `preparing` slot: re-check, run the hook, fence. Any refusal frees the slot. */
  async function underSlot(p: ClientParams, slot: SlotEntry, leaseDeadlineMs?: number): Promise<LockOutcome> {
    const free = async (error: ReturnType<typeof fleetError>) => {
      await releaseSlot(gw, keys, slot, { cooldownSec: 0, nowMs: clock.now(), node: p.id });
      log.event("info", "fleetlock_slot_freed", { id: p.id, group: p.group, slot: slot.key, reason: error.kind });
      return refused(p, error);
    };
    const state = await readClusterState(gw, keys);
    const cur = state.slots.find((x) => x.key === slot.key);
    if (!cur || cur.createRevision !== slot.createRevision || !cur.record)
      return refused(p, fleetError("conflict", "the slot was freed or replaced while granting; retry"));
    const gate = identityGate(state, p) ?? windowAndPolicy(s, state, p, clock.now());
    if (gate) return free(gate);
    const hook = await hooks.beforeGrant(p.id, { group: p.group }).catch((err: unknown) => ({
      kind: "failed" as const,
      reason: err instanceof Error ? err.message : String(err),
    }));
    if (hook.kind === "draining") return refused(p, fleetError("draining", `slot ${slot.key} reserved; the node is being drained, retry shortly`));
    if (hook.kind === "failed") return free(fleetError("hook_failed", `beforeGrant failed: ${hook.reason}`));
    // The hook may have taken long (a drain): the window must still be open at the grant.
    const late = windowGate(s, clock.now());
    if (late) return free(late);
    return fenceGrant(deps, p, cur, leaseDeadlineMs, free);
  }

  async function steadyState(p: ClientParams): Promise<LockOutcome> {
    const kv = await gw.get(keys.slot(p.group, p.id));
    const slot = kv ? slotFromKV(keys, kv) : undefined;
    if (!slot && s.limitFor(p.group) === undefined)
      return refused(p, fleetError("unknown_group", `group ${p.group} is not served by this FleetLock server`));
    if (slot && slot.record?.holder !== "fleetlock") {
      // Spec: unlocking what this client does not hold is a successful no-op. Touch nothing.
      log.event("warn", "fleetlock_not_holder", { id: p.id, group: p.group, slot: slot.key, holder: slot.record?.holder ?? "unreadable" });
      return { kind: "unlocked", released: false };
    }
    let released = false;
    if (slot) {
      // A slot that was never granted (still `preparing`) saw no reboot: no cooldown for it.
      const cooldownSec = slot.record?.phase === "preparing" ? 0 : s.cooldownSec;
      const rel = await releaseSlot(gw, keys, slot, { cooldownSec, nowMs: clock.now(), node: p.id });
      released = rel.kind === "released";
      if (released) log.event("info", "fleetlock_released", { id: p.id, group: p.group, slot: slot.key, cooldown_sec: cooldownSec });
    }
    try {
      await hooks.afterRelease(p.id, { group: p.group, released });
    } catch (err) {
      return refused(p, fleetError("hook_failed", `afterRelease failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    return { kind: "unlocked", released };
  }

  return {
    preReboot: (p) => serialize(p.id, () => preReboot(p)),
    steadyState: (p) => serialize(p.id, () => steadyState(p)),
  };
}

// --- internal ---

/**
 * Runs calls for one id one after another inside this process, so a client's retries do not race
 * each other through the hook. Across servers, etcd transactions keep the result correct anyway.
 */
function perIdQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    tails.set(id, tail);
    try {
      return await run;
    } finally {
      if (tails.get(id) === tail) tails.delete(id);
    }
  };
}

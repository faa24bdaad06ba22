/**
 * FleetLock on our etcd reboot slots. A client holds `P/slots/<group>/<id>` with holder
 * `fleetlock`, so it counts against the same group limit and global cap as clusterrebootd nodes
 * (docs/SLOTS.md) and shows up in `clusterrebootd cluster`. A pre-reboot runs the daemon's own
 * lifecycle (orchestrate/pass.ts, mode `grant`) on the client's behalf: the same gates (pause,
 * window, policy, cooldown, budget; drain through the hooks) and the same fence; only the last
 * step differs — the answer is the grant instead of a reboot command. All state is in etcd and
 * every change is one guarded transaction, so any number of servers can run against one etcd.
 *
 * The slot lease is never kept alive: a client that never comes back loses its slot after
 * `reboot_slot_timeout_sec`, exactly like a daemon that never returns.
 */
import type { EtcdGateway } from "../etcd/index.ts";
import type { Logger } from "../observe/index.ts";
import { noopMetrics } from "../observe/index.ts";
import { budgetRules, clientKube, etcdLock, HookError, newMemory, noChecks, runPass, type LoopMemory, type Outcome, type ServerCoordinator } from "../orchestrate/index.ts";
import type { PlatformPorts } from "../platform/index.ts";
import { releaseSlot, slotFromKV, type Keys } from "../slots/index.ts";
import { noopHooks, type FleetLockHooks } from "./hooks.ts";
import { fleetError, type ClientParams, type FleetLockBackend, type FleetLockError, type LockOutcome } from "./protocol.ts";
import { serverPlan, serverPorts } from "./_server-plan.ts";
import type { BackendSettings } from "./settings.ts";

export interface EtcdBackendDeps {
  gw: EtcdGateway;
  keys: Keys;
  /** The server's platform (the CLI's one; tests pass fakes): the clock, and the ports a pass needs. */
  platform: PlatformPorts;
  log: Logger;
  settings: BackendSettings;
  hooks?: FleetLockHooks;
}

export function createEtcdBackend(deps: EtcdBackendDeps): FleetLockBackend {
  const { gw, keys, platform, log, settings: s } = deps;
  const clock = platform.clock;
  const ports = serverPorts(platform, log);
  const hooks = deps.hooks ?? noopHooks;
  const serialize = perIdQueue();
  // Drain failures per client node survive between requests (the hold-off before a new cordon).
  const memory: LoopMemory = newMemory();
  const refused = (p: ClientParams, error: FleetLockError): LockOutcome => {
    log.event("debug", "fleetlock_refused", { id: p.id, group: p.group, kind: error.kind, reason: error.value });
    return { kind: "refused", error };
  };

  async function preReboot(p: ClientParams): Promise<LockOutcome> {
    const limit = s.limitFor(p.group);
    if (limit === undefined) return refused(p, fleetError("unknown_group", `group ${p.group} is not served by this FleetLock server`));
    const plan = serverPlan(s, p, limit);
    const co: ServerCoordinator = {
      mode: "server",
      plan,
      ports,
      client: { id: p.id, ...(s.bindClientAddress !== false && p.address ? { address: p.address } : {}) },
      etcd: { gw, keys },
      health: { run: async (phase) => ({ phase, seq: 0, durationMs: 0, stdout: "", stderr: "", truncated: false, kind: "pass", exitCode: 0 }) },
      checks: noChecks,
      kube: clientKube(p.id, p.group, hooks),
      env: {},
      detect: async () => ({ requiresReboot: true, hasErrors: false, aborted: false, results: [], durationMs: 0 }),
      notifier: { notify() {}, idle: async () => {} },
      lock: etcdLock({
        gw,
        keys,
        clock,
        metrics: noopMetrics,
        subject: { node: p.id, group: p.group, limit, globalCap: s.globalCap, holder: "fleetlock", pid: s.pid, bootId: "", reason: `FleetLock client, granted by ${s.serverName}`, ...(s.bindClientAddress !== false && p.address ? { clientAddress: p.address } : {}), ...budgetRules(plan) },
        lease: { kind: "slot" },
        slotTimeoutSec: s.slotTimeoutSec,
        cooldownSec: s.cooldownSec,
        nameHolders: false,
        // The server's own notion of staleness: its publish interval (it has no lock TTL of its own).
        deadlineSkewMs: s.publishIntervalMs * 2,
      }),
      memory,
    };
    let r;
    try {
      r = await runPass(co, "grant");
    } catch (err) {
      if (err instanceof HookError) return refused(p, fleetError("hook_failed", err.message));
      throw err;
    }
    if (r.outcome.kind === "rebooting") return { kind: "locked", recursive: r.slot?.recursive ?? false, slotKey: r.slot?.key ?? keys.slot(p.group, p.id), deadline: r.slot?.deadline };
    if (r.slot?.released) log.event("info", "fleetlock_slot_freed", { id: p.id, group: p.group, slot: r.slot.key, reason: r.outcome.kind });
    return refused(p, errorFor(r.outcome));
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
    const boundTo = slot?.record?.client_address;
    if (s.bindClientAddress !== false && boundTo && p.address && boundTo !== p.address) {
      // Another machine (or a hostile client) naming this id: the lock stays with its taker.
      log.event("warn", "fleetlock_not_holder", { id: p.id, group: p.group, slot: slot!.key, holder: "another client address" });
      return refused(p, fleetError("id_conflict", `the lock of ${p.id} was taken from another address; only that client can release it`));
    }
    let released = false;
    if (slot) {
      // A slot that was never granted (still `preparing`) saw no reboot: no cooldown for it.
      const cooldownSec = slot.record?.phase === "preparing" ? 0 : s.cooldownSec;
      const rel = await releaseSlot(gw, keys, slot, { cooldownSec, nowMs: clock.now(), node: p.id });
      released = rel.kind === "released";
      // etcd may raise a short lease to its minimum: log the cooldown etcd granted.
      if (rel.kind === "released") log.event("info", "fleetlock_released", { id: p.id, group: p.group, slot: slot.key, cooldown_sec: rel.cooldownSec });
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

/** The lifecycle's refusal as the protocol error a client can count (one kind per cause). */
export function errorFor(o: Outcome): FleetLockError {
  switch (o.kind) {
    case "lock_unavailable":
      return fleetError(o.retry ? "conflict" : "failed_lock_semaphore_full", o.message);
    case "paused":
    case "group_frozen":
      return fleetError("paused", o.message);
    case "cooldown_active":
      return fleetError("cooldown", o.message);
    case "window_denied":
    case "window_outside_allow":
      return fleetError("window_closed", o.message);
    case "health_blocked":
    case "reboot_loop_guard":
      return fleetError("health_blocked", o.message);
    case "draining":
      return fleetError("draining", o.message);
    case "drain_blocked":
      return fleetError("drain_blocked", o.message);
    case "identity_conflict":
      return fleetError("id_conflict", o.message);
    case "runtime_error":
      return fleetError(o.retry ? "conflict" : "internal_error", o.message);
    default:
      return fleetError("internal_error", `unexpected outcome ${o.kind}: ${o.message}`);
  }
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

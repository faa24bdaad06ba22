/**
 * The lock backend on our etcd slots (slots/ holds every transaction). Two holders share it:
 * a daemon (the slot starts on its session lease, and moves to a fresh slot lease at the fence)
 * and the FleetLock server for a client (the slot lives on a slot lease nobody keeps alive from
 * the start: the server cannot know whether the client lives; the fence keeps that lease).
 * Up to the fence here; after it (post-boot, a vanished slot, a grant's renewal) _etcd-lock-boot.ts.
 */
import type { EtcdGateway } from "../etcd/index.ts";
import type { Clock } from "../platform/index.ts";
import type { Metrics } from "../observe/index.ts";
import {
  acquireOnNewLease,
  admission,
  budgetUse,
  describeBudget,
  convertStaleSlot,
  describeFreeze,
  failureLimit,
  isStaleSlot,
  keepOnOwnLease,
  planFailure,
  fenceBudget,
  staleAfterMs,
  effectiveLimits,
  joinQueue,
  leaveQueue,
  ordinal,
  ownSlot,
  enterRebooting,
  readClusterState,
  releaseSlot,
  tryAcquireSlot,
  type AcquireResult,
  type Keys,
  type SlotEntry,
  type SlotRequest,
} from "../slots/index.ts";
import type { Plan } from "./context.ts";
import { held, type HeldSlot, type LockAcquire, type LockBackend, type LockFence, type LockRelease, type StaleSlotFailure } from "./lock.ts";
import { bootTransitions, type ReleaseWrites } from "./_etcd-lock-boot.ts";
import { outcome, type Outcome } from "./outcome.ts";

export interface EtcdLockOptions {
  gw: EtcdGateway;
  keys: Keys;
  clock: Clock;
  metrics: Metrics;
  /** Who asks: node (or FleetLock id), group, limits, holder kind, pid, boot id. */
  subject: Omit<SlotRequest, "leaseId" | "nowIso">;
  /** daemon: the session lease (kept alive); fleetlock: a fresh slot lease of slotTimeoutSec. */
  lease: { kind: "session"; id(): string } | { kind: "slot" };
  slotTimeoutSec: number;
  cooldownSec: number;
  /** Refusals name the holders (daemons, operators) or not (FleetLock clients see only counts). */
  nameHolders: boolean;
  /** Wait in the group's FIFO queue (daemons; a FleetLock client polls and has no lease to queue on). */
  queue?: boolean;
  /**
   * Deadlines are wall-clock times written by the holder: a slot counts as past its deadline
   * only this much later on our clock (lock_ttl_sec: as long as etcd itself takes to notice a
   * dead session), so a peer whose clock runs ahead does not call it stale early.
   */
  deadlineSkewMs: number;
}

/** Fences decided on a view that another acquisition or a lost session outdated, before giving up. */
const FENCE_ATTEMPTS = 4;

export function etcdLock(o: EtcdLockOptions): LockBackend {
  const { gw, keys, clock, metrics, subject } = o;
  let inQueue = false;
  const request = (): SlotRequest => ({ ...subject, leaseId: o.lease.kind === "session" ? o.lease.id() : "0", nowIso: new Date(clock.now()).toISOString() });
  const timed = async <T>(name: "lock_acquire_seconds" | "lock_release_seconds", fn: () => Promise<T>, result: (t: T) => string): Promise<T> => {
    const t0 = performance.now();
    try {
      const r = await fn();
      metrics.observe(name, (performance.now() - t0) / 1000, { result: result(r) });
      return r;
    } catch (err) {
      metrics.observe(name, (performance.now() - t0) / 1000, { result: "error" });
      throw err;
    }
  };
  const fail = async (s: SlotEntry, nowMs: number): Promise<StaleSlotFailure | undefined> => {
    const res = await convertStaleSlot(gw, keys, s, nowMs);
    if (res.kind !== "converted") return undefined;
    const reason = s.record?.phase === "verifying" ? "unhealthy_past_deadline" : "never_returned";
    return { slot: s.key, node: s.node, group: s.group, phase: s.record?.phase ?? "unknown", deadline: s.record?.deadline ?? "", reason, froze: res.froze, failures: res.count, limit: failureLimit(s.record) };
  };
  const release = async (slot: HeldSlot, info: ReleaseWrites): Promise<LockRelease> => {
    if (!slot.entry) return { kind: "not-held" };
    const cooldownSec = info.cooldown ? o.cooldownSec : 0;
    const entry = slot.entry;
    const limit = failureLimit(entry.record);
    const failure =
      info.failure && limit >= 1
        ? await planFailure(gw, keys, { node: entry.node, slot: entry.key, reason: info.failure, at: new Date(info.nowMs).toISOString(), ...(entry.record?.deadline ? { deadline: entry.record.deadline } : {}) }, entry.group, limit)
        : undefined;
    const rel = await timed(
      "lock_release_seconds",
      () => releaseSlot(gw, keys, entry, { cooldownSec, nowMs: info.nowMs, node: subject.node, ...(info.reboots ? { reboots: info.reboots } : {}), ...(info.history ? { history: info.history } : {}), ...(info.clearRequest ? { clearRequest: true } : {}), ...(failure ? { failure } : {}) }),
      (r) => (r.kind === "released" ? "success" : "not_held"),
    );
    if (rel.kind === "released" && cooldownSec > 0) metrics.inc("cooldown_activations_total", { result: "started" });
    if (rel.kind !== "released") return { kind: "not-held" };
    return failure ? { ...rel, failure: { froze: failure.froze, failures: failure.count } } : rel;
  };
  return {
    kind: "etcd",
    throughReboot: { issued: "slot held through the reboot", failed: "keeping the slot until the post-boot checks after the grace period" },
    view: (scope) => readClusterState(gw, keys, scope),
    wouldAcquire(state) {
      if (!state) return outcome("lock_skipped", "lock acquisition skipped");
      const a = admission(state, request());
      if (a.kind === "ok") return outcome("ready", "a reboot slot is free: this node would take it and reboot now");
      return refusal(a, subject.group, o.nameHolders);
    },
    async acquire(opts = {}): Promise<LockAcquire> {
      const why = (opts as { reason?: string }).reason;
      let waitingSince: string | undefined;
      if (o.queue && o.lease.kind === "session") {
        // Only the first `free slots` tickets try: the rest wait for the ticket ahead (O(1) wake-ups).
        const req = request();
        inQueue = true;
        const q = await joinQueue(gw, keys, subject.group, subject.node, req.leaseId, req.nowIso);
        waitingSince = q.since;
        const state = await readClusterState(gw, keys);
        const lim = effectiveLimits(state, req);
        const use = budgetUse(state, req);
        const free = Math.min(lim.group - use.group, lim.global === null ? Infinity : lim.global - use.global);
        if (q.position >= Math.max(0, free) && !ownSlot(state, subject.node)) {
          const queue = { position: q.position, length: q.length, ...(q.ahead ? { ahead: q.ahead } : {}) };
          const names = use.inGroup.map((s) => s.node);
          return {
            kind: "refused",
            queue,
            outcome: outcome("lock_unavailable", `${ordinal(q.position + 1)} in line for group ${subject.group}: ${describeBudget(lim.group, names, use.downInGroup, o.nameHolders)}`, {
              holders: [...names, ...use.downInGroup.map((d) => d.node)],
            }),
          };
        }
      }
      const res = await timed(
        "lock_acquire_seconds",
        () => {
          const req = { ...request(), ...(why && !subject.reason ? { reason: why } : {}), ...(waitingSince ? { waitingSince } : {}) };
          return o.lease.kind === "slot" ? acquireOnNewLease(gw, keys, req, o.slotTimeoutSec) : tryAcquireSlot(gw, keys, req);
        },
        (r) => (r.kind === "acquired" ? "success" : r.kind),
      );
      metrics.inc("lock_attempts_total", { result: res.kind === "acquired" ? "success" : res.kind === "full" || res.kind === "conflict" ? "contended" : res.kind });
      if (res.kind === "acquired") {
        inQueue = false; // the acquisition deleted our ticket
        return { kind: "acquired", slot: held(res.slot), attempts: res.attempts };
      }
      if (res.kind === "already-held") return { kind: "own", slot: held(res.slot) };
      return { kind: "refused", outcome: refusal(res, subject.group, o.nameHolders) };
    },
    async fence(slot, info): Promise<LockFence> {
      const entry = slot.entry;
      if (!entry?.record) return { kind: "lost", outcome: outcome("runtime_error", `slot ${slot.key} has no readable record; not rebooting`) };
      // Nodes may have gone down, and slots been taken, while we prepared (a drain takes
      // minutes): the budget again on the view under the slot, then on fresh ones while another
      // acquisition or a lost session — of the group, or of any group under the global cap —
      // outdates the view (slots/acquire.ts fenceBudget, upCompares).
      const req = request();
      let f: Awaited<ReturnType<typeof enterRebooting>> = { kind: "peers-changed" };
      for (let attempt = 0; attempt < FENCE_ATTEMPTS && f.kind === "peers-changed"; attempt++) {
        const state = attempt === 0 && info.state ? info.state : req.countDown ? await readClusterState(gw, keys) : undefined;
        const b = state && req.countDown ? fenceBudget(state, req, keys) : undefined;
        if (b?.kind === "over") {
          const text = describeBudget(b.limit, b.use.inGroup.map((s) => s.node), b.use.downInGroup, o.nameHolders);
          return { kind: "refused", outcome: outcome("lock_unavailable", `a node went down while this one prepared, so it does not reboot now: ${text}`, { retry: true }) };
        }
        f = await enterRebooting(gw, keys, entry, entry.record, {
          ...(b ? { upCompares: b.compares } : {}),
          slotTimeoutSec: o.slotTimeoutSec,
          bootId: info.bootId,
          nowMs: info.nowMs,
          ...(info.reboots ? { reboots: info.reboots } : {}),
          lease: o.lease.kind === "slot" ? "keep" : "new",
        });
      }
      switch (f.kind) {
        case "fenced":
          return { kind: "fenced", slot: held(f.slot) };
        case "slot-lost":
          return { kind: "lost", outcome: outcome("runtime_error", "reboot slot lost before the reboot command (lease expired?); not rebooting", { retry: true }) };
        case "paused":
          return { kind: "refused", outcome: outcome("paused", "cluster paused right before the reboot; not rebooting") };
        case "frozen":
          return { kind: "refused", outcome: outcome("group_frozen", `group ${entry.group} was frozen (a failed reboot) right before the reboot; not rebooting`) };
        case "peers-changed":
          return { kind: "refused", outcome: outcome("lock_unavailable", `the budget kept changing right before the reboot (${FENCE_ATTEMPTS} fences outdated by other slots or lost sessions); not rebooting now`, { retry: true }) };
        case "cooldown":
          return { kind: "refused", outcome: outcome("cooldown_active", "group cooldown started right before the reboot; not rebooting") };
      }
    },
    release: (slot, info) => release(slot, info),
    async keep(slot, why) {
      const entry = slot.entry;
      if (!entry?.record || entry.record.phase !== "preparing" || o.lease.kind !== "session") return undefined;
      const k = await keepOnOwnLease(gw, entry, entry.record, { slotTimeoutSec: o.slotTimeoutSec, nowMs: clock.now(), why });
      return k.kind === "kept" ? held(k.slot) : undefined;
    },
    async sweep(state, self) {
      const nowMs = clock.now();
      const out: StaleSlotFailure[] = [];
      for (const s of state.slots) {
        // Our own slot is judged by our own post-boot path (we may be the node coming back late).
        if (s.node === self || !isStaleSlot(s, nowMs, o.deadlineSkewMs)) continue;
        const f = await fail(s, nowMs);
        if (f) out.push(f);
      }
      return out;
    },
    fail: (slot) => (slot.entry ? fail(slot.entry, clock.now()) : Promise.resolve(undefined)),
    idle: async () => ({ kind: "ok" }),
    ...bootTransitions({ gw, keys, clock, subject, slotTimeoutSec: o.slotTimeoutSec, release }),
    async leave() {
      if (!inQueue) return;
      inQueue = false;
      await leaveQueue(gw, keys, subject.group, subject.node);
    },
  };
}

// --- internal ---

type Refusal = Exclude<AcquireResult, { kind: "acquired" | "already-held" }> | Exclude<ReturnType<typeof admission>, { kind: "ok" }>;

function refusal(r: Refusal, group: string, nameHolders: boolean): Outcome {
  switch (r.kind) {
    case "full": {
      const names = r.holders.map((s) => s.node);
      const text = describeBudget(r.limit, names, r.down, nameHolders);
      if (!nameHolders) return outcome("lock_unavailable", `${r.scope === "group" ? "group" : "global"} reboot budget full: ${text}`);
      return outcome("lock_unavailable", `${r.scope === "group" ? `group ${group}` : "the cluster"} has no free reboot slot: ${text}`, { holders: [...names, ...r.down.map((d) => d.node)] });
    }
    case "frozen":
      return outcome("group_frozen", describeFreeze(group, r.freeze));
    case "paused":
      return outcome("paused", `cluster paused${r.pause ? ` by ${r.pause.by}: ${r.pause.reason}` : ""}`);
    case "cooldown":
      return outcome("cooldown_active", `reboot cooldown active for group ${r.group}${r.cooldown ? ` (started by ${r.cooldown.node} at ${r.cooldown.released_at}, ${r.cooldown.duration_sec}s)` : ""}`);
    case "conflict":
      return outcome("lock_unavailable", `lost ${r.attempts} slot races in a row; retrying`, { retry: true });
    case "already-held":
      return outcome("lock_unavailable", `this node holds slot ${r.slot.key} (phase ${r.slot.record?.phase ?? "unknown"}); run without --once finishes it`);
  }
}

/** The budget rules a plan puts into every slot request: down nodes counted, failures limit. */
export function budgetRules(plan: Plan): Pick<SlotRequest, "countDown" | "maxFailedReboots"> {
  return {
    ...(plan.countDownNodes ? { countDown: { staleAfterMs: staleAfterMs(plan.publishIntervalMs, plan.healthTimeoutMs) } } : {}),
    maxFailedReboots: plan.maxFailedReboots,
  };
}

/** A daemon's lock: its plan as the slot subject, the slot on its session lease until the fence. */
export function daemonLock(plan: Plan, d: { gw: EtcdGateway; keys: Keys; clock: Clock; metrics: Metrics; pid: number; leaseId: () => string; queue: boolean }): LockBackend {
  return etcdLock({
    gw: d.gw,
    keys: d.keys,
    clock: d.clock,
    metrics: d.metrics,
    subject: {
      node: plan.node,
      group: plan.group,
      limit: plan.limit,
      globalCap: plan.globalCap,
      holder: "daemon",
      pid: d.pid,
      bootId: plan.baseEnv["RC_BOOT_ID"] ?? "",
      ...(plan.machineId ? { machineId: plan.machineId } : {}),
      ...(plan.hardwareId ? { hardwareId: plan.hardwareId } : {}),
      ...budgetRules(plan),
    },
    lease: { kind: "session", id: d.leaseId },
    slotTimeoutSec: plan.slotTimeoutSec,
    cooldownSec: plan.cooldownSec,
    nameHolders: true,
    queue: d.queue,
    deadlineSkewMs: plan.lockTtlSec * 1000,
  });
}

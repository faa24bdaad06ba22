/**
 * Drain this node while holding its reboot slot: cordon, then evict pods through the Eviction API
 * (policy/v1) so PodDisruptionBudgets decide, round after round, until nothing evictable is left
 * or the drain timeout passes. Lessons from kured and friends: a drain has a deadline; a PDB
 * that says no (429) is retried with backoff, not treated as an error; waiting for evicted pods
 * to actually terminate is part of the drain; and on giving up the node is uncordoned so the slot
 * can go to someone else.
 *
 * Everything a restart needs is on the Node (see _node.ts): calling drain again after a crash
 * continues where it left off, restore() undoes it.
 */
import type { Logger } from "../observe/index.ts";
import type { Clock } from "../platform/index.ts";
import { describeApiFailure, type KubeApi } from "./api.ts";
import type { Pod } from "./objects.ts";
import { cordon, restore } from "./_node.ts";
import { planPod, podLabel, podRef } from "./_pods.ts";
import type { DrainOptions, DrainResult, PodRef, RemainingPod, SkippedPod } from "./types.ts";

/** kubectl waits 5 s after a 429; we start faster and back off to this. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 10_000;
/** kubectl polls for deleted pods every second. */
const POLL_MS = 1_000;
/** After a forced delete, pods get this long to exit before we report (the reboot kills the rest). */
const FORCE_WAIT_MS = 60_000;
/** Evictions in flight at once: enough to be quick, few enough not to flood a Pi's API server. */
const EVICTION_CONCURRENCY = 4;

export interface DrainDeps {
  api: KubeApi;
  clock: Clock;
  log?: Logger;
}

/** Delays of an exponential backoff: min, 2·min, … capped at max. Pure, so tests see exact numbers. */
export function* backoffDelays(minMs: number, maxMs: number): Generator<number, never> {
  for (let d = minMs; ; d = Math.min(maxMs, d * 2)) yield d;
}

export async function drainNode(deps: DrainDeps, node: string, opts: DrainOptions, signal?: AbortSignal): Promise<DrainResult> {
  const { api, clock } = deps;
  const log = deps.log ?? { event: () => {} };
  const started = clock.now();
  const deadline = started + opts.timeoutMs;
  const took = () => clock.now() - started;
  const giveUp = async (result: { kind: "failed"; reason: string } | { kind: "interrupted" }): Promise<DrainResult> => {
    const restored = await restore(api, node);
    log.event(result.kind === "failed" ? "error" : "warn", "drain_abandoned", { node, ...result, restored });
    return { ...result, restored, durationMs: took() };
  };

  if (signal?.aborted) return giveUp({ kind: "interrupted" });
  const c = await cordon(api, node, new Date(clock.now()).toISOString());
  if (c.kind === "failed") return giveUp({ kind: "failed", reason: c.code === 404 ? `node ${node} not found in the cluster` : c.reason });
  log.event("info", "drain_cordoned", { node, resumed: !c.firstTime, was_unschedulable: c.priorUnschedulable });

  const evicted = new Map<string, PodRef>();
  const reasons = new Map<string, string>();
  const delays = backoffDelays(opts.retryMinMs ?? RETRY_MIN_MS, opts.retryMaxMs ?? RETRY_MAX_MS);
  let pending: Pod[] = [];
  let skipped: SkippedPod[] = [];
  let listError: string | null = null;
  let listed = false;

  for (;;) {
    if (signal?.aborted) return giveUp({ kind: "interrupted" });
    let refused = false;
    const list = await api.listPods({ fieldSelector: `spec.nodeName=${node}`, labelSelector: opts.podSelector }, signal);
    if (list.kind === "ok") {
      listError = null;
      listed = true;
      const plans = list.value.map((pod) => ({ pod, plan: planPod(pod, opts) }));
      const refusals = plans.flatMap(({ pod, plan }) => (plan.kind === "refuse" ? [`${podLabel(podRef(pod))} ${plan.why}`] : []));
      if (refusals.length > 0) return giveUp({ kind: "failed", reason: `cannot drain node ${node}: ${refusals.join("; ")}` });
      skipped = plans.flatMap(({ pod, plan }) => (plan.kind === "skip" ? [{ ...podRef(pod), why: plan.why }] : []));
      pending = plans.filter(({ plan }) => plan.kind === "evict" || plan.kind === "wait").map(({ pod }) => pod);
      if (pending.length === 0) {
        log.event("info", "drain_done", { node, evicted: evicted.size, skipped: skipped.length, took_ms: took() });
        return { kind: "drained", evicted: [...evicted.values()], forced: [], leftBehind: [], skipped, durationMs: took() };
      }
      if (clock.now() >= deadline) break;
      const toEvict = plans.filter(({ plan }) => plan.kind === "evict").map(({ pod }) => pod);
      for (const p of pending) if (p.metadata.deletionTimestamp) reasons.set(uid(p), "terminating");
      const outcome = await evictAll(deps, toEvict, opts, evicted, reasons, signal);
      if (outcome.kind === "forbidden") return giveUp({ kind: "failed", reason: outcome.reason });
      refused = outcome.refused;
    } else if (list.kind === "status" && (list.code === 401 || list.code === 403)) {
      return giveUp({ kind: "failed", reason: `listing pods on ${node}: ${describeApiFailure(list)}` });
    } else {
      listError = describeApiFailure(list); // transient: keep trying until the deadline
      log.event("warn", "drain_list_failed", { node, error: listError });
    }
    const left = deadline - clock.now();
    if (left <= 0) break;
    await clock.sleep(Math.min(refused ? delays.next().value : (opts.pollMs ?? POLL_MS), left), signal);
  }

  // Never saw the pod list: "force" must not turn "API unreachable" into "drained".
  if (!listed) return giveUp({ kind: "failed", reason: `could not list the pods on ${node} before the drain timeout: ${listError ?? "no answer"}` });
  const remaining: RemainingPod[] = pending.map((p) => ({ ...podRef(p), reason: reasons.get(uid(p)) ?? listError ?? "not evicted yet" }));
  log.event("warn", "drain_timeout", { node, on_timeout: opts.onTimeout, remaining: remaining.map((r) => `${podLabel(r)}: ${r.reason}`) });
  if (opts.onTimeout === "abort") {
    const restored = await restore(api, node);
    return { kind: "timeout", remaining, restored, durationMs: took() };
  }
  const forced = await forceDelete(deps, node, pending, opts, signal);
  return { kind: "drained", evicted: [...evicted.values()], forced: forced.deleted, leftBehind: forced.leftBehind, skipped, durationMs: took() };
}

// --- internal ---

const uid = (p: Pod) => p.metadata.uid ?? podLabel(podRef(p));

type EvictOutcome = { kind: "done"; refused: boolean } | { kind: "forbidden"; reason: string };

/** One round of evictions; records why each pod is still there. */
async function evictAll(
  deps: DrainDeps,
  pods: Pod[],
  opts: DrainOptions,
  evicted: Map<string, PodRef>,
  reasons: Map<string, string>,
  signal?: AbortSignal,
): Promise<EvictOutcome> {
  let refused = false;
  let forbidden: string | null = null;
  await pool(pods, EVICTION_CONCURRENCY, async (pod) => {
    if (signal?.aborted || forbidden !== null) return;
    const ref = podRef(pod);
    const r = await deps.api.evictPod(ref, opts.gracePeriodSec, signal);
    if (r.kind === "ok") {
      evicted.set(uid(pod), ref);
      reasons.set(uid(pod), "evicted, terminating");
      deps.log?.event("info", "drain_evicted", { pod: podLabel(ref) });
    } else if (r.kind === "status" && r.code === 404) {
      reasons.delete(uid(pod)); // gone already
    } else if (r.kind === "status" && (r.code === 401 || r.code === 403)) {
      forbidden = `evicting ${podLabel(ref)}: ${describeApiFailure(r)} (the daemon needs create on pods/eviction)`;
    } else {
      // 429: a PDB says not now. 500: e.g. several PDBs match the pod. Both: retry until the deadline.
      refused = true;
      const why = r.kind === "status" && r.code === 429 ? `disruption budget: ${r.message}` : describeApiFailure(r);
      reasons.set(uid(pod), why);
      deps.log?.event("debug", "drain_eviction_refused", { pod: podLabel(ref), reason: why });
    }
  });
  return forbidden !== null ? { kind: "forbidden", reason: forbidden } : { kind: "done", refused };
}

/** on_timeout force: delete what is left (no PDB check), then give the pods a bounded time to exit. */
async function forceDelete(deps: DrainDeps, node: string, pods: Pod[], opts: DrainOptions, signal?: AbortSignal) {
  const deleted: PodRef[] = [];
  const leftBehind: RemainingPod[] = [];
  await pool(pods, EVICTION_CONCURRENCY, async (pod) => {
    const ref = podRef(pod);
    const r = await deps.api.deletePod({ ...ref, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) }, opts.gracePeriodSec, signal);
    if (r.kind === "ok" || (r.kind === "status" && r.code === 404)) deleted.push(ref);
    else leftBehind.push({ ...ref, reason: `force delete failed: ${describeApiFailure(r)}` });
  });
  deps.log?.event("warn", "drain_forced", { node, deleted: deleted.map(podLabel), failed: leftBehind.map(podLabel) });
  const until = deps.clock.now() + (opts.forceWaitMs ?? FORCE_WAIT_MS);
  const uids = new Set(pods.map(uid));
  for (;;) {
    const list = await deps.api.listPods({ fieldSelector: `spec.nodeName=${node}`, labelSelector: opts.podSelector }, signal);
    const still = list.kind === "ok" ? list.value.filter((p) => uids.has(uid(p))) : null;
    if (still !== null && still.length === 0) break;
    const left = until - deps.clock.now();
    if (left <= 0 || signal?.aborted) {
      const known = new Set(leftBehind.map(podLabel));
      for (const p of still ?? []) if (!known.has(podLabel(podRef(p)))) leftBehind.push({ ...podRef(p), reason: "still terminating after forced delete" });
      break;
    }
    await deps.clock.sleep(Math.min(opts.pollMs ?? POLL_MS, left), signal);
  }
  return { deleted, leftBehind };
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

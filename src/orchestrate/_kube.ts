/**
 * The subject's Kubernetes node as the lifecycle sees it: drain under the slot, undo our cordon
 * whenever a slot ends without (or after) a reboot, and find a cordon left by a crashed daemon.
 * Three shapes: none (no `kubernetes:`), the daemon's own node (kube/ over the API; state lives
 * in annotations so any later process can finish the job), and a FleetLock client's node (the
 * server's beforeGrant/afterRelease hooks, whose drain may still be running: `pending`).
 */
import type { DrainOptions, KubeSetup, NodeRebootState } from "../kube/index.ts";
import type { Logger, Metrics } from "../observe/index.ts";

/**
 * Extension points around a FleetLock grant (Kubernetes draining). The server calls them while it
 * holds the client's slot, so a drain never runs without budget. Both must be idempotent:
 * requests are retried, and several servers may call them for one id.
 * - `beforeGrant` runs under the slot (phase preparing): `draining` keeps the slot and answers 423
 *   `draining` (Zincati retries); `failed` frees the slot and answers 423 `drain_blocked`; a throw
 *   frees it and answers 500 `hook_failed`.
 * - `afterRelease` runs on every steady-state that is not refused (also when nothing was held, so
 *   an uncordon that failed earlier is retried); a throw answers 500 `hook_failed`.
 */
export type BeforeGrantResult =
  | { kind: "ready" } // the node may reboot now
  | { kind: "draining" } // still in progress: keep the slot, ask the client to come back
  | { kind: "failed"; reason: string }; // give up this attempt: free the slot

export interface GrantHooks {
  beforeGrant(id: string, info: { group: string }): Promise<BeforeGrantResult>;
  afterRelease(id: string, info: { group: string; released: boolean }): Promise<void>;
}

/** A hook threw: the server answers hook_failed (5xx), unlike a drain that did not finish (423). */
export class HookError extends Error {
  override name = "HookError";
}

export type DrainStep =
  | { kind: "drained"; durationMs: number; evicted: number; forced: number } // safe to reboot
  | { kind: "pending" } // FleetLock: the drain runs on; keep the slot, the client comes back
  | { kind: "blocked"; message: string; durationMs: number }; // did not finish; already uncordoned

export interface KubeCap {
  /** A drain is configured: the under-slot drain step runs. */
  readonly drains: boolean;
  /** The node name in Kubernetes (for messages). */
  readonly node: string;
  drain(signal?: AbortSignal): Promise<DrainStep>;
  /** Uncordons (only if we cordoned) and clears our annotations; true when nothing of ours is left. */
  restore(why: string): Promise<boolean>;
  annotate(state: NodeRebootState): Promise<void>;
  /** No slot held: a cordon or state of ours on the node is left over from a crash. Undo it. */
  restoreLeftovers(): Promise<void>;
}

export const noKube: KubeCap = {
  drains: false,
  node: "",
  drain: async () => ({ kind: "drained", durationMs: 0, evicted: 0, forced: 0 }),
  restore: async () => true,
  annotate: async () => {},
  restoreLeftovers: async () => {},
};

/** The daemon's own node. */
export function nodeKube(k: KubeSetup, deps: { log: Logger; metrics: Metrics }): KubeCap {
  const { log, metrics } = deps;
  const restore = async (why: string) => {
    const res = await k.kube.restore(k.node);
    if (res.kind === "failed") {
      log.event("error", "uncordon_failed", { node: k.node, reason: res.reason, why });
      return false;
    }
    if (res.kind === "restored" && (res.uncordoned || res.hadState)) log.event("info", "node_restored", { node: k.node, uncordoned: res.uncordoned, why });
    return true;
  };
  return {
    drains: k.drain !== null,
    node: k.node,
    async drain(signal) {
      const d = await k.kube.drain(k.node, k.drain as DrainOptions, signal);
      metrics.observe("drain_seconds", d.durationMs / 1000, { result: d.kind });
      if (d.kind === "drained") {
        log.event("info", "drain_finished", { node: k.node, result: d.kind, duration_ms: Math.round(d.durationMs), evicted: d.evicted.length, forced: d.forced.length });
        return { kind: "drained", durationMs: d.durationMs, evicted: d.evicted.length, forced: d.forced.length };
      }
      const detail =
        d.kind === "timeout" ? `timed out; still on the node: ${d.remaining.map((p) => `${p.namespace}/${p.name} (${p.reason})`).join(", ")}` : d.kind === "failed" ? d.reason : d.kind;
      log.event("warn", "drain_finished", { node: k.node, result: d.kind, duration_ms: Math.round(d.durationMs), detail });
      return { kind: "blocked", message: detail, durationMs: d.durationMs };
    },
    restore,
    async annotate(state) {
      const a = await k.kube.annotate(k.node, state);
      if (a.kind === "failed") log.event("warn", "annotate_failed", { node: k.node, state, reason: a.reason });
    },
    async restoreLeftovers() {
      const st = await k.kube.readState(k.node);
      if (st.kind !== "ok") {
        if (st.kind === "failed") log.event("warn", "kube_state_unreadable", { node: k.node, reason: st.reason });
        return;
      }
      if (st.state !== null || st.cordonedByUs) await restore(`left over (state ${st.state ?? "none"}) without a slot`);
    },
  };
}

/** A FleetLock client's node, through the server's hooks (kube-hooks.ts maps the id to a node). */
export function clientKube(id: string, group: string, hooks: GrantHooks): KubeCap {
  return {
    drains: true,
    node: id,
    async drain() {
      const r = await hooks.beforeGrant(id, { group }).catch((err: unknown) => {
        throw new HookError(`beforeGrant failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
      if (r.kind === "ready") return { kind: "drained", durationMs: 0, evicted: 0, forced: 0 };
      if (r.kind === "draining") return { kind: "pending" };
      return { kind: "blocked", message: r.reason, durationMs: 0 };
    },
    // The hooks undo their own cordon when a drain fails; steady-state runs afterRelease.
    restore: async () => true,
    annotate: async () => {},
    restoreLeftovers: async () => {},
  };
}

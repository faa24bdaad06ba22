/**
 * Cluster health policy, evaluated on the state AFTER this node goes down (W2):
 *   healthy = other nodes whose live health record says healthy and that hold no slot;
 *   expected = the members registry ∪ nodes with a live record (missing members count against us).
 * Blocks when: another node that holds no slot reports unhealthy; healthy < min_healthy_absolute;
 * healthy < ceil(min_healthy_fraction × expected); or, with forbid_if_only_fallback_left, no
 * fallback node other than this one would remain healthy.
 * A node holding a slot is never healthy for anyone's decision (it is, or is about to be, down).
 */
import { isStale, isStarting, staleAfterMs, STALE_AFTER_INTERVALS, type ClusterState, type HealthRecord } from "../slots/index.ts";

export interface PolicyConfig {
  minHealthyFraction: number | null;
  minHealthyAbsolute: number | null;
  forbidIfOnlyFallbackLeft: boolean;
  fallbackNodes: readonly string[];
}

export interface PeerView {
  node: string;
  /** starting: alive (its session is up) but no health check has run yet: neither healthy nor a blocker. */
  status: "healthy" | "unhealthy" | "rebooting" | "missing" | "stale" | "starting";
  record?: HealthRecord;
}

export type PolicyVerdict =
  | { kind: "allowed"; healthyAfter: number; expected: number; peers: PeerView[] }
  | { kind: "blocked"; reasons: string[]; blockers: PeerView[]; healthyAfter: number; expected: number; peers: PeerView[] };

/** Records older than this many publish intervals are stale (slots/down.ts, the one rule). */
export { STALE_AFTER_INTERVALS };

export function classifyPeers(
  state: ClusterState,
  self: string,
  opts: { nowMs: number; publishIntervalMs: number; healthTimeoutMs: number },
): PeerView[] {
  const names = new Set<string>([...state.members.keys(), ...state.health.keys()]);
  names.delete(self);
  const holders = new Set(state.slots.map((s) => s.node));
  const live = { nowMs: opts.nowMs, staleAfterMs: staleAfterMs(opts.publishIntervalMs, opts.healthTimeoutMs) };
  const peers: PeerView[] = [];
  for (const node of [...names].sort()) {
    const record = state.health.get(node);
    let status: PeerView["status"];
    if (holders.has(node)) status = "rebooting";
    else if (!record) status = "missing";
    else if (isStale(record, live)) status = "stale";
    else if (isStarting(record)) status = "starting";
    else status = record.healthy ? "healthy" : "unhealthy";
    peers.push(record ? { node, status, record } : { node, status });
  }
  return peers;
}

export function evaluatePolicy(peers: readonly PeerView[], self: string, cfg: PolicyConfig): PolicyVerdict {
  const healthy = peers.filter((p) => p.status === "healthy");
  const healthyAfter = healthy.length;
  const expected = peers.length + 1; // + self
  const blockers = peers.filter((p) => p.status === "unhealthy");
  const reasons: string[] = [];
  if (blockers.length > 0)
    reasons.push(
      `cluster health blocked by unhealthy nodes: ${blockers
        .map((b) => (b.record?.reason ? `${b.node} (${b.record.phase}, ${b.record.reason})` : b.node))
        .join(", ")}`,
    );
  if (cfg.minHealthyAbsolute !== null && healthyAfter < cfg.minHealthyAbsolute)
    reasons.push(`healthy nodes after this reboot ${healthyAfter} below minimum ${cfg.minHealthyAbsolute}`);
  if (cfg.minHealthyFraction !== null) {
    const required = Math.ceil(cfg.minHealthyFraction * expected - 1e-9);
    if (healthyAfter < required)
      reasons.push(
        `healthy nodes after this reboot ${healthyAfter} below ${cfg.minHealthyFraction.toFixed(2)} requirement (${required} of ${expected})`,
      );
  }
  const fallback = new Set(cfg.fallbackNodes.map((n) => n.trim()).filter(Boolean));
  if (cfg.forbidIfOnlyFallbackLeft && fallback.size > 0 && !healthy.some((p) => fallback.has(p.node)))
    reasons.push(`no healthy fallback node would remain (fallback nodes: ${[...fallback].join(", ")})`);
  void self;
  return reasons.length === 0
    ? { kind: "allowed", healthyAfter, expected, peers: [...peers] }
    : { kind: "blocked", reasons, blockers, healthyAfter, expected, peers: [...peers] };
}

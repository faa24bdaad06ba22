/**
 * Who is down without a slot. The budget is about machines, not keys: a member is *up* only with
 * a fresh, healthy health record. One whose daemon has no live session (power lost, crashed,
 * `systemctl stop`), whose record went stale (a hung daemon with a live lease), or that is not
 * healthy (starting, or back from a failed reboot and not yet healthy) is down as far as anyone
 * can tell, so it counts against its group's limit and the global cap like a slot does
 * (docs/SLOTS.md §Down nodes). A node that holds a slot is counted once, by its slot. A node
 * coming back healthy stops counting by itself; `clusterrebootd forget NODE` removes one for good.
 */
import type { ClusterState } from "./state.ts";
import type { HealthRecord } from "./records.ts";

/** Records older than this many publish intervals (+ the health timeout) are stale. */
export const STALE_AFTER_INTERVALS = 4;

export const staleAfterMs = (publishIntervalMs: number, healthTimeoutMs: number): number => STALE_AFTER_INTERVALS * publishIntervalMs + healthTimeoutMs;

export interface DownNode {
  node: string;
  group: string;
  /**
   * no_session: no health record (its session lease is gone); stale: the record stopped changing;
   * unhealthy: alive but not (yet) healthy — starting, or back from a reboot whose slot was
   * turned into a failure: it is up only once a health check passed.
   */
  why: "no_session" | "stale" | "unhealthy";
  /** The last health report we have (stale, unhealthy), for "down since about …". */
  lastReport?: string;
  /** Why it is unhealthy, as its record says. */
  reason?: string;
}

/** How "up" is judged: the reader's clock and the staleness bound. */
export interface Liveness {
  nowMs: number;
  staleAfterMs: number;
}

/** A health record too old to trust. A timer-mode record says itself how long it stays valid. */
export function isStale(rec: HealthRecord, l: Liveness): boolean {
  if (rec.presence_until) return l.nowMs > Date.parse(rec.presence_until);
  return l.nowMs - Date.parse(rec.checked_at) > l.staleAfterMs;
}

/**
 * The record a session puts up before its first health check: the node is alive, its health
 * unknown — not healthy, so it still counts as down for the budget, but no blocker for the
 * cluster policy (which waits for a real verdict).
 */
export const STARTING_PHASE = "starting";
export const isStarting = (rec: HealthRecord): boolean => rec.phase === STARTING_PHASE && !rec.healthy;

/** Members (other than `self`) that hold no slot and have no live, fresh health record. */
export function downMembers(state: ClusterState, self: string, l: Liveness): DownNode[] {
  const holders = new Set(state.slots.map((s) => s.node));
  const down: DownNode[] = [];
  for (const [node, m] of state.members) {
    if (node === self || holders.has(node)) continue;
    const rec = state.health.get(node);
    if (!rec) down.push({ node, group: m.group, why: "no_session" });
    else if (isStale(rec, l)) down.push({ node, group: m.group, why: "stale", lastReport: rec.checked_at });
    else if (!rec.healthy) down.push({ node, group: m.group, why: "unhealthy", lastReport: rec.checked_at, ...(rec.reason ? { reason: rec.reason } : {}) });
  }
  return down.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

/** One line per down node, for refusals, `status` and `cluster`. */
export function describeDown(d: DownNode): string {
  if (d.why === "unhealthy") return `${d.node} is not healthy (${d.reason ?? "no health check passed yet"}): it counts as down until its health check passes`;
  const what = d.why === "no_session" ? "no live session (powered off, crashed or its daemon stopped)" : `its health record stopped at ${d.lastReport}`;
  return `${d.node} is down: ${what}; it counts as down until it is back, or 'clusterrebootd forget ${d.node}' if it was decommissioned`;
}

/**
 * How a group's budget is used: slots held, and nodes down without one, each named with the way
 * out — or, for FleetLock clients (nameHolders false), counts only.
 */
export function describeBudget(limit: number, holders: readonly string[], down: readonly DownNode[], nameHolders: boolean): string {
  const counts = `${holders.length} of ${limit} slot(s) held${down.length ? `, ${down.length} node(s) down without a slot` : ""}`;
  if (!nameHolders) return counts;
  return [counts, ...(holders.length ? [`held by ${holders.join(", ")}`] : []), ...down.map(describeDown)].join("; ");
}

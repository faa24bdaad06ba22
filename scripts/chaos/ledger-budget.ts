/**
 * The budget rule of the ledger checker, with unplanned downs (issue 22). Nodes are down in two
 * ways: *planned* (a reboot under a slot: an away window, ledger-check.ts) and *unplanned* (the
 * power went off without a slot: from `<node> off` to its next `boot`). The environment may put a
 * group over its limit by itself — a power cut while the group is already at its limit, or
 * enough power cuts alone — so "down ≤ limit at every moment" cannot be the rule. The rule is:
 *
 *   a VIOLATION is a node of group G starting a planned down (its slot was taken, its reboot is
 *   on its way) while the other nodes of G that are down — planned, plus unplanned ones that
 *   *count* — number at least G's limit. Same over every group with the global cap.
 *
 * An unplanned down *counts* from the moment etcd can know it (its session lease has expired and
 * its health record is gone) until the machine boots again:
 *
 *   counts from  off + lock_ttl + margin
 *                (margin = etcd's lease-expiry lag + the longest post-lock health check, because
 *                the planned start the rule looks at — the post-lock check — comes up to one health
 *                timeout after the slot was actually taken); if an etcd member was killed or
 *                restarted before that moment, from that event + election + lock_ttl + margin
 *                instead (a new leader renews every lease by its full TTL);
 *   counts until its `boot` (the daemon starting again: the product may count it down longer, until
 *                its health record is back, which is only more careful), or an etcd wipe (the new
 *                cluster has no record of a machine that went off before it).
 *
 * Both ends are chosen so that a slot taken inside a counted interval was taken while the product
 * could see the node down: no false alarm from timing, and the old "count slots only" behaviour
 * still fails at once (a limit-1 group takes the next slot while a node is off for seconds).
 */
import type { LedgerEntry } from "../sim/ledger.ts";

/**
 * From an etcd member's kill or restart until a new leader has renewed the leases: the election
 * (timeout 1 s in tests/support/etcd.ts, randomised up to 2×) plus the extension etcd's lessor
 * adds on promotion (one election timeout), with a second of slack.
 */
const ELECTION_MS = 4_000;

export interface Window {
  node: string;
  start: number;
  /** undefined: still open at the end of the ledger. */
  end: number | undefined;
}

export interface UnplannedTiming {
  /** lock_ttl_sec of the daemons, in ms. */
  leaseTtlMs: number;
  /** See the file header. */
  marginMs: number;
  /** Times an etcd member was killed or restarted. */
  etcdDisruptions: readonly number[];
  /** Times etcd lost all its data. */
  wipes: readonly number[];
}

/** Unplanned downs: every `off` to the node's next `boot` (open at the end if none). */
export function unplannedFromLedger(entries: readonly LedgerEntry[]): Window[] {
  const out: Window[] = [];
  const open = new Map<string, number>();
  for (const e of [...entries].sort((a, b) => a.at - b.at)) {
    if (e.kind === "off" && !open.has(e.node)) open.set(e.node, e.at);
    else if (e.kind === "boot" && open.has(e.node)) {
      out.push({ node: e.node, start: open.get(e.node)!, end: e.at });
      open.delete(e.node);
    }
  }
  for (const [node, start] of open) out.push({ node, start, end: undefined });
  return out;
}

/** The part of an unplanned down during which it counts against the budget (see the header); undefined: never. */
export function countedPart(w: Window, t: UnplannedTiming): Window | undefined {
  let from = w.start + t.leaseTtlMs + t.marginMs;
  for (const d of [...t.etcdDisruptions].sort((a, b) => a - b))
    if (d >= w.start - ELECTION_MS && d <= from) from = Math.max(from, d + ELECTION_MS + t.leaseTtlMs + t.marginMs);
  const wipe = t.wipes.filter((x) => x >= w.start).sort((a, b) => a - b)[0];
  const until = Math.min(w.end ?? Number.POSITIVE_INFINITY, wipe ?? Number.POSITIVE_INFINITY);
  return from < until ? { node: w.node, start: from, end: Number.isFinite(until) ? until : undefined } : undefined;
}

export interface BudgetBreach {
  /** The node whose planned down started, and when (its post-lock check). */
  node: string;
  at: number;
  /** The other nodes down then, planned or counted unplanned. */
  planned: string[];
  unplanned: string[];
}

/**
 * Every planned start that found `limit` or more other nodes down (the rule of the header), among
 * `planned` and `counted` (already cut to their counted parts) of one scope (a group, or the fleet).
 * Two planned starts in the same millisecond: the later one in the list sees the earlier one.
 */
export function budgetBreaches(planned: readonly Window[], counted: readonly Window[], limit: number): BudgetBreach[] {
  const out: BudgetBreach[] = [];
  const inside = (w: Window, t: number) => t < (w.end ?? Number.POSITIVE_INFINITY);
  planned.forEach((x, i) => {
    const p = planned.filter((y, j) => y.node !== x.node && (y.start < x.start || (y.start === x.start && j < i)) && inside(y, x.start)).map((y) => y.node);
    const u = counted.filter((y) => y.node !== x.node && y.start <= x.start && inside(y, x.start)).map((y) => y.node);
    if (p.length + u.length >= limit) out.push({ node: x.node, at: x.start, planned: p, unplanned: u });
  });
  return out;
}

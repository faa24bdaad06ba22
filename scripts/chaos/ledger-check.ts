/**
 * The chaos run's external checker. It reads only the fleet ledger — lines written by the
 * simulated reboot command, the health scripts and the fleet (machine down / off / booted) — plus
 * what the chaos driver itself did (pause, window and freeze intervals, etcd faults), never the
 * daemons' logs or state.
 *
 * "Away" window of a node (slot taken → back healthy), bounded from inside so an overlap in the
 * ledger is a real overlap: it starts at the post-lock health check that preceded the reboot
 * command (the slot was taken before that check ran) and ends at the last post-boot health check
 * before the node's next post-lock check (the slot is released only after a passing one). These
 * are the *planned* downs; power cuts (`off` → `boot`) are the *unplanned* ones, and the budget
 * rule over both is in ledger-budget.ts.
 */
import { maxOverlap, type AwayWindow, type LedgerEntry } from "../sim/fleet.ts";
import { budgetBreaches, countedPart, unplannedFromLedger, type BudgetBreach, type UnplannedTiming, type Window } from "./ledger-budget.ts";

export interface Interval {
  start: number;
  /** Infinity: still open at the end. */
  end: number;
}

export interface LedgerFacts {
  groupOf(node: string): string;
  limitOf(group: string): number;
  /** From the pause command returning to the resume command being started. */
  pauses: readonly Interval[];
  /** Per node: intervals during which its config denied every reboot; `slackMs` after `start` tolerated (a decision taken before). */
  denies: ReadonlyMap<string, readonly (Interval & { slackMs: number })[]>;
  /** A fence that committed just before the pause (or freeze) may still run its command this long after. */
  pauseSlackMs: number;
  /** global_max_concurrent_reboots: most machines away at once across every group (null: none). */
  globalCap?: number | null;
  /** Per group: from the driver seeing `P/frozen/<group>` to its `resume --group` being started. */
  freezes?: ReadonlyMap<string, readonly Interval[]>;
  /** When unplanned downs count (ledger-budget.ts); default: lock TTL 3 s, margin 3 s, no etcd faults. */
  unplanned?: Partial<UnplannedTiming>;
}

type Peak = ReturnType<typeof maxOverlap>;

export interface LedgerVerdict {
  violations: string[];
  windows: AwayWindow[];
  /** Per group, most nodes away at once for a reboot under a slot (planned downs). */
  peaks: Map<string, Peak>;
  /** Per group, most nodes down at once, planned or powered off (may exceed the limit: see ledger-budget.ts). */
  downPeaks: Map<string, Peak>;
  reboots: number;
  /** Power cuts (`off` lines). */
  powerOffs: number;
  /** Most machines away at once across every group (planned). */
  globalPeak: Peak;
  /** The budget violations as data (node, planned start), to look them up in etcd's history. */
  breaches: BudgetBreach[];
}

/** Away windows per node, as described in the file header. Open windows end at `undefined`. */
export function awayFromLedger(entries: readonly LedgerEntry[]): AwayWindow[] {
  const out: AwayWindow[] = [];
  const byNode = new Map<string, LedgerEntry[]>();
  for (const e of [...entries].sort((a, b) => a.at - b.at)) byNode.set(e.node, [...(byNode.get(e.node) ?? []), e]);
  for (const [node, list] of byNode) {
    let lastPostLock: number | undefined;
    let open: { start: number; booted: boolean; last: number; end: number | undefined } | undefined;
    /** Closed by a later post-lock check without a passing post-boot one (e.g. the slot expired): end at the last evidence. */
    const close = (atEnd = false) => {
      if (open) out.push({ node, start: open.start, end: open.end ?? (atEnd ? undefined : open.last) });
      open = undefined;
    };
    for (const e of list) {
      if (e.kind === "health" && e.phase === "post-lock") {
        close();
        if (e.result === "ok") lastPostLock = e.at;
      } else if (e.kind === "reboot" && !e.noop) {
        close();
        open = { start: Math.min(lastPostLock ?? e.at, e.at), booted: false, last: e.at, end: undefined };
        lastPostLock = undefined;
      } else if (e.kind === "boot" && open) {
        open.booted = true;
        open.last = e.at;
      } else if (e.kind === "health" && e.phase === "post-boot" && e.result === "ok" && open?.booted) {
        open.end = e.at;
      }
    }
    close(true);
  }
  return out;
}

export function checkLedger(entries: readonly LedgerEntry[], facts: LedgerFacts): LedgerVerdict {
  const violations: string[] = [];
  const windows = awayFromLedger(entries);
  const offs = unplannedFromLedger(entries);
  const timing: UnplannedTiming = { leaseTtlMs: 3_000, marginMs: 3_000, etcdDisruptions: [], wipes: [], ...facts.unplanned };
  const counted = offs.map((w) => countedPart(w, timing)).filter((w): w is Window => w !== undefined);
  const peaks = new Map<string, Peak>();
  const downPeaks = new Map<string, Peak>();
  const breaches: BudgetBreach[] = [];
  const inGroup = (g: string) => (w: { node: string }) => facts.groupOf(w.node) === g;
  for (const g of [...new Set([...windows, ...offs].map((w) => facts.groupOf(w.node)))].sort()) {
    peaks.set(g, maxOverlap(windows.filter(inGroup(g))));
    downPeaks.set(g, maxOverlap([...windows, ...offs].filter(inGroup(g))));
    for (const b of budgetBreaches(windows.filter(inGroup(g)), counted.filter(inGroup(g)), facts.limitOf(g))) {
      breaches.push(b);
      violations.push(`group ${g}: ${breach(b, `limit ${facts.limitOf(g)}`, offs)}`);
    }
  }
  if (facts.globalCap != null)
    for (const b of budgetBreaches(windows, counted, facts.globalCap)) {
      breaches.push(b);
      violations.push(`fleet: ${breach(b, `global cap ${facts.globalCap}`, offs)}`);
    }
  const reboots = entries.filter((e) => e.kind === "reboot" && !e.noop);
  for (const r of reboots) {
    for (const p of facts.pauses)
      if (r.at > p.start + facts.pauseSlackMs && r.at < p.end) violations.push(`${r.node} ran its reboot command at ${iso(r.at)} while the cluster was paused (${iso(p.start)}–${iso(p.end)})`);
    for (const d of facts.denies.get(r.node) ?? [])
      if (r.at > d.start + d.slackMs && r.at < d.end) violations.push(`${r.node} ran its reboot command at ${iso(r.at)} inside its deny window (${iso(d.start)}–${iso(d.end)})`);
    const g = facts.groupOf(r.node);
    for (const f of facts.freezes?.get(g) ?? [])
      if (r.at > f.start + facts.pauseSlackMs && r.at < f.end) violations.push(`${r.node} ran its reboot command at ${iso(r.at)} while group ${g} was frozen (${iso(f.start)}–${iso(f.end)})`);
  }
  return { violations, windows, peaks, downPeaks, reboots: reboots.length, powerOffs: offs.length, globalPeak: maxOverlap(windows), breaches };
}

/** "3 nodes away at once (limit 2) at …: a3 took a slot while a1 (reboot), a2 (off since …) were down". */
function breach(b: BudgetBreach, bound: string, offs: readonly Window[]): string {
  const offSince = (n: string) => offs.filter((w) => w.node === n && w.start <= b.at).pop()?.start;
  const down = [...b.planned.map((n) => `${n} (reboot)`), ...b.unplanned.map((n) => `${n} (off since ${iso(offSince(n))})`)];
  return `${down.length + 1} nodes away at once (${bound}) at ${iso(b.at)}: ${b.node} took a slot while ${down.join(", ")} ${down.length === 1 ? "was" : "were"} down`;
}

function iso(t: number | undefined): string {
  return t === undefined || !Number.isFinite(t) ? "end" : new Date(t).toISOString().slice(11, 23);
}

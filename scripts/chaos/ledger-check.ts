/**
 * The chaos run's external checker. It reads only the fleet ledger — lines written by the
 * simulated reboot command, the health scripts and the fleet (machine down / booted) — plus what
 * the chaos driver itself did (pause and window intervals), never the daemons' logs or state.
 *
 * "Away" window of a node (slot taken → back healthy), bounded from inside so an overlap in the
 * ledger is a real overlap: it starts at the post-lock health check that preceded the reboot
 * command (the slot was taken before that check ran) and ends at the last post-boot health check
 * before the node's next post-lock check (the slot is released only after a passing one).
 */
import { maxOverlap, type AwayWindow, type LedgerEntry } from "../sim/fleet.ts";

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
  /** A fence that committed just before the pause may still run its command this long after. */
  pauseSlackMs: number;
  /** global_max_concurrent_reboots: most machines away at once across every group (null: none). */
  globalCap?: number | null;
}

export interface LedgerVerdict {
  violations: string[];
  windows: AwayWindow[];
  peaks: Map<string, { max: number; at: number | undefined; nodes: string[] }>;
  reboots: number;
  /** Most machines away at once across every group. */
  globalPeak: { max: number; at: number | undefined; nodes: string[] };
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
  const peaks = new Map<string, ReturnType<typeof maxOverlap>>();
  for (const g of new Set(windows.map((w) => facts.groupOf(w.node)))) {
    const peak = maxOverlap(windows.filter((w) => facts.groupOf(w.node) === g));
    peaks.set(g, peak);
    if (peak.max > facts.limitOf(g))
      violations.push(`group ${g}: ${peak.max} nodes away at once (limit ${facts.limitOf(g)}) at ${iso(peak.at)}: ${peak.nodes.join(", ")}`);
  }
  const globalPeak = maxOverlap(windows);
  if (facts.globalCap != null && globalPeak.max > facts.globalCap)
    violations.push(`fleet: ${globalPeak.max} nodes away at once (global cap ${facts.globalCap}) at ${iso(globalPeak.at)}: ${globalPeak.nodes.join(", ")}`);
  const reboots = entries.filter((e) => e.kind === "reboot" && !e.noop);
  for (const r of reboots) {
    for (const p of facts.pauses)
      if (r.at > p.start + facts.pauseSlackMs && r.at < p.end) violations.push(`${r.node} ran its reboot command at ${iso(r.at)} while the cluster was paused (${iso(p.start)}–${iso(p.end)})`);
    for (const d of facts.denies.get(r.node) ?? [])
      if (r.at > d.start + d.slackMs && r.at < d.end) violations.push(`${r.node} ran its reboot command at ${iso(r.at)} inside its deny window (${iso(d.start)}–${iso(d.end)})`);
  }
  return { violations, windows, peaks, reboots: reboots.length, globalPeak };
}

function iso(t: number | undefined): string {
  return t === undefined || !Number.isFinite(t) ? "end" : new Date(t).toISOString().slice(11, 23);
}

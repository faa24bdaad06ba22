/**
 * The fleet's ledger: one line per reboot command, health-script run, machine going down (for a
 * reboot, or powered off without one) and machine booting, with wall-clock epoch milliseconds.
 * Written by the sim scripts and the fleet, read by tests and the demo to check the one property
 * that matters: how many nodes of a group were "away" (between their reboot command and their
 * post-boot slot release) at the same time.
 */

export type LedgerEntry = { at: number; node: string } & (
  | { kind: "reboot"; bootId: string; noop: boolean }
  | { kind: "health"; phase: string; result: "ok" | "fail" | "hang" }
  | { kind: "down" }
  /** An unplanned power-off: the daemon SIGKILLed holding no slot; the machine stays off until its next `boot`. */
  | { kind: "off" }
  | { kind: "boot"; bootId: string }
);

/** Parses ledger text; lines that do not parse (e.g. a torn last line) are skipped. */
export function parseLedger(text: string): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const line of text.split("\n")) {
    const [ms, node, kind, a = "", b] = line.trim().split(/\s+/);
    const at = Number(ms);
    if (!node || !Number.isFinite(at)) continue;
    if (kind === "reboot") out.push({ at, node, kind, bootId: a, noop: b === "noop" });
    else if (kind === "health" && (b === "ok" || b === "fail" || b === "hang")) out.push({ at, node, kind, phase: a, result: b });
    else if (kind === "down" || kind === "off") out.push({ at, node, kind });
    else if (kind === "boot") out.push({ at, node, kind, bootId: a });
  }
  return out;
}

/** One node's time away: from its reboot command to the release of its slot (end undefined: still away). */
export interface AwayWindow {
  node: string;
  start: number;
  end: number | undefined;
}

/**
 * Pairs every reboot entry with the node's first release at or after it. `releases` maps a node
 * to the epoch-ms times its slot was released after the reboot (e.g. the daemon's `slot_released`
 * events with reason post_boot_healthy).
 */
export function awayWindows(ledger: readonly LedgerEntry[], releases: ReadonlyMap<string, readonly number[]>): AwayWindow[] {
  return ledger
    .filter((e) => e.kind === "reboot")
    .map((e) => ({ node: e.node, start: e.at, end: (releases.get(e.node) ?? []).filter((t) => t >= e.at).sort((x, y) => x - y)[0] }));
}

/**
 * The largest number of windows open at one instant. A release and a reboot at the same
 * millisecond count as a hand-off (the release first), not as an overlap.
 */
export function maxOverlap(windows: readonly AwayWindow[]): { max: number; at: number | undefined; nodes: string[] } {
  const points = windows.flatMap((w) => [
    { t: w.start, d: +1, node: w.node },
    { t: w.end ?? Number.POSITIVE_INFINITY, d: -1, node: w.node },
  ]);
  points.sort((x, y) => x.t - y.t || x.d - y.d);
  let cur = 0;
  const open = new Set<string>();
  let best = { max: 0, at: undefined as number | undefined, nodes: [] as string[] };
  for (const p of points) {
    cur += p.d;
    if (p.d > 0) open.add(p.node);
    else open.delete(p.node);
    if (cur > best.max) best = { max: cur, at: p.t, nodes: [...open] };
  }
  return best;
}

/** Nearest-rank percentile of `values` (p in 0..100); NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A node released its slot after its reboot; the next node of its group then ran its reboot command. */
export interface Handoff {
  group: string;
  from: string;
  to: string;
  releasedAt: number;
  rebootAt: number;
  ms: number;
}

/**
 * For every release, the first reboot of another node of the same group at or after it. Only
 * meaningful where that node was already waiting (e.g. a rolling reboot with every node due).
 */
export function handoffs(
  ledger: readonly LedgerEntry[],
  releases: readonly { node: string; group: string; at: number }[],
  groupOf: (node: string) => string | undefined,
): Handoff[] {
  const reboots = ledger.filter((e) => e.kind === "reboot").sort((x, y) => x.at - y.at);
  const out: Handoff[] = [];
  for (const r of releases) {
    const next = reboots.find((e) => e.at >= r.at && e.node !== r.node && groupOf(e.node) === r.group);
    if (next) out.push({ group: r.group, from: r.node, to: next.node, releasedAt: r.at, rebootAt: next.at, ms: next.at - r.at });
  }
  return out;
}

/**
 * The demo's closing report: per-node times, the safety check (most nodes of a group holding a
 * slot at once, from etcd's history, and most away at once, from the ledger, against the limit)
 * and an ASCII timeline of who held a slot when.
 */
import { HOLDING, type Phase, type Span } from "./tracker.ts";

export interface NodeTimes {
  node: string;
  group: string;
  /** Start of the run → first slot taken. */
  waitedMs: number;
  /** Sum of the spans holding the slot (preparing, rebooting, down, verifying). */
  heldMs: number;
  /** Machine off: down → booted. */
  downMs: number;
  /** Booted → slot released (daemon start, post-boot health). */
  verifyMs: number;
}

export function nodeTimes(spans: readonly Span[], startedAt: number, nodes: readonly { name: string; group: string }[]): NodeTimes[] {
  return nodes.map((n) => {
    const mine = spans.filter((s) => s.node === n.name);
    const len = (s: Span) => (s.end ?? s.start) - s.start;
    const sum = (pred: (p: Phase) => boolean) => mine.filter((s) => pred(s.phase)).reduce((a, s) => a + len(s), 0);
    const firstHold = mine.find((s) => HOLDING.has(s.phase));
    return {
      node: n.name,
      group: n.group,
      waitedMs: firstHold ? firstHold.start - startedAt : Number.NaN,
      heldMs: sum((p) => HOLDING.has(p)),
      downMs: sum((p) => p === "down"),
      verifyMs: sum((p) => p === "verifying"),
    };
  });
}

/** Letters of the ASCII timeline. */
const GLYPH: Record<Phase, string> = { starting: "-", waiting: ".", preparing: "P", rebooting: "R", down: "_", verifying: "V", done: " " };
export const TIMELINE_LEGEND = "legend: - daemon starting   . waiting   P preparing (slot taken, gates re-checked)   R reboot command   _ machine down   V booted, verifying   digits: slots held in the group (mid-column)";

const PRIORITY: readonly Phase[] = ["rebooting", "preparing", "down", "verifying", "waiting", "starting", "done"];

/**
 * One row per node (grouped), one column per `width`-th of the run; a row per group counts the
 * slots held in each column. Rows: `name |....PPR__VV     |`.
 */
export function asciiTimeline(spans: readonly Span[], startedAt: number, endAt: number, nodes: readonly { name: string; group: string }[], width = 64): string[] {
  const step = Math.max(1, (endAt - startedAt) / width);
  /** The most telling phase of `node` within column `col`: short phases (R, P) stay visible. */
  const phaseIn = (node: string, col: number): Phase | undefined => {
    const [t0, t1] = [startedAt + col * step, startedAt + (col + 1) * step];
    const seen = spans.filter((s) => s.node === node && s.start < t1 && (s.end ?? Number.POSITIVE_INFINITY) > t0).map((s) => s.phase);
    return PRIORITY.find((p) => seen.includes(p));
  };
  const phaseAt = (node: string, t: number): Phase | undefined =>
    spans.find((s) => s.node === node && s.start <= t && (s.end ?? Number.POSITIVE_INFINITY) > t)?.phase;
  const nw = Math.max(...nodes.map((n) => n.name.length), ...nodes.map((n) => n.group.length + 2));
  const lines: string[] = [];
  const groups = [...new Set(nodes.map((n) => n.group))];
  for (const g of groups) {
    const members = nodes.filter((n) => n.group === g);
    for (const n of members) {
      let row = "";
      for (let c = 0; c < width; c++) row += GLYPH[phaseIn(n.name, c) ?? "done"];
      lines.push(`${n.name.padEnd(nw)} |${row}|`);
    }
    let counts = "";
    for (let c = 0; c < width; c++) {
      const k = members.filter((n) => HOLDING.has(phaseAt(n.name, startedAt + (c + 0.5) * step) ?? "done")).length;
      counts += k === 0 ? " " : String(Math.min(9, k));
    }
    lines.push(`${`[${g}]`.padEnd(nw)} |${counts}|`);
  }
  const totalS = (endAt - startedAt) / 1000;
  const tickEvery = niceTick(totalS);
  let axis = "";
  let labels = "";
  for (let c = 0; c < width; c++) {
    const t0 = (c * step) / 1000;
    const t1 = ((c + 1) * step) / 1000;
    const tick = Math.ceil(t0 / tickEvery) * tickEvery;
    const has = tick < t1 || c === 0;
    axis += has ? "|" : "-";
    if (has && labels.length <= c) labels = labels.padEnd(c) + `${c === 0 ? 0 : tick}s`;
  }
  lines.push(`${"".padEnd(nw)} +${axis}+`);
  lines.push(`${"".padEnd(nw)}  ${labels}`);
  return lines;
}

/** A tick spacing giving 4–10 ticks over `totalS` seconds. */
export function niceTick(totalS: number): number {
  for (const t of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (totalS / t <= 10) return t;
  return 1200;
}

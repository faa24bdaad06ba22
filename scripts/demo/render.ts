/**
 * Terminal output of the demo: the live frame (redrawn in place on a TTY) and the plain event
 * lines used when stdout is not a terminal (CI, pipes).
 */
import type { DemoEvent, NodeView, Phase } from "./tracker.ts";

export interface EtcdView {
  /** Slots per group as etcd has them now: node and phase. */
  slots: Map<string, { node: string; phase: string }[]>;
  cooldowns: Set<string>;
  paused: boolean;
  error?: string;
}

export interface FrameInput {
  title: string;
  elapsedMs: number;
  views: readonly NodeView[];
  limits: ReadonlyMap<string, number>;
  etcd: EtcdView | undefined;
  recent: readonly DemoEvent[];
  startedAt: number;
  color: boolean;
}

const COLORS: Record<Phase, string> = {
  starting: "2",
  waiting: "33",
  preparing: "36",
  rebooting: "35;1",
  down: "31;1",
  verifying: "34;1",
  done: "32",
};

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** One frame of the live view, as lines. */
export function frame(f: FrameInput): string[] {
  const now = f.startedAt + f.elapsedMs;
  const lines = [paint(f.color, "1", f.title) + `   elapsed ${secs(f.elapsedMs)}`, ""];
  const groups = [...f.limits.keys()];
  const gw = Math.max(5, ...groups.map((g) => g.length));
  lines.push(`${"group".padEnd(gw)}  limit  slots in etcd now`);
  for (const g of groups) {
    const held = f.etcd?.slots.get(g) ?? [];
    const desc = held.length ? held.map((s) => `${s.node} (${s.phase})`).join(", ") : "-";
    const extra = [f.etcd?.cooldowns.has(g) ? "cooldown" : "", f.etcd?.paused ? "PAUSED" : ""].filter(Boolean).join(" ");
    lines.push(`${g.padEnd(gw)}  ${`${held.length}/${f.limits.get(g)}`.padStart(5)}  ${desc}${extra ? `   [${extra}]` : ""}`);
  }
  if (f.etcd?.error) lines.push(paint(f.color, "31", `etcd: ${f.etcd.error}`));
  lines.push("");
  const nw = Math.max(4, ...f.views.map((v) => v.name.length));
  lines.push(`${"node".padEnd(nw)}  ${"group".padEnd(gw)}  ${"phase".padEnd(9)}  ${"for".padStart(7)}  slot  detail`);
  for (const v of f.views) {
    const holds = ["preparing", "rebooting", "down", "verifying"].includes(v.phase);
    lines.push(
      `${v.name.padEnd(nw)}  ${v.group.padEnd(gw)}  ${paint(f.color, COLORS[v.phase], v.phase.padEnd(9))}  ${secs(now - v.since).padStart(7)}  ${holds ? " ●  " : "    "}  ${v.why}`,
    );
  }
  lines.push("", "recent events:");
  const recent = f.recent.slice(-5);
  for (const e of recent) lines.push(`  ${eventLine(e, f.startedAt)}`);
  for (let i = recent.length; i < 5; i++) lines.push("");
  return lines;
}

/** `+  3.21 s  w1  took a slot (...)`: one event, relative to the start of the run. */
export function eventLine(e: DemoEvent, startedAt: number): string {
  return `+${((e.at - startedAt) / 1000).toFixed(2).padStart(6)} s  ${e.node.padEnd(4)}  ${e.text}`;
}

/** Redraws a block of lines in place (cursor up over the previous frame, then clear below). */
export class LiveScreen {
  private drawn = 0;
  constructor(private readonly out: (s: string) => void) {}
  draw(lines: readonly string[]): void {
    const cols = process.stdout.columns || 120;
    const text = lines.map((l) => clip(l, cols)).join("\n");
    this.out(`${this.drawn > 0 ? `\x1b[${this.drawn}F` : "\x1b[?25l"}\x1b[J${text}\n`);
    this.drawn = lines.length;
  }
  /** Shows the cursor again; the last frame stays on screen. */
  close(): void {
    this.out("\x1b[?25h");
    this.drawn = 0;
  }
}

/** Cuts a line to the terminal width, counting visible characters only (ANSI codes are free). */
function clip(line: string, cols: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\x1b") {
      const end = line.indexOf("m", i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= cols - 1) continue;
    out += line[i];
    visible++;
  }
  return out;
}

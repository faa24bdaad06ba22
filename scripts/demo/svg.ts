/**
 * The demo's timeline as a standalone SVG: one row per node (grouped, with the group's limit and
 * the most slots it held at once), coloured bars for every phase, seconds on the x axis.
 */
import type { Phase, Span } from "./tracker.ts";
import { niceTick } from "./summary.ts";

const FILL: Record<Phase, string> = {
  starting: "#eeeeee",
  waiting: "#f3e3b0",
  preparing: "#7fc8d6",
  rebooting: "#b05fc0",
  down: "#d9534f",
  verifying: "#4f7fd9",
  done: "#ffffff",
};
const LABEL: Partial<Record<Phase, string>> = {
  waiting: "waiting",
  preparing: "preparing (slot taken)",
  rebooting: "reboot command",
  down: "machine down",
  verifying: "booted, verifying",
};

export interface SvgInput {
  title: string;
  spans: readonly Span[];
  startedAt: number;
  endAt: number;
  nodes: readonly { name: string; group: string }[];
  /** Per group: limit and the most slots held at once (from etcd's history). */
  groups: ReadonlyMap<string, { limit: number; peak: number }>;
}

export function timelineSvg(s: SvgInput): string {
  const left = 150;
  const plotW = 720;
  const row = 24;
  const top = 56;
  const totalMs = Math.max(1, s.endAt - s.startedAt);
  const x = (t: number) => left + ((t - s.startedAt) / totalMs) * plotW;
  const out: string[] = [];
  let y = top;
  for (const [g, info] of s.groups) {
    out.push(`<text x="8" y="${y + 14}" font-weight="bold">${esc(g)}</text>`);
    out.push(`<text x="${left + plotW + 8}" y="${y + 14}" fill="${info.peak > info.limit ? "#c00" : "#080"}">max ${info.peak} of ${info.limit}</text>`);
    y += row;
    for (const n of s.nodes.filter((n) => n.group === g)) {
      out.push(`<text x="20" y="${y + 15}">${esc(n.name)}</text>`);
      out.push(`<line x1="${left}" y1="${y + row / 2}" x2="${left + plotW}" y2="${y + row / 2}" stroke="#ddd"/>`);
      for (const sp of s.spans.filter((sp) => sp.node === n.name && sp.phase !== "done" && sp.phase !== "starting")) {
        const x0 = x(sp.start);
        const w = Math.max(1, x(sp.end ?? s.endAt) - x0);
        out.push(
          `<rect x="${x0.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 6}" fill="${FILL[sp.phase]}"><title>${esc(n.name)} ${sp.phase} ${((sp.start - s.startedAt) / 1000).toFixed(2)}–${(((sp.end ?? s.endAt) - s.startedAt) / 1000).toFixed(2)} s</title></rect>`,
        );
      }
      y += row;
    }
    y += 8;
  }
  const tick = niceTick(totalMs / 1000);
  for (let t = 0; t <= totalMs / 1000 + 1e-9; t += tick) {
    const tx = x(s.startedAt + t * 1000);
    out.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${y}" stroke="#bbb" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${tx}" y="${y + 16}" text-anchor="middle">${t} s</text>`);
  }
  let lx = left;
  const ly = y + 36;
  for (const [phase, label] of Object.entries(LABEL) as [Phase, string][]) {
    out.push(`<rect x="${lx}" y="${ly - 11}" width="14" height="14" fill="${FILL[phase]}"/><text x="${lx + 18}" y="${ly}">${label}</text>`);
    lx += 28 + label.length * 7;
  }
  const height = ly + 16;
  const width = left + plotW + 110;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="24" font-size="16" font-weight="bold">${esc(s.title)}</text>`,
    `<text x="8" y="42" fill="#555">total ${(totalMs / 1000).toFixed(1)} s; bars from the daemons' events and the fleet ledger; max from etcd's history</text>`,
    ...out,
    `</svg>`,
    "",
  ].join("\n");
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

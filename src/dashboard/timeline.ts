/**
 * The phases the page has seen while it runs, as spans for the timeline (like the demo's SVG),
 * and "since when" for phases no record dates (idle, waiting without blocked_since). etcd keeps
 * no history of slot phases, so a span starts when the page first saw it, or at the slot's own
 * phase time when it has one. Bounded: spans older than the horizon, and beyond MAX_SPANS, go.
 */
import type { FleetView, NodePhase, PhaseSpan } from "./view.ts";

export const TIMELINE_HORIZON_MS = 6 * 3_600_000;
export const MAX_SPANS = 500;

export interface PhaseTracker {
  /** Records the phases of `view` (seen at `nowMs`) and fills in its `since` and timeline spans. */
  annotate(view: FleetView, nowMs: number): FleetView;
  /** The phase last recorded for a node (buildView's `prior`). */
  phaseOf(node: string): NodePhase | undefined;
}

export function createPhaseTracker(): PhaseTracker {
  // since null: first seen idle, the page does not know since when.
  const current = new Map<string, { phase: NodePhase; since: string | null; span?: PhaseSpan }>();
  let closed: PhaseSpan[] = [];
  return {
    phaseOf: (node) => current.get(node)?.phase,
    annotate(view, nowMs) {
      const nowIso = new Date(nowMs).toISOString();
      const seen = new Set<string>();
      for (const n of view.nodes) {
        seen.add(n.node);
        const prev = current.get(n.node);
        if (prev && prev.phase === n.phase) {
          n.since ??= prev.since;
          continue;
        }
        // A dated phase (slot phase_at, blocked_since) starts then; otherwise now. The previous
        // span ends where the new one starts (not before its own start), so they never overlap.
        const since = n.since ?? (n.phase === "idle" && !prev ? null : nowIso);
        if (prev?.span) closed.push({ ...prev.span, to: maxIso(prev.span.from, minIso(nowIso, since ?? nowIso)) });
        const entry: { phase: NodePhase; since: string | null; span?: PhaseSpan } = { phase: n.phase, since };
        if (n.phase !== "idle") {
          const from = since ?? nowIso;
          entry.span = { node: n.node, group: n.group, phase: n.phase, from: prev?.since ? maxIso(from, prev.since) : from, to: null };
        }
        current.set(n.node, entry);
        n.since = since;
      }
      for (const [node, prev] of current) {
        if (seen.has(node)) continue;
        if (prev.span) closed.push({ ...prev.span, to: nowIso });
        current.delete(node);
      }
      const horizon = nowMs - TIMELINE_HORIZON_MS;
      closed = closed.filter((s) => s.to === null || Date.parse(s.to) >= horizon).slice(-MAX_SPANS);
      const open = [...current.values()].flatMap((c) => (c.span ? [c.span] : []));
      view.timeline.spans = [...closed, ...open].map((s) => ({ ...s }));
      return view;
    },
  };
}

const maxIso = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);
const minIso = (a: string, b: string) => (Date.parse(a) <= Date.parse(b) ? a : b);

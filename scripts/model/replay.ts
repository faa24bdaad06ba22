/**
 * Replays a recorded etcd history (scripts/chaos/etcd-history.ts readHistory) through the model's
 * transition rules: every change of a slot key must be one of SLOT_TRANSITIONS (transitions.ts),
 * a put on an existing key must keep its create revision (the slot's identity), and at every
 * revision each group holds at most its limit. Returns the violations (empty: the run is one the
 * model allows) and how often each step was seen.
 */
import type { HistoryEvent } from "../chaos/etcd-history.ts";
import { allowedStep, type SlotPhase } from "./transitions.ts";

export interface ReplayResult {
  violations: string[];
  steps: Record<string, number>;
  revisions: number;
}

interface Live {
  phase: SlotPhase;
  lease: string | undefined;
  createRev: number | undefined;
  group: string;
}

const PHASES: readonly string[] = ["preparing", "rebooting", "verifying"];

function phaseOf(value: string): SlotPhase | undefined {
  try {
    const p = (JSON.parse(value) as { phase?: unknown }).phase;
    return typeof p === "string" && PHASES.includes(p) ? (p as SlotPhase) : undefined;
  } catch {
    return undefined;
  }
}

export function replayThroughModel(events: readonly HistoryEvent[], prefix: string, limitOf: (group: string) => number): ReplayResult {
  const slotsPrefix = `${prefix.replace(/\/+$/, "")}/slots/`;
  const live = new Map<string, Live>();
  const out: ReplayResult = { violations: [], steps: {}, revisions: 0 };
  const seen = (step: string) => (out.steps[step] = (out.steps[step] ?? 0) + 1);
  let i = 0;
  while (i < events.length) {
    const rev = events[i]!.rev;
    out.revisions++;
    for (; i < events.length && events[i]!.rev === rev; i++) {
      const e = events[i]!;
      if (!e.key.startsWith(slotsPrefix)) continue;
      const [group = "?", node = "?"] = e.key.slice(slotsPrefix.length).split("/");
      const before = live.get(e.key);
      if (e.kind === "delete") {
        if (before) seen("delete");
        live.delete(e.key);
        continue;
      }
      const to = phaseOf(e.value);
      if (!to) {
        out.violations.push(`rev ${rev}: ${node} (${group}): slot value without a known phase: ${e.value.slice(0, 80)}`);
        continue;
      }
      const from = before?.phase ?? "absent";
      const step = allowedStep(from, to, before?.lease, e.lease);
      if (!step) out.violations.push(`rev ${rev}: ${node} (${group}): ${from} -> ${to} (lease ${before?.lease ?? "-"} -> ${e.lease ?? "?"}) is no step of the model`);
      else seen(step.step);
      if (before && e.createRev !== undefined && before.createRev !== undefined && e.createRev !== before.createRev)
        out.violations.push(`rev ${rev}: ${node} (${group}): create revision changed on a put (${before.createRev} -> ${e.createRev})`);
      if (!before && e.createRev !== undefined && e.createRev !== rev)
        out.violations.push(`rev ${rev}: ${node} (${group}): a new slot key with create revision ${e.createRev}`);
      live.set(e.key, { phase: to, lease: e.lease, createRev: e.createRev ?? before?.createRev, group });
    }
    const count = new Map<string, number>();
    for (const s of live.values()) count.set(s.group, (count.get(s.group) ?? 0) + 1);
    for (const [g, c] of count) if (c > limitOf(g)) out.violations.push(`rev ${rev}: group ${g} holds ${c} slots (limit ${limitOf(g)})`);
  }
  return out;
}

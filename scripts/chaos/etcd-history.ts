/**
 * An auditor that does not trust the daemons: it replays etcd's own history (every revision since
 * 1; nothing compacts it in our throw-away clusters) and checks the slot invariants of
 * docs/SLOTS.md at every single revision:
 *   - budget: live slot keys of a group ≤ its limit (and all groups ≤ the global cap, if any);
 *   - fence and admission: no slot was created, and none entered phase `rebooting`, while the
 *     pause key or its group's cooldown existed (judged on the state before that revision: the
 *     acquiring and fencing transactions compared it there);
 *   - what is left at the end (slot keys, pause key).
 * Used by the chaos test and by the demo's final safety check.
 */
import { Etcd3 } from "etcd3";
import { randomUUID } from "node:crypto";

export interface HistoryEvent {
  rev: number;
  kind: "put" | "delete";
  key: string;
  value: string;
  /** Lease id in decimal ("0": none) and create revision of the key after a put. */
  lease?: string;
  createRev?: number;
}

/**
 * Every put/delete under `prefix` from revision 1 to now, in order. A sentinel key outside the
 * prefix (written, then deleted) marks "now", so the replay knows when it has caught up.
 */
export async function readHistory(endpoints: readonly string[], prefix: string, timeoutMs = 30_000): Promise<HistoryEvent[]> {
  const client = new Etcd3({ hosts: [...endpoints], dialTimeout: 5_000 });
  const sentinel = `/~crd-audit-${randomUUID()}`;
  const events: HistoryEvent[] = [];
  try {
    const watcher = await client.watch().prefix("/").startRevision("1").create();
    try {
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`etcd history replay did not catch up within ${timeoutMs} ms`)), timeoutMs);
        watcher.on("data", (res) => {
          for (const e of res.events) {
            const key = e.kv.key.toString();
            if (key === sentinel) {
              clearTimeout(timer);
              resolve();
              return;
            }
            if (!key.startsWith(prefix)) continue;
            const del = e.type === "Delete";
            events.push({
              rev: Number(e.kv.mod_revision),
              kind: del ? "delete" : "put",
              key,
              value: e.kv.value.toString(),
              ...(del ? {} : { lease: String(e.kv.lease ?? "0"), createRev: Number(e.kv.create_revision) }),
            });
          }
        });
        watcher.on("error", (err) => reject(err));
      });
      await client.put(sentinel).value("x");
      await done;
    } finally {
      await watcher.cancel().catch(() => {});
      await client.delete().key(sentinel).catch(() => {});
    }
  } finally {
    client.close();
  }
  return events;
}

export interface GroupPeak {
  max: number;
  /** Revision at which the peak was first reached, and the holders then. */
  rev: number;
  nodes: string[];
}

export interface AuditResult {
  revisions: number;
  peaks: Map<string, GroupPeak>;
  globalPeak: number;
  /** Slot entries into `rebooting` (fences that committed). */
  fences: number;
  /** Slot keys taken (creates). */
  acquisitions: number;
  violations: string[];
  slotsLeft: string[];
  pauseLeft: boolean;
  /** Revisions at which the pause key appeared / disappeared. */
  pauseChanges: number;
}

/**
 * Checks the invariants over `events` (from {@link readHistory}). `limitOf` gives each group's
 * configured limit; `globalCap` the cluster-wide cap (null: none).
 */
export function auditHistory(events: readonly HistoryEvent[], prefix: string, limitOf: (group: string) => number, globalCap: number | null = null): AuditResult {
  const p = prefix.replace(/\/+$/, "");
  const slots = new Map<string, { group: string; node: string; phase: string }>();
  const cooldowns = new Set<string>();
  let paused = false;
  const peaks = new Map<string, GroupPeak>();
  const out: AuditResult = { revisions: 0, peaks, globalPeak: 0, fences: 0, acquisitions: 0, violations: [], slotsLeft: [], pauseLeft: false, pauseChanges: 0 };
  let i = 0;
  while (i < events.length) {
    const rev = events[i]!.rev;
    const pausedBefore = paused;
    const cooldownBefore = new Set(cooldowns);
    out.revisions++;
    for (; i < events.length && events[i]!.rev === rev; i++) {
      const e = events[i]!;
      const rest = e.key.slice(p.length + 1);
      if (rest === "pause") {
        if (paused !== (e.kind === "put")) out.pauseChanges++;
        paused = e.kind === "put";
      } else if (rest.startsWith("cooldown/")) {
        const g = rest.slice("cooldown/".length);
        if (e.kind === "put") cooldowns.add(g);
        else cooldowns.delete(g);
      } else if (rest.startsWith("slots/")) {
        const [group = "?", node = "?"] = rest.slice("slots/".length).split("/");
        if (e.kind === "delete") {
          slots.delete(e.key);
          continue;
        }
        const phase = phaseOf(e.value);
        const before = slots.get(e.key);
        if (!before) {
          out.acquisitions++;
          if (pausedBefore) out.violations.push(`rev ${rev}: ${node} (${group}) took a slot while the cluster was paused`);
          if (cooldownBefore.has(group)) out.violations.push(`rev ${rev}: ${node} (${group}) took a slot during its group's cooldown`);
        }
        if (phase === "rebooting" && before?.phase !== "rebooting") {
          out.fences++;
          if (pausedBefore) out.violations.push(`rev ${rev}: ${node} (${group}) entered rebooting while the cluster was paused`);
          if (cooldownBefore.has(group)) out.violations.push(`rev ${rev}: ${node} (${group}) entered rebooting during its group's cooldown`);
        }
        slots.set(e.key, { group, node, phase });
      }
    }
    const byGroup = new Map<string, string[]>();
    for (const s of slots.values()) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), s.node]);
    for (const [g, nodes] of byGroup) {
      const peak = peaks.get(g);
      if (!peak || nodes.length > peak.max) peaks.set(g, { max: nodes.length, rev, nodes: [...nodes].sort() });
      if (nodes.length > limitOf(g)) out.violations.push(`rev ${rev}: group ${g} has ${nodes.length} slots (limit ${limitOf(g)}): ${nodes.join(", ")}`);
    }
    out.globalPeak = Math.max(out.globalPeak, slots.size);
    if (globalCap !== null && slots.size > globalCap) out.violations.push(`rev ${rev}: ${slots.size} slots in all groups (global cap ${globalCap})`);
  }
  out.slotsLeft = [...slots.keys()];
  out.pauseLeft = paused;
  return out;
}

function phaseOf(value: string): string {
  try {
    const v = JSON.parse(value) as { phase?: unknown };
    return typeof v.phase === "string" ? v.phase : "unreadable";
  } catch {
    return "unreadable";
  }
}

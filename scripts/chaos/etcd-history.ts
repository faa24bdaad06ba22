/**
 * An auditor that does not trust the daemons: it replays etcd's own history (every revision since
 * 1; nothing compacts it in our throw-away clusters) and checks the slot invariants of
 * docs/SLOTS.md at every single revision:
 *   - budget: live slot keys of a group ≤ its limit (and all groups ≤ the global cap, if any);
 *   - fence and admission: no slot was created, and none entered phase `rebooting`, while the
 *     pause key or its group's cooldown existed (judged on the state before that revision: the
 *     acquiring and fencing transactions compared it there);
 *   - down means down (issue 22; `downMembers`): no slot taken while the group's slots plus its
 *     members down without one — a member record, no slot, no health record (its session is
 *     gone) — already filled the group's limit. Exact per group: the acquiring transaction
 *     compares the health keys of the group's members it counted up, so etcd's state just before
 *     the acquisition is what admitted it (a stale-but-present record the product also counts
 *     down only makes it more careful). The same for the global cap over every group: under a
 *     global cap the transaction also compares the create revision of every other group's member
 *     it counted up (up to 100 compares in all; the chaos fleet has 8 nodes);
 *   - the freeze (issue 22): no slot taken (created in `preparing`) and none entered `rebooting`
 *     while `P/frozen/<group>` existed. A slot re-created in `verifying` by a node coming back
 *     (RECREATE) is not a new reboot and is allowed;
 *   - what is left at the end (slot keys, pause key, frozen groups).
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
  /** Times a group's frozen key appeared, and the groups still frozen at the end. */
  freezes: number;
  frozenLeft: string[];
}

/**
 * Checks the invariants over `events` (from {@link readHistory}). `limitOf` gives each group's
 * configured limit; `globalCap` the cluster-wide cap (null: none).
 */
export function auditHistory(events: readonly HistoryEvent[], prefix: string, limitOf: (group: string) => number, globalCap: number | null = null, opts: { downMembers?: boolean } = {}): AuditResult {
  const p = prefix.replace(/\/+$/, "");
  const members = new Map<string, string>();
  const alive = new Set<string>();
  const slots = new Map<string, { group: string; node: string; phase: string }>();
  const cooldowns = new Set<string>();
  const frozen = new Set<string>();
  let paused = false;
  const peaks = new Map<string, GroupPeak>();
  const out: AuditResult = { revisions: 0, peaks, globalPeak: 0, fences: 0, acquisitions: 0, violations: [], slotsLeft: [], pauseLeft: false, pauseChanges: 0, freezes: 0, frozenLeft: [] };
  let i = 0;
  while (i < events.length) {
    const rev = events[i]!.rev;
    const pausedBefore = paused;
    const cooldownBefore = new Set(cooldowns);
    const frozenBefore = new Set(frozen);
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
      } else if (rest.startsWith("members/")) {
        if (e.kind === "put") members.set(rest.slice("members/".length), groupOf(e.value));
        else members.delete(rest.slice("members/".length));
      } else if (rest.startsWith("health/")) {
        if (e.kind === "put") alive.add(rest.slice("health/".length));
        else alive.delete(rest.slice("health/".length));
      } else if (rest.startsWith("frozen/")) {
        const g = rest.slice("frozen/".length);
        if (e.kind === "put" && !frozen.has(g)) out.freezes++;
        if (e.kind === "put") frozen.add(g);
        else frozen.delete(g);
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
          if (frozenBefore.has(group) && phase === "preparing") out.violations.push(`rev ${rev}: ${node} (${group}) took a slot while its group was frozen`);
          if (opts.downMembers && phase === "preparing") {
            const held = [...slots.values()].filter((x) => x.group === group);
            const holders = new Set([...slots.values()].map((x) => x.node));
            const down = [...members].filter(([m, g]) => g === group && m !== node && !holders.has(m) && !alive.has(m)).map(([m]) => m);
            if (held.length + down.length >= limitOf(group))
              out.violations.push(`rev ${rev}: ${node} (${group}) took a slot while ${held.length} slot(s) (${held.map((x) => x.node).join(", ")}) and ${down.length} member(s) without a session (${down.join(", ")}) filled its limit ${limitOf(group)}`);
            if (globalCap !== null) {
              const all = [...slots.values()];
              const gone = [...members.keys()].filter((m) => m !== node && !holders.has(m) && !alive.has(m));
              if (all.length + gone.length >= globalCap)
                out.violations.push(`rev ${rev}: ${node} (${group}) took a slot while ${all.length} slot(s) (${all.map((x) => x.node).join(", ")}) and ${gone.length} member(s) without a session (${gone.join(", ")}) filled the global cap ${globalCap}`);
            }
          }
        }
        if (phase === "rebooting" && before?.phase !== "rebooting") {
          out.fences++;
          if (pausedBefore) out.violations.push(`rev ${rev}: ${node} (${group}) entered rebooting while the cluster was paused`);
          if (cooldownBefore.has(group)) out.violations.push(`rev ${rev}: ${node} (${group}) entered rebooting during its group's cooldown`);
          if (frozenBefore.has(group)) out.violations.push(`rev ${rev}: ${node} (${group}) entered rebooting while its group was frozen`);
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
  out.frozenLeft = [...frozen].sort();
  return out;
}

/**
 * Slot writes (puts) whose record carries one of `ids` (a clone's boot id or hardware id): a clone
 * must never take, fence or verify a slot of its name. Deletes carry no value; the clone's own
 * log shows those (faults-state.ts).
 */
export function slotPutsCarrying(events: readonly HistoryEvent[], prefix: string, ids: ReadonlyMap<string, string>): string[] {
  const slots = `${prefix.replace(/\/+$/, "")}/slots/`;
  const out: string[] = [];
  for (const e of events) {
    if (e.kind !== "put" || !e.key.startsWith(slots)) continue;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(e.value) as Record<string, unknown>;
    } catch {
      continue;
    }
    for (const f of ["boot_id", "hardware_id"]) {
      const who = typeof v[f] === "string" ? ids.get(v[f]) : undefined;
      if (who) out.push(`rev ${e.rev}: ${e.key.slice(slots.length)} written in phase ${String(v["phase"])} with ${f} of ${who}`);
    }
  }
  return out;
}

/** The group of a member record; "?" when unreadable (then it never matches a group). */
function groupOf(value: string): string {
  try {
    const v = JSON.parse(value) as { group?: unknown };
    return typeof v.group === "string" ? v.group : "?";
  } catch {
    return "?";
  }
}

function phaseOf(value: string): string {
  try {
    const v = JSON.parse(value) as { phase?: unknown };
    return typeof v.phase === "string" ? v.phase : "unreadable";
  } catch {
    return "unreadable";
  }
}

/** The audits of successive etcd incarnations as one: sums and peaks; what is left, from the last. */
export function mergeAudits(all: AuditResult[]): AuditResult {
  const last = all[all.length - 1]!;
  const peaks = new Map(last.peaks);
  for (const a of all) for (const [g, p] of a.peaks) if (p.max > (peaks.get(g)?.max ?? -1)) peaks.set(g, p);
  const sum = (f: (a: AuditResult) => number) => all.reduce((n, a) => n + f(a), 0);
  return {
    ...last,
    revisions: sum((a) => a.revisions),
    fences: sum((a) => a.fences),
    acquisitions: sum((a) => a.acquisitions),
    pauseChanges: sum((a) => a.pauseChanges),
    freezes: sum((a) => a.freezes),
    globalPeak: Math.max(...all.map((a) => a.globalPeak)),
    peaks,
    violations: all.flatMap((a, i) => a.violations.map((v) => (all.length > 1 ? `incarnation ${i + 1}: ${v}` : v))),
  };
}

/**
 * What etcd held around the creation of `node`'s slot: the last slot of that node created (in
 * `preparing`) with `acquired_at` at or before `atMs` (the ledger's planned start, its post-lock
 * check). Lines for a failure report: the revision, then members, health records (with their
 * lease and `checked_at`) and slots just before that revision (what admitted it) and after it.
 * Used to tell a product fault from a checker's timing assumption (docs/SLOTS.md §What the
 * checkers see).
 */
export function explainSlotCreation(events: readonly HistoryEvent[], prefix: string, node: string, atMs: number): string[] {
  const p = prefix.replace(/\/+$/, "");
  const members = new Map<string, string>();
  const health = new Map<string, { rev: number; createRev: number; lease: string; checkedAt: string; healthy: string; phase: string }>();
  const slots = new Map<string, { node: string; phase: string; rev: number; createRev: number; lease: string; acquiredAt: string }>();
  let found: { rev: number; acquiredAt: string; before: string[]; after?: string[] } | undefined;
  const dump = (): string[] => [
    `    members: ${[...members].map(([m, g]) => `${m}(${g})`).join(" ")}`,
    `    health: ${[...members.keys()].map((m) => { const h = health.get(m); return h ? `${m}=rev ${h.rev} create ${h.createRev} lease ${h.lease} ${h.phase}/${h.healthy} checked ${h.checkedAt.slice(11, 23)}` : `${m}=NONE`; }).join("; ")}`,
    `    slots: ${[...slots.values()].map((s) => `${s.node} ${s.phase} create ${s.createRev} acquired ${s.acquiredAt.slice(11, 23)}`).join("; ") || "none"}`,
  ];
  let i = 0;
  while (i < events.length) {
    const rev = events[i]!.rev;
    let created: { acquiredAt: string; before: string[] } | undefined;
    const before = dump();
    for (; i < events.length && events[i]!.rev === rev; i++) {
      const e = events[i]!;
      const rest = e.key.slice(p.length + 1);
      const rec = parseObject(e.value);
      if (rest.startsWith("members/")) {
        if (e.kind === "put") members.set(rest.slice(8), String(rec["group"] ?? "?"));
        else members.delete(rest.slice(8));
      } else if (rest.startsWith("health/")) {
        const n = rest.slice(7);
        if (e.kind === "put") health.set(n, { rev, createRev: e.createRev ?? 0, lease: e.lease ?? "?", checkedAt: String(rec["checked_at"] ?? ""), healthy: String(rec["healthy"]), phase: String(rec["phase"] ?? "") });
        else health.delete(n);
      } else if (rest.startsWith("slots/")) {
        if (e.kind === "delete") {
          slots.delete(e.key);
          continue;
        }
        const n = rest.split("/")[2] ?? "?";
        const isNew = !slots.has(e.key);
        slots.set(e.key, { node: n, phase: String(rec["phase"] ?? "?"), rev, createRev: e.createRev ?? 0, lease: e.lease ?? "?", acquiredAt: String(rec["acquired_at"] ?? "") });
        if (isNew && n === node && rec["phase"] === "preparing" && Date.parse(String(rec["acquired_at"])) <= atMs) created = { acquiredAt: String(rec["acquired_at"]), before };
      }
    }
    if (created) {
      found = { rev, ...created };
      found.after = dump();
    }
  }
  if (!found) return [`  etcd: no slot of ${node} created at or before ${new Date(atMs).toISOString()}`];
  return [`  etcd: ${node}'s slot created at rev ${found.rev} (acquired_at ${found.acquiredAt}); just before it:`, ...found.before, `  after it:`, ...(found.after ?? [])];
}

/** A JSON object, or {} for anything else (a record this checker cannot read says nothing). */
export function parseObject(value: string): Record<string, unknown> {
  try {
    const v = JSON.parse(value) as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * What the page shows, computed from one `readClusterState` read (the same data `cluster`
 * prints): groups with slots used/limit and cooldown, every node with health, phase and since
 * when, who waits and why, pause, windows and the timeline. Pure: time and the phase history
 * come in as arguments, so it is tested without etcd. Every key is snake_case (it is JSON the
 * binary prints with `--json` and streams to the page).
 */
import { downMembers, isStale, staleAfterMs, type ClusterState, type HealthRecord, type SlotEntry } from "../slots/index.ts";
import { evaluateWindows, hasWindows, nextWindowChange, type WindowSet } from "../windows/index.ts";

/** What the view needs from the configuration (the node's own config file, as `cluster` uses). */
export interface ViewOptions {
  namespace: string;
  /** The configured limit of a group (`group_limits[g]`, else `max_concurrent_reboots`). */
  limitOf(group: string): number;
  globalCap: number | null;
  /** Groups to show even while none of their nodes is known (config's group and group_limits). */
  configuredGroups: readonly string[];
  windows: WindowSet | undefined;
  publishIntervalMs: number;
  healthTimeoutMs: number;
}

export type NodePhase = "idle" | "waiting" | "preparing" | "rebooting" | "verifying";
/** down: rebooting under its slot, or a member with no live session (it counts against the budget). */
export type NodeHealth = "healthy" | "unhealthy" | "stale" | "missing" | "down";

export interface NodeView {
  node: string;
  group: string;
  health: NodeHealth;
  /** The health record's reason (unhealthy) or phase of its last check. */
  health_detail: string | null;
  checked_at: string | null;
  phase: NodePhase;
  /** Since when the node is in `phase` (slot phase time, blocked_since, or first seen so by the page). */
  since: string | null;
  slot: { phase: string; holder: string; acquired_at: string | null; deadline: string | null } | null;
  /** Why a waiting node waits: the daemon's blocked_reason when it publishes one, else derived here. */
  waiting: { reason: string; source: "daemon" | "derived" } | null;
  needs_reboot: boolean | null;
  last_reboot_at: string | null;
  reboots_24h: number;
}

export interface GroupView {
  name: string;
  used: number;
  limit: number;
  holders: string[];
  /** Members down without a slot: they use the budget like slots do (slots/down.ts). */
  down: string[];
  cooldown: { node: string | null; released_at: string | null; until: string | null } | null;
  /** A failed reboot froze the group (slots/failure.ts); null while it is not frozen. */
  frozen: { node: string | null; reason: string | null; at: string | null } | null;
}

/** A phase as the timeline draws it (filled in by the page's phase tracker, timeline.ts). */
export interface PhaseSpan {
  node: string;
  group: string;
  phase: Exclude<NodePhase, "idle">;
  from: string;
  /** null while the span is open (the node is still in that phase). */
  to: string | null;
}

export interface FleetView {
  generated_at: string;
  namespace: string;
  revision: number;
  /** False when the last read failed: what is shown is the last good state. */
  etcd: { ok: boolean; error: string | null };
  paused: { reason: string; by: string; at: string } | null;
  global: { used: number; limit: number | null };
  groups: GroupView[];
  nodes: NodeView[];
  /**
   * `next_change_local`: the change on the fleet's wall clock (`Sat 00:00` in `timezone`), made
   * here and not in the browser, whose own zone is not the fleet's.
   */
  windows: { timezone: string; now: string; next_change: string | null; next_change_local: string | null } | null;
  timeline: { spans: PhaseSpan[]; reboots: { node: string; at: string }[] };
}

export interface ViewInput {
  state: ClusterState;
  nowMs: number;
  opts: ViewOptions;
  /** The phase the page showed last for a node (the tracker's memory; see isWaiting). */
  prior?: (node: string) => NodePhase | undefined;
}

const DAY_MS = 86_400_000;

/**
 * The whole view. Nodes sort by group, then name; groups by name. `since` comes from the records
 * where they say it; the phase tracker (timeline.ts) fills in the rest and the timeline's spans.
 */
export function buildView(i: ViewInput): FleetView {
  const { state, nowMs, opts } = i;
  const windows = windowsView(opts.windows, nowMs);
  const groups = groupViews(state, opts, nowMs);
  const byGroup = new Map(groups.map((g) => [g.name, g]));
  const globalUsed = state.slots.length;
  const globalLimit = effectiveGlobal(state, opts.globalCap);
  const names = new Set<string>([...state.members.keys(), ...state.health.keys(), ...state.slots.map((s) => s.node)]);
  const nodes: NodeView[] = [];
  for (const node of names) {
    const slot = state.slots.find((s) => s.node === node);
    const rec = state.health.get(node);
    const group = state.members.get(node)?.group ?? rec?.group ?? slot?.group ?? "default";
    const down = slot?.record?.phase === "rebooting" || (!slot && !rec && state.members.has(node));
    const health = down ? "down" : healthOf(rec, nowMs, opts);
    const reboots = state.reboots.get(node);
    const waitingFlag = !slot && isWaiting(rec, i.prior?.(node) === "waiting");
    const phase: NodePhase = slot ? (slot.record?.phase ?? "preparing") : waitingFlag ? "waiting" : "idle";
    const g = byGroup.get(group);
    const waiting = waitingFlag
      ? rec?.blocked_reason
        ? { reason: rec.blocked_reason, source: "daemon" as const }
        : { reason: derivedReason(state, g, { used: globalUsed, limit: globalLimit }, windows), source: "derived" as const }
      : null;
    const since = slot?.record?.phase_at ?? (phase === "waiting" ? (rec?.blocked_since ?? null) : null) ?? null;
    nodes.push({
      node,
      group,
      health,
      health_detail: down ? (slot ? "rebooting" : "no live session: counts against the budget") : rec ? (rec.healthy ? rec.phase : (rec.reason ?? rec.phase)) : null,
      checked_at: rec?.checked_at ?? null,
      phase,
      since,
      slot: slot ? slotView(slot) : null,
      waiting,
      needs_reboot: rec?.needs_reboot ?? null,
      last_reboot_at: reboots?.last_reboot_at ?? reboots?.history.at(-1) ?? null,
      reboots_24h: (reboots?.history ?? []).filter((t) => nowMs - Date.parse(t) < DAY_MS).length,
    });
    if (!byGroup.has(group)) {
      const extra: GroupView = { name: group, used: 0, limit: opts.limitOf(group), holders: [], down: [], cooldown: null, frozen: null };
      groups.push(extra);
      byGroup.set(group, extra);
    }
  }
  nodes.sort((a, b) => cmp(a.group, b.group) || cmp(a.node, b.node));
  groups.sort((a, b) => cmp(a.name, b.name));
  const reboots: { node: string; at: string }[] = [];
  for (const [node, r] of state.reboots) for (const at of r.history) if (nowMs - Date.parse(at) < DAY_MS) reboots.push({ node, at });
  reboots.sort((a, b) => cmp(a.at, b.at));
  return {
    generated_at: new Date(nowMs).toISOString(),
    namespace: opts.namespace,
    revision: state.revision,
    etcd: { ok: true, error: null },
    paused: state.pausePresent ? (state.pause ?? { reason: "(unreadable pause record: still paused)", by: "?", at: "?" }) : null,
    global: { used: globalUsed, limit: globalLimit },
    groups,
    nodes,
    windows,
    timeline: { spans: [], reboots },
  };
}

/**
 * A node waits when its record says it needs a reboot or is blocked. From a daemon that does not
 * publish those fields, the phase of its last health check tells: pre-lock/post-lock = it wants a
 * slot, monitor = no reboot needed; a heartbeat says neither, so the page keeps what it showed.
 */
function isWaiting(rec: HealthRecord | undefined, wasWaiting: boolean): boolean {
  if (!rec) return false;
  if (rec.needs_reboot !== undefined) return rec.needs_reboot;
  if (rec.blocked_reason !== undefined || rec.phase === "pre-lock" || rec.phase === "post-lock") return true;
  return rec.phase === "heartbeat" && wasWaiting;
}

/** When the daemon does not say why, the reasons the page can see for itself, in gate order. */
function derivedReason(state: ClusterState, g: GroupView | undefined, global: { used: number; limit: number | null }, windows: FleetView["windows"]): string {
  if (state.pausePresent) return "cluster paused";
  if (g?.frozen) return `group ${g.name} frozen after a failed reboot (resume --group ${g.name})`;
  if (windows && windows.now !== "allowed") return windows.now === "denied" ? "inside a deny window" : "outside the allow windows";
  if (g?.cooldown) return `group ${g.name} cooling down`;
  if (g && g.used >= g.limit) return `group ${g.name} full (${g.used}/${g.limit} slots${g.down.length ? `, down without one: ${g.down.join(", ")}` : ""})`;
  if (global.limit !== null && global.used >= global.limit) return `global cap reached (${global.used}/${global.limit} slots)`;
  return "needs a reboot; waiting for a slot or its gates";
}

function healthOf(rec: HealthRecord | undefined, nowMs: number, opts: ViewOptions): NodeHealth {
  if (!rec) return "missing";
  // Same rule as the budget and the cluster policy (slots/down.ts), so page and daemons agree.
  if (isStale(rec, { nowMs, staleAfterMs: staleAfterMs(opts.publishIntervalMs, opts.healthTimeoutMs) })) return "stale";
  return rec.healthy ? "healthy" : "unhealthy";
}

function slotView(s: SlotEntry): NonNullable<NodeView["slot"]> {
  return { phase: s.record?.phase ?? "unreadable", holder: s.record?.holder ?? "unknown", acquired_at: s.record?.acquired_at ?? null, deadline: s.record?.deadline ?? null };
}

function groupViews(state: ClusterState, opts: ViewOptions, nowMs: number): GroupView[] {
  const names = new Set<string>([...opts.configuredGroups, ...state.slots.map((s) => s.group), ...state.cooldowns.keys(), ...state.frozen.keys()]);
  // The page is no member: nobody is excluded as "self".
  const down = downMembers(state, "", { nowMs, staleAfterMs: staleAfterMs(opts.publishIntervalMs, opts.healthTimeoutMs) });
  return [...names].map((name) => {
    const holders = state.slots.filter((s) => s.group === name);
    // The smallest limit any current holder recorded wins, as in slots/acquire.ts.
    const limit = Math.min(opts.limitOf(name), ...holders.map((h) => h.record?.limit ?? Infinity));
    const c = state.cooldowns.get(name);
    const rec = c?.record;
    const until = rec ? new Date(Date.parse(rec.released_at) + rec.duration_sec * 1000).toISOString() : null;
    const downHere = down.filter((d) => d.group === name).map((d) => d.node);
    const f = state.frozen.get(name);
    return {
      name,
      used: holders.length + downHere.length,
      limit,
      holders: holders.map((h) => h.node).sort(),
      down: downHere,
      cooldown: c ? { node: rec?.node ?? null, released_at: rec?.released_at ?? null, until } : null,
      frozen: f ? { node: f.record?.node ?? null, reason: f.record?.reason ?? "(unreadable freeze record)", at: f.record?.at ?? null } : null,
    };
  });
}

function effectiveGlobal(state: ClusterState, cap: number | null): number | null {
  const caps = [cap, ...state.slots.map((s) => s.record?.global_cap ?? null)].filter((c): c is number => c !== null);
  return caps.length ? Math.min(...caps) : null;
}

function windowsView(w: WindowSet | undefined, nowMs: number): FleetView["windows"] {
  if (!w || !hasWindows(w)) return null;
  const next = nextWindowChange(w, nowMs);
  return {
    timezone: w.timeZone,
    now: evaluateWindows(w, nowMs).kind,
    next_change: next ? new Date(next).toISOString() : null,
    next_change_local: next ? wallClock(w.timeZone, next, nowMs) : null,
  };
}

/** `Sat 00:00` (seconds only when not zero, date when more than 6 days ahead) on `zone`'s wall clock. */
export function wallClock(zone: string, epochMs: number, nowMs: number): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(epochMs)
      .map((p) => [p.type, p.value]),
  );
  const time = `${parts["hour"]}:${parts["minute"]}${parts["second"] === "00" ? "" : `:${parts["second"]}`}`;
  const date = epochMs - nowMs > 6 * 86_400_000 ? ` ${parts["year"]}-${parts["month"]}-${parts["day"]}` : "";
  return `${parts["weekday"]}${date} ${time}`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

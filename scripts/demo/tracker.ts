/**
 * Follows a simulated fleet for the demo: merges the daemons' JSON log events and the fleet's
 * ledger (machine down / booted) into one phase per node, a list of phase spans (the timeline)
 * and a stream of human event lines. Display only: the safety verdict comes from etcd's history
 * (scripts/chaos/etcd-history.ts) and the ledger, never from these logs.
 */
import type { DaemonEvent, Fleet, LedgerEntry, SimNode } from "../sim/fleet.ts";

export type Phase = "starting" | "waiting" | "preparing" | "rebooting" | "down" | "verifying" | "done";
/** Phases during which the node holds its slot. */
export const HOLDING: ReadonlySet<Phase> = new Set(["preparing", "rebooting", "down", "verifying"]);

export interface NodeView {
  name: string;
  group: string;
  phase: Phase;
  /** Why it waits, or a detail of the phase. */
  why: string;
  since: number;
}

export interface Span {
  node: string;
  group: string;
  phase: Phase;
  start: number;
  /** undefined: still in this phase. */
  end: number | undefined;
}

export interface DemoEvent {
  at: number;
  node: string;
  text: string;
}

type Item = { at: number; node: string; apply: (v: NodeView) => void; text?: string };

export class Tracker {
  readonly views: NodeView[];
  readonly spans: Span[] = [];
  readonly events: DemoEvent[] = [];
  private logIdx = new Map<string, number>();
  private ledgerIdx = 0;
  private open = new Map<string, Span>();

  constructor(
    private readonly fleet: Fleet,
    readonly startedAt: number,
  ) {
    this.views = fleet.nodes.map((n) => ({ name: n.name, group: n.group, phase: "starting", why: "", since: startedAt }));
    for (const v of this.views) this.openSpan(v, startedAt);
  }

  /** Pulls whatever arrived since the last call; returns the new event lines. */
  update(): DemoEvent[] {
    const items: Item[] = [];
    for (const n of this.fleet.nodes) items.push(...this.logItems(n));
    const ledger = this.fleet.ledger();
    for (const e of ledger.slice(this.ledgerIdx)) {
      const item = ledgerItem(e);
      if (item) items.push(item);
    }
    this.ledgerIdx = ledger.length;
    items.sort((a, b) => a.at - b.at);
    const fresh: DemoEvent[] = [];
    for (const it of items) {
      const v = this.view(it.node);
      const before = `${v.phase}|${v.why}`;
      // A late log line never moves a node back past a newer phase change.
      const at = Math.max(it.at, v.since);
      const next = { ...v };
      it.apply(next);
      if (next.phase !== v.phase) {
        this.closeSpan(v.name, at);
        v.phase = next.phase;
        v.since = at;
        this.openSpan(v, at);
      }
      v.why = next.why;
      if (it.text && `${v.phase}|${v.why}` !== before) {
        const ev = { at: it.at, node: it.node, text: it.text };
        this.events.push(ev);
        fresh.push(ev);
      }
    }
    return fresh;
  }

  allDone(): boolean {
    return this.views.every((v) => v.phase === "done");
  }

  /** Closes every open span at `at` (end of the run). */
  finish(at: number): void {
    for (const name of [...this.open.keys()]) this.closeSpan(name, at);
  }

  private view(name: string): NodeView {
    const v = this.views.find((x) => x.name === name);
    if (!v) throw new Error(`bug: unknown node ${name}`);
    return v;
  }

  private openSpan(v: NodeView, at: number): void {
    const s: Span = { node: v.name, group: v.group, phase: v.phase, start: at, end: undefined };
    this.spans.push(s);
    this.open.set(v.name, s);
  }

  private closeSpan(name: string, at: number): void {
    const s = this.open.get(name);
    if (s) s.end = at;
    this.open.delete(name);
  }

  private logItems(n: SimNode): Item[] {
    const from = this.logIdx.get(n.name) ?? 0;
    this.logIdx.set(n.name, n.logs.length);
    return n.logs.slice(from).flatMap((e) => {
      const it = logItem(e);
      return it ? [{ ...it, node: n.name }] : [];
    });
  }
}

const set = (phase: Phase, why = "") => (v: NodeView) => {
  v.phase = phase;
  v.why = why;
};

function logItem(e: DaemonEvent): Omit<Item, "node"> | undefined {
  const f = e.fields;
  switch (e.event) {
    case "slot_acquired":
      return { at: e.at, apply: set("preparing", "re-checking gates under the slot"), text: `took a slot (${String(f["slot"] ?? "")})` };
    case "reboot_started":
      return { at: e.at, apply: set("rebooting", "reboot command issued"), text: "fence passed: reboot command runs" };
    case "post_boot_verifying":
      return { at: e.at, apply: set("verifying", "post-boot health check"), text: "back up with a new boot id: verifying" };
    case "reboot_not_happened":
      return { at: e.at, apply: set("verifying", "reboot did not happen"), text: "reboot did not happen (same boot id)" };
    case "slot_recovered":
      return { at: e.at, apply: set("waiting", "freed a slot left by a dead process"), text: "freed a preparing slot left by a dead process" };
    case "slot_released": {
      if (f["reason"] === "post_boot_healthy") return { at: e.at, apply: set("done", `slot held ${String(f["slot_held_s"] ?? "?")} s`), text: "healthy again: slot released" };
      return { at: e.at, apply: set("waiting", `released under the slot: ${String(f["reason"] ?? "")}`), text: `released its slot without rebooting (${String(f["reason"] ?? "")})` };
    }
    case "run_outcome": {
      const status = String(f["status"] ?? "");
      const msg = String(f["message"] ?? "");
      if (status === "no_action" || status === "post_boot_released") return { at: e.at, apply: (v) => void (v.phase === "starting" && set("done", "no reboot needed")(v)) };
      if (status === "rebooting") return undefined;
      return { at: e.at, apply: (v) => void (!HOLDING.has(v.phase) && set("waiting", waitReason(status, msg))(v)), text: `waits: ${waitReason(status, msg)}` };
    }
    case "waiting_for_etcd":
      return { at: e.at, apply: (v) => void (!HOLDING.has(v.phase) && set("waiting", "etcd unreachable")(v)) };
    default:
      return undefined;
  }
}

function ledgerItem(e: LedgerEntry): Item | undefined {
  if (e.kind === "down") return { at: e.at, node: e.node, apply: set("down", "machine off"), text: "machine went down" };
  if (e.kind === "boot") return { at: e.at, node: e.node, apply: set("verifying", "booting: daemon starting"), text: "machine booted (new boot id)" };
  return undefined;
}

/** Short reason for a waiting node, from its last pass outcome. */
export function waitReason(status: string, message: string): string {
  switch (status) {
    case "lock_unavailable": {
      const m = /are held: (.*)$/.exec(message);
      return m ? `group full, held by ${m[1]}` : message;
    }
    case "cooldown_active":
      return "group cooldown after the last reboot";
    case "paused":
      return "cluster paused";
    case "window_denied":
    case "window_outside_allow":
      return "outside its maintenance window";
    case "health_blocked":
      return `health: ${message.slice(0, 60)}`;
    default:
      return `${status}: ${message.slice(0, 60)}`;
  }
}

/**
 * Reading and rendering the reboot history (P/history/<node>). An unreadable key is reported as
 * unreadable, never dropped: an audit trail that silently loses a node would lie.
 */
import type { EtcdGateway } from "../etcd/index.ts";
import { HistoryRecordSchema, lastSegment, parseRecord, type HistoryEntry, type Keys } from "../slots/index.ts";

export interface HistoryView {
  entries: HistoryEntry[];
  /** Nodes whose history key does not parse. */
  unreadable: string[];
}

/** `5m`, `2h`, `7d`, `90s`: a positive whole number and one unit. undefined when it is not one. */
export function parseSince(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,6})(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

export async function readHistory(gw: EtcdGateway, keys: Keys, opts: { node?: string; sinceMs?: number; nowMs: number }): Promise<HistoryView> {
  const kvs = opts.node
    ? await gw.get(keys.history(opts.node)).then((kv) => (kv ? [{ key: keys.history(opts.node!), value: kv.value }] : []))
    : await gw.getPrefix(keys.historyPrefix);
  const entries: HistoryEntry[] = [];
  const unreadable: string[] = [];
  for (const kv of kvs) {
    const parsed = parseRecord(HistoryRecordSchema, kv.value);
    if (!parsed) unreadable.push(lastSegment(kv.key));
    else entries.push(...parsed);
  }
  const from = opts.sinceMs === undefined ? -Infinity : opts.nowMs - opts.sinceMs;
  const kept = entries.filter((e) => Date.parse(e.slot_released_at) >= from);
  kept.sort((a, b) => a.slot_released_at.localeCompare(b.slot_released_at));
  return { entries: kept, unreadable: unreadable.sort() };
}

/** The newest entry per node (for `cluster`). */
export function lastPerNode(entries: readonly HistoryEntry[]): Map<string, HistoryEntry> {
  const m = new Map<string, HistoryEntry>();
  for (const e of entries) {
    const cur = m.get(e.node);
    if (!cur || cur.slot_released_at < e.slot_released_at) m.set(e.node, e);
  }
  return m;
}

const s = (n: number | undefined) => (n === undefined ? "-" : `${n}s`);

export function historyLine(e: HistoryEntry): string {
  return [
    e.slot_released_at,
    e.node,
    `group=${e.group}`,
    // A failed reboot that froze its group is what an operator looks for first.
    e.froze_group ? `${e.outcome} (froze group ${e.group})` : e.outcome,
    `why=${e.why.length ? e.why.join(",") : "-"}`,
    `wait=${s(e.wait_seconds)}`,
    `drain=${s(e.drain_seconds)}`,
    `down=${s(e.down_seconds)}`,
    `boot_to_healthy=${s(e.boot_to_healthy_seconds)}`,
    ...(e.machine_id ? [`machine=${e.machine_id}`] : []),
  ].join("  ");
}

/** The entries are already snake_case records; the document adds what could not be read. */
export function historyJson(v: HistoryView): Record<string, unknown> {
  return { entries: v.entries, unreadable: v.unreadable };
}

import { classifyPeers } from "../cluster/index.ts";
import { escapeControl } from "../observe/index.ts";
import { outcome } from "../orchestrate/outcome.ts";
import { describeFreeze, lastSegment, ordinal, parseRecord, readClusterState, RebootRequestSchema } from "../slots/index.ts";
import { evaluateWindows, hasWindows, nextWindowChange } from "../windows/index.ts";
import { configArg, jsonArg } from "./_args.ts";
import { age, withEtcd } from "./_etcd-cmd.ts";
import { lastPerNode, readHistory } from "./_history-view.ts";
import { defineCliCommand } from "./_context.ts";

export default defineCliCommand({
  meta: { name: "cluster", description: "read-only: one table of members, health, slot holders (phase, age), cooldowns, pause and windows" },
  args: { ...configArg, ...jsonArg },
  run: ({ args, cli }) =>
    withEtcd(cli, args.config, async ({ cfg, gw, keys }) => {
      const now = cli.ports.clock.now();
      const state = await readClusterState(gw, keys);
      // Classify from the point of view of a node outside the cluster so that every member shows.
      const peers = classifyPeers(state, "\u0000", {
        nowMs: now,
        publishIntervalMs: cfg.health_publish_interval_sec * 1000,
        healthTimeoutMs: cfg.health_timeout_sec * 1000,
      });
      const hist = await readHistory(gw, keys, { nowMs: now });
      const lastReboot = lastPerNode(hist.entries);
      // The newest reboot per node: when it was released and how it ended; unreadable is said so.
      const last = (node: string) =>
        hist.unreadable.includes(node) ? "unreadable" : ((e) => (e ? `${age(e.slot_released_at, now)} ago (${e.outcome})` : "-"))(lastReboot.get(node));
      // Pending on-demand requests: who asked and why (an unreadable one is said so).
      const requests = new Map((await gw.getPrefix(keys.requestsPrefix)).map((kv) => [lastSegment(kv.key), parseRecord(RebootRequestSchema, kv.value)] as const));
      const requested = (node: string) => (requests.has(node) ? ((q) => (q ? `${q.by}${q.reason ? `: ${q.reason}` : ""}` : "unreadable"))(requests.get(node)) : "-");
      const rows = peers.map((p) => {
        const slot = state.slots.find((s) => s.node === p.node);
        const member = state.members.get(p.node);
        const health = p.record ? (p.record.healthy ? "healthy" : `unhealthy (${p.record.reason ?? p.record.phase})`) : "missing";
        // A member down without a slot counts against its group's budget (slots/down.ts); a node
        // rebooting under its slot is down whatever its last health record said.
        const shown =
          slot?.record?.phase === "rebooting"
            ? "down (rebooting)"
            : p.status === "missing" && member
              ? "down (no live session)"
              : p.status === "stale"
                ? `down (stale: ${health})`
                : health;
        return {
          node: p.node,
          group: member?.group ?? p.record?.group ?? slot?.group ?? "-",
          health: shown,
          checked: age(p.record?.checked_at, now),
          slot: slot ? slot.record?.phase ?? "unreadable" : "-",
          slot_age: slot ? age(slot.record?.acquired_at, now) : "-",
          deadline: slot?.record?.deadline ?? "-",
          reboots_24h: (state.reboots.get(p.node)?.history ?? []).filter((t) => now - Date.parse(t) < 86_400_000).length,
          queue: "-",
          request: requested(p.node),
          last_reboot: last(p.node),
        };
      });
      // Slots whose node is not a member (e.g. FleetLock clients, operators) still show.
      for (const s of state.slots)
        if (!rows.some((r) => r.node === s.node))
          rows.push({ node: s.node, group: s.group, health: `(${s.record?.holder ?? "unknown"})`, checked: "-", slot: s.record?.phase ?? "unreadable", slot_age: age(s.record?.acquired_at, now), deadline: s.record?.deadline ?? "-", reboots_24h: 0, queue: "-", request: requested(s.node), last_reboot: last(s.node) });
      // A request for a node that is neither a member nor a slot holder (request-reboot --force): shown, never hidden.
      for (const node of requests.keys())
        if (!rows.some((r) => r.node === node))
          rows.push({ node, group: "-", health: "missing", checked: "-", slot: "-", slot_age: "-", deadline: "-", reboots_24h: 0, queue: "-", request: requested(node), last_reboot: last(node) });
      // Who waits, in order: the FIFO queue of each group (slots/queue.ts).
      const tickets = (await gw.getPrefix(keys.queuePrefix)).sort((a, b) => a.createRevision - b.createRevision);
      const place = new Map<string, number>();
      for (const t of tickets) {
        const group = t.key.slice(keys.queuePrefix.length).split("/")[0] ?? "";
        const n = (place.get(group) ?? 0) + 1;
        place.set(group, n);
        const row = rows.find((r) => r.node === lastSegment(t.key));
        if (row) row.queue = `${ordinal(n)} in line`;
      }
      const cooldowns = [...state.cooldowns].map(([group, c]) => ({ group, node: c.record?.node, released_at: c.record?.released_at, duration_sec: c.record?.duration_sec }));
      const w = cfg.window_set;
      const windows = hasWindows(w)
        ? { timezone: w.timeZone, now: evaluateWindows(w, now).kind, next_change: ((n) => (n ? new Date(n).toISOString() : null))(nextWindowChange(w, now)) }
        : null;
      const frozen = [...state.frozen].map(([group, f]) => ({ ...(f.record ?? { reason: "(unreadable freeze record)" }), group }));
      const doc = { namespace: keys.prefix, revision: state.revision, paused: state.pausePresent ? state.pause ?? { reason: "(unreadable pause record)", by: "?", at: "?" } : null, frozen, members: rows, cooldowns, windows, last_reboots: Object.fromEntries(lastReboot), history_unreadable: hist.unreadable, requests: Object.fromEntries([...requests].map(([node, q]) => [node, q ?? null])) };
      if (args.json) {
        cli.stdout(JSON.stringify(doc, null, 2) + "\n");
        return outcome("ok", "cluster shown");
      }
      const cols = ["node", "group", "health", "checked", "slot", "slot_age", "deadline", "queue", "request", "reboots_24h", "last_reboot"] as const;
      const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => escapeControl(String(r[c])).length)));
      // Cells come from etcd, which any client with namespace access can write: escape them.
      const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
      const cell = (r: (typeof rows)[number], c: (typeof cols)[number]) => escapeControl(String(r[c]));
      const out = [
        `namespace ${keys.prefix} (etcd revision ${state.revision})`,
        doc.paused ? escapeControl(`PAUSED by ${doc.paused.by} at ${doc.paused.at}: ${doc.paused.reason}`) : "not paused",
        ...[...state.frozen].map(([g, f]) => escapeControl(`FROZEN: ${describeFreeze(g, f.record)}`)),
        "",
        line(cols.map((c) => c.toUpperCase())),
        ...rows.map((r) => line(cols.map((c) => cell(r, c)))),
      ];
      if (rows.length === 0) out.push("(no members registered yet)");
      out.push("", cooldowns.length ? cooldowns.map((c) => escapeControl(`cooldown: group ${c.group} since ${c.released_at ?? "?"} (${c.duration_sec ?? "?"}s, after ${c.node ?? "?"})`)).join("\n") : "no cooldown active");
      if (windows) out.push(`windows (${windows.timezone}): ${windows.now}${windows.next_change ? `, changes at ${windows.next_change}` : ""}`);
      cli.stdout(out.join("\n") + "\n");
      return outcome("ok", "cluster shown");
    }, { json: args.json }),
});

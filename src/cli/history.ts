import { outcome } from "../orchestrate/outcome.ts";
import { escapeControl } from "../observe/index.ts";
import { configArg, jsonArg } from "./_args.ts";
import { badNodeName, withEtcd } from "./_etcd-cmd.ts";
import { historyJson, historyLine, parseSince, readHistory } from "./_history-view.ts";
import { defineCliCommand } from "./_context.ts";

export default defineCliCommand({
  meta: {
    name: "history",
    description: "read-only: the reboots the coordinator caused (per node, the last 50), oldest first",
  },
  args: {
    node: { type: "positional", description: "only this node", required: false },
    since: { type: "string", description: "only reboots released within this long ago (90s, 30m, 12h, 7d)", valueHint: "DURATION" },
    ...configArg,
    ...jsonArg,
  },
  run: async ({ args, cli }) => {
    const node = args.node === undefined || args.node === "" ? undefined : String(args.node);
    const bad = node === undefined ? undefined : badNodeName(cli.stderr, "history", node);
    if (bad) return bad;
    const sinceMs = args.since === undefined ? undefined : parseSince(String(args.since));
    if (args.since !== undefined && sinceMs === undefined) {
      cli.stderr(`history: --since ${JSON.stringify(String(args.since))} is not a duration like 90s, 30m, 12h or 7d\n`);
      return outcome("usage", "bad --since");
    }
    return withEtcd(
      cli,
      args.config,
      async ({ gw, keys }) => {
        const view = await readHistory(gw, keys, { ...(node ? { node } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}), nowMs: cli.ports.clock.now() });
        if (args.json) cli.stdout(JSON.stringify(historyJson(view), null, 2) + "\n");
        else {
          const lines = view.entries.map((e) => escapeControl(historyLine(e)));
          if (!lines.length) lines.push(node ? `no recorded reboots of ${node}` : "no recorded reboots");
          for (const n of view.unreadable) lines.push(escapeControl(`history of ${n}: unreadable (inspect ${keys.history(n)})`));
          cli.stdout(lines.join("\n") + "\n");
        }
        // An unreadable history is a problem the operator must see in scripts too.
        return view.unreadable.length ? outcome("runtime_error", "unreadable history") : outcome("ok", "history");
      },
      { json: Boolean(args.json) },
    );
  },
});

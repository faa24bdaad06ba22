/**
 * `request-reboot NODE` / `cancel-reboot NODE`: an on-demand reboot the node's daemon treats as a
 * detector firing (src/cli/_request-detect.ts); cleared by the post-boot release.
 */
import { outcome } from "../orchestrate/outcome.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import { cancelRequest, putRequest, readRequest, type Keys } from "../slots/index.ts";
import { configArg, jsonArg } from "./_args.ts";
import { actor, badNodeName, withEtcd } from "./_etcd-cmd.ts";
import { defineCliCommand } from "./_context.ts";

const MAX_REASON = 1024;

/** A registered member, or a node with a live health record (a daemon running right now). */
async function isKnownNode(gw: EtcdGateway, keys: Keys, node: string): Promise<boolean> {
  const snap = await gw.snapshot([], [keys.member(node), keys.health(node)]);
  return snap.keys.some((k) => k !== undefined);
}

export const requestReboot = defineCliCommand({
  meta: {
    name: "request-reboot",
    description: "ask NODE's daemon to reboot it as if a detector fired (kill switch, pause, windows, health, policy and the budget still apply)",
  },
  args: {
    node: { type: "positional", description: "node name", required: true },
    reason: { type: "string", description: "why (shown by status, cluster and the reboot history)", valueHint: "TEXT" },
    "ignore-window": { type: "boolean", description: "may reboot outside the maintenance windows (never past the budget, pause or health)", default: false },
    force: { type: "boolean", description: "request it even though NODE is not a registered member (its daemon has never run)", default: false },
    ...configArg,
    ...jsonArg,
  },
  run: async ({ args, cli }) => {
    const node = String(args.node);
    const bad = badNodeName(cli.stderr, "request-reboot", node);
    if (bad) return bad;
    const reason = args.reason === undefined ? undefined : String(args.reason);
    if (reason !== undefined && (reason.trim() === "" || reason.length > MAX_REASON)) {
      cli.stderr(`request-reboot: --reason must be non-empty text of at most ${MAX_REASON} characters\n`);
      return outcome("usage", "bad --reason");
    }
    return withEtcd(
      cli,
      args.config,
      async ({ gw, keys }) => {
        // A request for a name no daemon answers to would stay pending forever, unseen.
        if (!args.force && !(await isKnownNode(gw, keys, node))) {
          cli.stderr(
            `request-reboot: ${node} is not a member of ${keys.prefix} (no daemon has registered under that name); ` +
              `check the name with 'clusterrebootd cluster', or use --force for a node whose daemon has not run yet\n`,
          );
          return outcome("runtime_error", "unknown node");
        }
        const request = { node, by: actor(cli), at: new Date(cli.ports.clock.now()).toISOString(), ...(reason ? { reason } : {}), ignore_window: Boolean(args["ignore-window"]) };
        await putRequest(gw, keys, request);
        if (args.json) cli.stdout(JSON.stringify({ requested: true, ...request }, null, 2) + "\n");
        else cli.stdout(`reboot of ${node} requested${request.ignore_window ? " (outside windows allowed)" : ""}; its daemon picks it up on its next pass\n`);
        return outcome("ok", "requested");
      },
      { json: Boolean(args.json) },
    );
  },
});

export const cancelReboot = defineCliCommand({
  meta: { name: "cancel-reboot", description: "withdraw a pending request-reboot for NODE (a reboot already under way is not stopped)" },
  args: { node: { type: "positional", description: "node name", required: true }, ...configArg, ...jsonArg },
  run: async ({ args, cli }) => {
    const node = String(args.node);
    const bad = badNodeName(cli.stderr, "cancel-reboot", node);
    if (bad) return bad;
    return withEtcd(
      cli,
      args.config,
      async ({ gw, keys }) => {
        const before = await readRequest(gw, keys, node);
        const cancelled = await cancelRequest(gw, keys, node);
        if (args.json) cli.stdout(JSON.stringify({ node, cancelled, was_unreadable: before.kind === "unreadable" }, null, 2) + "\n");
        else cli.stdout(cancelled ? `reboot request for ${node} cancelled\n` : `no reboot request pending for ${node}\n`);
        return outcome("ok", cancelled ? "cancelled" : "none");
      },
      { json: Boolean(args.json) },
    );
  },
});

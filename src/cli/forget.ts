import { outcome } from "../orchestrate/outcome.ts";
import { forgetNode, readClusterState } from "../slots/index.ts";
import { configArg } from "./_args.ts";
import { badNodeName, withEtcd } from "./_etcd-cmd.ts";
import { defineCliCommand } from "./_context.ts";

export default defineCliCommand({
  meta: {
    name: "forget",
    description: "remove a decommissioned NODE from the members registry (so it no longer counts as expected-but-missing)",
  },
  args: {
    node: { type: "positional", description: "node name", required: true },
    ...configArg,
    force: { type: "boolean", description: "forget it even while its daemon still publishes health or it holds a slot", default: false },
  },
  run: ({ args, cli }) =>
    withEtcd(cli, args.config, async ({ gw, keys }) => {
      const node = String(args.node);
      const bad = badNodeName(cli.stderr, "forget", node);
      if (bad) return bad;
      const state = await readClusterState(gw, keys);
      const garbage = state.unreadable.includes(keys.member(node)) || state.unreadable.includes(keys.reboots(node));
      if (!state.members.has(node) && !state.health.has(node) && !garbage) {
        cli.stdout(`${node} is not a known member\n`);
        return outcome("ok", "unknown");
      }
      const holds = state.slots.some((s) => s.node === node);
      const live = state.health.has(node);
      if ((holds || live) && !args.force) {
        cli.stderr(
          `forget: ${node} ${holds ? "holds a reboot slot" : "has a live daemon (it would register again)"}; stop its daemon first, or use --force\n`,
        );
        return outcome("runtime_error", "member active");
      }
      await forgetNode(gw, keys, node);
      cli.stdout(`forgot ${node}\n`);
      return outcome("ok", "forgotten");
    }),
});

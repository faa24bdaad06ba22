import { outcome } from "../orchestrate/outcome.ts";
import { clearHistory, deleteSlots, readClusterState } from "../slots/index.ts";
import { configArg } from "./_args.ts";
import { actor, age, badNodeName, withEtcd } from "./_etcd-cmd.ts";
import { defineCliCommand } from "./_context.ts";

export default defineCliCommand({
  meta: {
    name: "unlock",
    description:
      "free NODE's reboot slot by hand. Refuses while NODE's daemon is alive and healthy and working on the slot, unless --force.",
  },
  args: {
    node: { type: "positional", description: "node name", required: true },
    ...configArg,
    force: { type: "boolean", description: "free the slot even if its holder is alive and healthy", default: false },
    "reset-history": { type: "boolean", description: "also clear NODE's reboot history (lifts the reboot-loop guard)", default: false },
  },
  run: ({ args, cli }) =>
    withEtcd(cli, args.config, async ({ gw, keys }) => {
      const node = String(args.node);
      const bad = badNodeName(cli.stderr, "unlock", node);
      if (bad) return bad;
      const state = await readClusterState(gw, keys);
      const slots = state.slots.filter((s) => s.node === node);
      if (args["reset-history"]) {
        await clearHistory(gw, keys, node);
        cli.stdout(`reboot history of ${node} cleared (reboot-loop guard reset)\n`);
      }
      if (slots.length === 0) {
        cli.stdout(`${node} holds no reboot slot\n`);
        return outcome("ok", "nothing to unlock");
      }
      const h = state.health.get(node);
      const working = slots.some((s) => s.record?.phase === "preparing" || s.record?.phase === "verifying");
      if (h?.healthy && working && !args.force) {
        cli.stderr(
          `unlock: ${node} is alive and healthy (health record ${age(h.checked_at, cli.ports.clock.now())} old) and its slot is ${slots[0]!.record?.phase}; ` +
            `its daemon will release it itself. Use --force to free it anyway.\n`,
        );
        return outcome("runtime_error", "holder alive");
      }
      // A slot in `rebooting` before its deadline most likely belongs to a node that is down right
      // now: freeing it lets another node go down too (budget exceeded). Only with --force.
      const down = slots.find((s) => s.record?.phase === "rebooting" && s.record.deadline && Date.parse(s.record.deadline) > cli.ports.clock.now());
      if (down && !args.force) {
        cli.stderr(
          `unlock: ${node}'s slot ${down.key} is in phase rebooting until ${down.record!.deadline}: the node is most likely down right now, ` +
            `and freeing the slot lets another node of group ${down.group} reboot too. Wait for it to come back (or for the deadline), or use --force.\n`,
        );
        return outcome("runtime_error", "holder rebooting");
      }
      const n = await deleteSlots(gw, slots);
      cli.stdout(`freed ${n} slot(s) of ${node} (${slots.map((s) => `${s.key}, phase ${s.record?.phase ?? "unknown"}`).join("; ")}) by ${actor(cli)}\n`);
      return outcome("ok", "unlocked");
    }),
});

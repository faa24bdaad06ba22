import { defineCommand } from "citty";
import { outcome } from "../orchestrate/outcome.ts";
import { deleteSlots, readClusterState } from "../slots/index.ts";
import { configArg } from "./_args.ts";
import { actor, age, NODE_RE, withEtcd } from "./_etcd-cmd.ts";

export default defineCommand({
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
  run: ({ args }) =>
    withEtcd(args.config, async ({ gw, keys }) => {
      const node = String(args.node);
      if (!NODE_RE.test(node)) {
        process.stderr.write(`unlock: invalid node name ${JSON.stringify(node)} (allowed: A-Z a-z 0-9 . _ -)\n`);
        return outcome("usage", "bad node name");
      }
      const state = await readClusterState(gw, keys);
      const slots = state.slots.filter((s) => s.node === node);
      if (args["reset-history"]) {
        await gw.txn([], [{ kind: "delete", key: keys.reboots(node) }]);
        process.stdout.write(`reboot history of ${node} cleared (reboot-loop guard reset)\n`);
      }
      if (slots.length === 0) {
        process.stdout.write(`${node} holds no reboot slot\n`);
        return outcome("ok", "nothing to unlock");
      }
      const h = state.health.get(node);
      const working = slots.some((s) => s.record?.phase === "preparing" || s.record?.phase === "verifying");
      if (h?.healthy && working && !args.force) {
        process.stderr.write(
          `unlock: ${node} is alive and healthy (health record ${age(h.checked_at, Date.now())} old) and its slot is ${slots[0]!.record?.phase}; ` +
            `its daemon will release it itself. Use --force to free it anyway.\n`,
        );
        return outcome("runtime_error", "holder alive");
      }
      const n = await deleteSlots(gw, slots);
      process.stdout.write(`freed ${n} slot(s) of ${node} (${slots.map((s) => `${s.key}, phase ${s.record?.phase ?? "unknown"}`).join("; ")}) by ${actor()}\n`);
      return outcome("ok", "unlocked");
    }),
});

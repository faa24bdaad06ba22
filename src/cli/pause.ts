import { defineCommand } from "citty";
import { outcome } from "../orchestrate/outcome.ts";
import { clearPause, setPause, type PauseRecord } from "../slots/index.ts";
import { configArg } from "./_args.ts";
import { actor, withEtcd } from "./_etcd-cmd.ts";

export const pause = defineCommand({
  meta: { name: "pause", description: "pause reboots cluster-wide: no node takes a slot or runs a reboot command until resume" },
  args: { ...configArg, reason: { type: "string", description: "why (shown in status, cluster and logs); required", valueHint: "TEXT" } },
  run: ({ args }) =>
    withEtcd(args.config, async ({ gw, keys }) => {
      const reason = (args.reason ?? "").trim();
      if (!reason) {
        process.stderr.write("pause: --reason is required (say why, so others know when to resume)\n");
        return outcome("usage", "missing --reason");
      }
      const rec: PauseRecord = { reason, by: actor(), at: new Date().toISOString() };
      await setPause(gw, keys, rec);
      process.stdout.write(`cluster paused (${keys.pause}): ${reason}\nslots already in 'rebooting' finish their post-boot release; no new reboot starts\n`);
      return outcome("ok", "paused");
    }),
});

export const resume = defineCommand({
  meta: { name: "resume", description: "lift the cluster-wide pause" },
  args: { ...configArg },
  run: ({ args }) =>
    withEtcd(args.config, async ({ gw, keys }) => {
      const cur = await gw.get(keys.pause);
      if (!cur) {
        process.stdout.write("cluster was not paused\n");
        return outcome("ok", "not paused");
      }
      await clearPause(gw, keys);
      process.stdout.write("cluster resumed\n");
      return outcome("ok", "resumed");
    }),
});

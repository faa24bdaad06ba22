import { defineCommand } from "citty";
import { outcome } from "../orchestrate/outcome.ts";
import { acknowledgeReset, clearFreeze, clearPause, lastSegment, setPause, type PauseRecord } from "../slots/index.ts";
import { configArg } from "./_args.ts";
import { actor, badGroupName, withEtcd } from "./_etcd-cmd.ts";

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
  meta: {
    name: "resume",
    description:
      "lift the cluster-wide pause and every group freeze; --group G: only the freeze of group G (after a failed reboot); --etcd-reset: also let nodes that saw etcd lose its data take slots again",
  },
  args: {
    ...configArg,
    group: { type: "string", description: "lift only this group's freeze (and forget its failed reboots); the cluster pause stays", valueHint: "GROUP" },
    "etcd-reset": {
      type: "boolean",
      description: "acknowledge that etcd lost its data (wiped or restored): only once every node that was rebooting is back",
      default: false,
    },
  },
  run: ({ args }) => {
    const group = args.group === undefined ? undefined : String(args.group);
    if (group !== undefined) {
      const bad = badGroupName("resume --group", group);
      if (bad) return bad;
    }
    return withEtcd(args.config, async ({ gw, keys }) => {
      if (args["etcd-reset"]) {
        const snap = await gw.snapshot([], [keys.pause]);
        await acknowledgeReset(gw, keys, { cluster_id: snap.clusterId, by: actor(), at: new Date().toISOString() });
        process.stdout.write(`etcd reset acknowledged for cluster ${snap.clusterId}: nodes holding back after the data loss may take slots again\n`);
      }
      const snap = await gw.snapshot([keys.frozenPrefix], [keys.pause, ...(group !== undefined ? [keys.frozen(group)] : [])]);
      const frozen = group !== undefined ? (snap.keys[1] ? [group] : []) : (snap.prefixes[0] ?? []).map((kv) => lastSegment(kv.key));
      await clearFreeze(gw, keys, group);
      for (const g of frozen) process.stdout.write(`group ${g} resumed (its freeze and failed reboots are cleared)\n`);
      if (group !== undefined) {
        if (frozen.length === 0) process.stdout.write(`group ${group} was not frozen\n`);
        return outcome("ok", frozen.length ? "group resumed" : "group not frozen");
      }
      if (!snap.keys[0]) {
        process.stdout.write("cluster was not paused\n");
        return outcome("ok", frozen.length ? "groups resumed" : "not paused");
      }
      await clearPause(gw, keys);
      process.stdout.write("cluster resumed\n");
      return outcome("ok", "resumed");
    });
  },
});

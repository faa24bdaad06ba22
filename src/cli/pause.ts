import { outcome } from "../orchestrate/outcome.ts";
import { acknowledgeReset, clearFreeze, clearPause, lastSegment, setPause, type PauseRecord } from "../slots/index.ts";
import { configArg } from "./_args.ts";
import { actor, badGroupName, withEtcd } from "./_etcd-cmd.ts";
import { defineCliCommand } from "./_context.ts";

export const pause = defineCliCommand({
  meta: { name: "pause", description: "pause reboots cluster-wide: no node takes a slot or runs a reboot command until resume" },
  args: { ...configArg, reason: { type: "string", description: "why (shown in status, cluster and logs); required", valueHint: "TEXT" } },
  run: ({ args, cli }) =>
    withEtcd(cli, args.config, async ({ gw, keys }) => {
      const reason = (args.reason ?? "").trim();
      if (!reason) {
        cli.stderr("pause: --reason is required (say why, so others know when to resume)\n");
        return outcome("usage", "missing --reason");
      }
      const rec: PauseRecord = { reason, by: actor(cli), at: new Date(cli.ports.clock.now()).toISOString() };
      await setPause(gw, keys, rec);
      cli.stdout(`cluster paused (${keys.pause}): ${reason}\nslots already in 'rebooting' finish their post-boot release; no new reboot starts\n`);
      return outcome("ok", "paused");
    }),
});

export const resume = defineCliCommand({
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
  run: ({ args, cli }) => {
    const group = args.group === undefined ? undefined : String(args.group);
    if (group !== undefined) {
      const bad = badGroupName(cli.stderr, "resume --group", group);
      if (bad) return bad;
    }
    return withEtcd(cli, args.config, async ({ gw, keys }) => {
      if (args["etcd-reset"]) {
        const snap = await gw.snapshot([], [keys.pause]);
        await acknowledgeReset(gw, keys, { cluster_id: snap.clusterId, by: actor(cli), at: new Date(cli.ports.clock.now()).toISOString() });
        cli.stdout(`etcd reset acknowledged for cluster ${snap.clusterId}: nodes holding back after the data loss may take slots again\n`);
      }
      const snap = await gw.snapshot([keys.frozenPrefix], [keys.pause, ...(group !== undefined ? [keys.frozen(group)] : [])]);
      const frozen = group !== undefined ? (snap.keys[1] ? [group] : []) : (snap.prefixes[0] ?? []).map((kv) => lastSegment(kv.key));
      await clearFreeze(gw, keys, group);
      for (const g of frozen) cli.stdout(`group ${g} resumed (its freeze and failed reboots are cleared)\n`);
      if (group !== undefined) {
        if (frozen.length === 0) cli.stdout(`group ${group} was not frozen\n`);
        return outcome("ok", frozen.length ? "group resumed" : "group not frozen");
      }
      if (!snap.keys[0]) {
        cli.stdout("cluster was not paused\n");
        return outcome("ok", frozen.length ? "groups resumed" : "not paused");
      }
      await clearPause(gw, keys);
      cli.stdout("cluster resumed\n");
      return outcome("ok", "resumed");
    });
  },
});

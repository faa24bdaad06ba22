/**
 * Found by the chaos run (seed 762085045): a SIGHUP that arrives after `starting` but before the
 * daemon loop runs — e.g. while the daemon waits for etcd at boot — was logged as `sighup_ignored`
 * and dropped, so the daemon keeps its old config until the next reload or restart
 * (src/cli/_daemon.ts `ignoreHup`; the reload handler is installed only by `runDaemon` in the same
 * file, after src/cli/run.ts has opened the etcd session). `systemctl reload` right after a start, or during an
 * etcd outage at boot, silently does nothing.
 *
 * Fixed: the early SIGHUP is remembered (`sighup_deferred`) and the reload runs once the handler
 * is installed.
 */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { useFleets } from "../support/fleets.ts";

const fleets = useFleets();

test("a SIGHUP received while the daemon still waits for etcd is applied once it runs", async () => {
  const cluster = await fleets.etcd();
  await cluster.members[0]!.kill();
  const fleet = await fleets.create({ endpoints: cluster.endpoints, nodes: [{ name: "h1", group: "g" }] });
  const node = fleet.node("h1");
  const killSwitch = join(node.dir, "disable");
  writeFileSync(killSwitch, "");
  node.start();
  await node.waitForEvent("waiting_for_etcd", { timeoutMs: 20_000 });

  // The operator points the kill switch elsewhere and reloads while etcd is still down.
  const cfg = parse(readFileSync(node.configPath, "utf8")) as Record<string, unknown>;
  writeFileSync(node.configPath, stringify({ ...cfg, kill_switch_file: join(node.dir, "no-such-kill-switch") }));
  const since = node.logs.length;
  process.kill(node.pid!, "SIGHUP");
  await node.waitForEvent("sighup_deferred", { since, timeoutMs: 5_000 }).catch(() => node.waitForEvent("config_reloaded", { since, timeoutMs: 5_000 }));

  await cluster.members[0]!.restart();
  const first = await node.waitForEvent("run_outcome", { since, timeoutMs: 30_000 });
  expect(first.fields["status"]).toBe("no_action");
}, 60_000);

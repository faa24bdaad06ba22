/**
 * Real daemons against an etcd that misbehaves: restarted while a node is down in `rebooting`
 * and another waits, and a 3-member cluster with one member stopped for the whole roll.
 * Each test has its own etcd (they kill members).
 */
import { expect, test } from "bun:test";
import { handoffs, type Fleet } from "../../scripts/sim/fleet.ts";
import { etcdctl, waitFor, type EtcdCluster } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";

/** bun's default is 5 s (bunfig's [test] timeout is not honoured by bun 1.4.5). */
const TEST_TIMEOUT_MS = 45_000;

// Each test starts its own etcd (they kill members).
const fleets = useFleets();

async function newFleet(c: EtcdCluster, names: string[]): Promise<Fleet> {
  return fleets.create({ endpoints: c.endpoints, nodes: names.map((name) => ({ name, group: "g1" })) });
}

const postBootRelease = { match: (e: { fields: Record<string, unknown> }) => e.fields["reason"] === "post_boot_healthy" };
const reboots = (f: Fleet) => f.ledger().filter((e) => e.kind === "reboot");

function printHandoffs(label: string, f: Fleet): number[] {
  const hs = handoffs(f.ledger(), f.releases(), () => "g1");
  for (const h of hs) console.log(`handoff ${label}: ${h.from} released -> ${h.to} reboot command in ${h.ms} ms`);
  return hs.map((h) => h.ms);
}

test("etcd restarted while one node is down in 'rebooting' and another waits: the waiter proceeds after the release", async () => {
  const c = await fleets.etcd();
  const f = await newFleet(c, ["n1", "n2"]);
  for (const n of f.nodes) {
    n.requireReboot();
    n.setAutoBoot(false);
  }
  f.startAll();
  const holder = await waitFor(() => f.nodes.find((n) => n.down), { timeoutMs: 15_000, what: "the first node to go down" });
  const waiter = f.nodes.find((n) => n !== holder)!;
  waiter.setAutoBoot(true);
  await waiter.waitForEvent("run_outcome", { match: (e) => e.fields["status"] === "lock_unavailable" });
  const slot = await etcdctl(c, ["get", `/clusterrebootd/slots/g1/${holder.name}`, "--print-value-only"]);
  expect(JSON.parse(slot).phase).toBe("rebooting");

  // etcd goes away until the waiter notices, then comes back on the same data dir.
  const since = waiter.logs.length;
  await c.members[0]!.kill();
  await waiter.waitForEvent("heartbeat_failed", { since, timeoutMs: 15_000 });
  await c.members[0]!.restart();

  // The slot (on its own long lease) survived the restart; the holder boots and releases it.
  holder.boot();
  await holder.waitForEvent("slot_released", postBootRelease);
  await waiter.waitForEvent("slot_released", postBootRelease);
  expect(reboots(f).map((e) => e.node)).toEqual([holder.name, waiter.name]);
  expect(f.maxAwayByGroup().get("g1")?.max).toBe(1);
  const hs = printHandoffs("after-etcd-restart", f);
  expect(hs).toHaveLength(1);
}, TEST_TIMEOUT_MS);

test("3-member etcd with one member stopped: a rolling reboot of 2 nodes completes", async () => {
  const c = await fleets.etcd({ members: 3 });
  // The first endpoint every daemon lists is the dead one.
  await c.members[0]!.kill();
  await c.leader();
  const f = await newFleet(c, ["n1", "n2"]);
  for (const n of f.nodes) n.requireReboot();
  f.startAll();
  await Promise.all(f.nodes.map((n) => n.waitForEvent("slot_released", postBootRelease)));
  expect(reboots(f).map((e) => e.node).sort()).toEqual(["n1", "n2"]);
  expect(f.maxAwayByGroup().get("g1")?.max).toBe(1);
  printHandoffs("etcd-member-down", f);
}, TEST_TIMEOUT_MS);

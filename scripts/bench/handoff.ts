/**
 * Hand-off latency: a slot is freed → the next waiting node of the group runs its reboot command.
 *
 *   ./node_modules/.bin/bun scripts/bench/handoff.ts [--handoffs 300] [--rounds 4]
 *
 * 1. Slot library, in process (many hand-offs): 6 clients of one group with limit 1, each with
 *    its own etcd connection and session lease, watching the slots prefix like the daemon. On a
 *    watch event a waiter sleeps the daemon's jitter (0–50 ms; also measured without), then
 *    tryAcquireSlot → enterRebooting (the fence). Measured: from the holder's releaseSlot call
 *    to the next holder's committed fence, i.e. the moment the daemon would run the command.
 * 2. Real daemons (scripts/sim): 6 `clusterrebootd run` processes of one group, limit 1, no
 *    cooldown, all needing a reboot, `--rounds` times. Measured: the releasing daemon's
 *    `slot_released` log time → the next node's reboot command writing its ledger line. This
 *    includes the pre-lock and post-lock health-script runs, both etcd reads, the fence, and
 *    spawning the reboot command.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway, type LeaseHandle } from "../../src/etcd/index.ts";
import { enterRebooting, makeKeys, releaseSlot, tryAcquireSlot } from "../../src/slots/index.ts";
import { startEtcd } from "../../tests/support/etcd.ts";
import { createFleet, handoffs } from "../sim/fleet.ts";
import { machineDescription, numArg, pct, table } from "./_common.ts";

const HANDOFFS = numArg("handoffs", 300);
const ROUNDS = numArg("rounds", 4);
const CLIENTS = 6;
const JITTER_MS = 50;

const keys = makeKeys("/clusterrebootd");

async function libraryHandoffs(endpoints: string[], count: number, jitter: boolean): Promise<number[]> {
  const gws: EtcdGateway[] = await Promise.all(Array.from({ length: CLIENTS }, () => connectEtcd({ endpoints, requestTimeoutMs: 5_000 })));
  const leases: LeaseHandle[] = await Promise.all(gws.map((gw) => gw.grantLease(10, { keepAlive: true })));
  const samples: number[] = [];
  let freedAt: number | undefined;
  let lastHolder = -1;
  let done = false;
  const kicks: ((() => void) | undefined)[] = [];
  const watches = await Promise.all(gws.map((gw, i) => gw.watchPrefix(keys.slotsPrefix, () => kicks[i]?.())));
  const client = async (i: number) => {
    const gw = gws[i]!;
    while (!done) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        kicks[i] = () => (clearTimeout(t), resolve());
      });
      kicks[i] = undefined;
      if (done || lastHolder === i) continue; // just "rebooted": let the others go first
      if (jitter) await Bun.sleep(Math.random() * JITTER_MS);
      const nowIso = new Date().toISOString();
      const acq = await tryAcquireSlot(gw, keys, { node: `n${i}`, group: "g", limit: 1, globalCap: null, holder: "daemon", pid: process.pid, bootId: `b${i}`, leaseId: leases[i]!.id, nowIso });
      if (acq.kind !== "acquired") continue;
      const fence = await enterRebooting(gw, keys, acq.slot, acq.record, { slotTimeoutSec: 120, bootId: `b${i}`, nowMs: Date.now(), reboots: { node: `n${i}`, history: [] } });
      if (fence.kind !== "fenced") throw new Error(`fence failed: ${fence.kind}`);
      if (freedAt !== undefined) samples.push(performance.now() - freedAt);
      lastHolder = i;
      if (samples.length >= count) done = true;
      await Bun.sleep(5); // the "reboot"
      freedAt = performance.now();
      await releaseSlot(gw, keys, fence.slot, { cooldownSec: 0, nowMs: Date.now(), node: `n${i}` });
    }
  };
  // Nobody holds a slot at the start: the first acquisition is not a hand-off (freedAt unset).
  await Promise.all([...gws.keys()].map(client));
  await Promise.all(watches.map((w) => w.cancel()));
  await Promise.all(leases.map((l) => l.revoke().catch(() => {})));
  await Promise.all(gws.map((g) => g.close()));
  return samples;
}

async function daemonHandoffs(endpoints: string[], rounds: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "crd-bench-handoff-"));
  const nodes = Array.from({ length: CLIENTS }, (_, i) => ({ name: `d${i + 1}`, group: "g" }));
  const fleet = await createFleet({
    endpoints,
    dir,
    nodes,
    rebootDelayMs: 100,
    config: { etcd_namespace: "/bench-daemons", max_concurrent_reboots: 1, max_reboots_per_node: 100, min_reboot_interval_sec: 0 },
  });
  try {
    fleet.startAll();
    const roundStarts: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const before = fleet.releases().length;
      roundStarts.push(Date.now());
      for (const n of fleet.nodes) n.requireReboot();
      const deadline = Date.now() + 120_000;
      while (fleet.releases().length < before + CLIENTS) {
        if (Date.now() > deadline) throw new Error(`round ${r}: only ${fleet.releases().length - before} of ${CLIENTS} released in 120 s`);
        await Bun.sleep(100);
      }
    }
    const groupOf = (n: string) => nodes.find((x) => x.name === n)?.group;
    // The last release of a round is followed by the next round's first reboot, which waits for
    // the detector (polled every check interval), not for the slot: not a hand-off.
    return handoffs(fleet.ledger(), fleet.releases(), groupOf)
      .filter((h) => !roundStarts.some((t) => t > h.releasedAt && t <= h.rebootAt))
      .map((h) => h.ms);
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cluster = await startEtcd();
try {
  console.log(`hand-off benchmark: ${HANDOFFS} in-process hand-offs per variant, ${ROUNDS} daemon rounds of ${CLIENTS} nodes`);
  for (const l of machineDescription()) console.log(`  ${l}`);
  const rows: (string | number)[][] = [];
  const add = (name: string, s: number[]) => rows.push([name, s.length, pct(s, 50), pct(s, 90), pct(s, 99), Math.max(...s)]);
  add("slot library, no jitter", await libraryHandoffs(cluster.endpoints, HANDOFFS, false));
  add("slot library, jitter 0-50 ms (as the daemon)", await libraryHandoffs(cluster.endpoints, HANDOFFS, true));
  add("real daemons (release log -> reboot command)", await daemonHandoffs(cluster.endpoints, ROUNDS));
  console.log("\nhand-off latency in ms (slot freed -> next node's reboot command)");
  console.log(table(["variant", "hand-offs", "p50", "p90", "p99", "max"], rows));
} finally {
  await cluster.stop();
}

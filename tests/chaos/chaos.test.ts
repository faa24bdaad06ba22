/**
 * The short chaos run (~60 s): 8 real daemons in two groups on a 3-member etcd, every node needing
 * a reboot, with daemons SIGKILLed in every phase, an etcd member killed and restarted, a cluster
 * pause and deny windows lifted by SIGHUP; since issue 12 also clones of a node's name, TCP-proxy
 * partitions, machines down longer than the lease, and a global cap across the two groups; since
 * issue 22 power-offs without a slot (counted as down by the ledger), disk clones with the same
 * machine id and another hardware id, and frozen groups resumed as an operator would. The
 * ledger and etcd's history must show no violation, the fleet must converge, and every slot-key
 * change in etcd's history must be a step of the model (scripts/model/replay.ts). The long version is `npm run chaos` (scripts/chaos/main.ts).
 *
 * The seed is random per run and printed on failure; CRD_CHAOS_SEED=N replays one. CRD_CHAOS_KEEP=1
 * keeps a failed run's directory (daemon logs, ledger, etcd's history as JSON, the run log).
 */
import { expect, test } from "bun:test";
import { newSeed } from "../../scripts/chaos/rng.ts";
import { formatResult } from "../../scripts/chaos/report.ts";
import { runChaos } from "../../scripts/chaos/run.ts";
import { replayThroughModel } from "../../scripts/model/replay.ts";

const seed = process.env.CRD_CHAOS_SEED ? Number(process.env.CRD_CHAOS_SEED) : newSeed();

test(`a fleet under faults never exceeds its limits and converges (seed ${seed})`, async () => {
  const lines: string[] = [];
  const result = await runChaos({
    seed,
    chaosMs: 35_000,
    convergeMs: 45_000,
    groups: [
      { name: "alpha", nodes: 5, limit: 2 },
      { name: "beta", nodes: 3, limit: 1 },
    ],
    // The identity/state faults at low rates (an etcd wipe holds the fleet for 120 s: long run only).
    globalCap: 2,
    state: {
      clonesEveryMs: [15_000, 25_000],
      sameIdCloneChance: 0.5,
      partitionEveryMs: [12_000, 20_000],
      longDownChance: 0.15,
      longDownMs: [4_000, 8_000],
      // Off well past the 3 s lease, so the ledger counts them (from 6 s after the cut) for a while.
      powerOffs: { everyMs: [10_000, 15_000], offMs: [8_000, 12_000], longChance: 0, longMs: [0, 0], maxAtOnce: 1 },
      resumeFrozenAfterMs: [2_000, 5_000],
    },
    keepDirOnFailure: process.env.CRD_CHAOS_KEEP === "1",
    say: (l) => lines.push(l),
  });
  const report = [...formatResult(result), "", "run log:", ...lines].join("\n");
  if (result.dir) await Bun.write(`${result.dir}/report.txt`, report + "\n");
  expect(result.violations, report).toEqual([]);
  expect(result.ok, report).toBe(true);
  expect(result.wavesDone, report).toBeGreaterThanOrEqual(1);
  expect(result.reboots, report).toBeGreaterThanOrEqual(8);
  expect(result.etcdRestarts, report).toBeGreaterThanOrEqual(1);
  expect(result.pauses + result.audit.pauseChanges, report).toBeGreaterThanOrEqual(1);
  expect(result.windowLifts, report).toBeGreaterThanOrEqual(2);
  expect(result.state.clones, report).toBeGreaterThanOrEqual(1);
  expect(result.state.partitions, report).toBeGreaterThanOrEqual(1);
  expect(result.state.powerOffs, report).toBeGreaterThanOrEqual(1);
  expect(Object.values(result.kills).reduce((a, b) => a + b, 0), report).toBeGreaterThanOrEqual(3);
  // Every slot-key change etcd recorded must be a transition of the model (models/slots.pml).
  const replay = replayThroughModel(result.history, "/clusterrebootd", (g) => (g === "alpha" ? 2 : 1));
  expect(replay.violations, report).toEqual([]);
  expect(replay.steps["ACQUIRE"] ?? 0, report).toBeGreaterThanOrEqual(8);
  expect(replay.steps["FENCE"] ?? 0, report).toBeGreaterThanOrEqual(8);
  expect(replay.steps["VERIFY"] ?? 0, report).toBeGreaterThanOrEqual(1);
}, 150_000);

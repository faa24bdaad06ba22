/**
 * The long chaos run (`npm run chaos`): minutes of faults against a simulated fleet, then the
 * safety verdict. Prints the seed; `--seed N` replays the same random choices (timing on a busy
 * machine still varies, so a replay is close, not identical).
 *
 *   bun scripts/chaos/main.ts [--seed N] [--minutes 5] [--binary PATH] [--no-stranded]
 *
 * `--no-stranded`: no reboot kept down past reboot_slot_timeout_sec (each costs its group 2+ min).
 *
 * Exit 0 when no invariant was violated and the fleet converged, 1 otherwise (the temp dir with
 * every daemon's log and the ledger is kept and printed).
 */
import { parseArgs } from "node:util";
import { newSeed } from "./rng.ts";
import { runChaos } from "./run.ts";
import { formatResult } from "./report.ts";

const USAGE = "usage: bun scripts/chaos/main.ts [--seed N] [--minutes M] [--binary PATH] [--no-stranded]";
const { values } = parseArgs({ options: { seed: { type: "string" }, minutes: { type: "string", default: "5" }, binary: { type: "string" }, "no-stranded": { type: "boolean" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const seed = values.seed !== undefined ? Number(values.seed) : newSeed();
const minutes = Number(values.minutes);
if (!Number.isInteger(seed) || seed < 0 || !(minutes > 0)) {
  console.error(USAGE);
  process.exit(64);
}
console.log(`chaos: seed ${seed} (replay: bun scripts/chaos/main.ts --seed ${seed} --minutes ${minutes})`);
const result = await runChaos({
  seed,
  chaosMs: minutes * 60_000,
  // A wipe holds new slots for reboot_slot_timeout_sec (at least 120 s) before the fleet goes on.
  convergeMs: 240_000,
  groups: [
    { name: "alpha", nodes: 5, limit: 2 },
    { name: "beta", nodes: 4, limit: 1 },
  ],
  // Below the groups' sum (3), so the cap binds.
  globalCap: 2,
  state: {
    clonesEveryMs: [20_000, 40_000],
    sameIdCloneChance: 0.5,
    wipeEveryMs: [150_000, 200_000],
    partitionEveryMs: [15_000, 30_000],
    longDownChance: 0.25,
    longDownMs: [4_000, 20_000],
    // A reboot that never comes back within the slot timeout freezes its group (issue 22).
    strandedChance: values["no-stranded"] ? 0 : 0.03,
    // Off for longer than the 3 s lease TTL, now and then for a minute or more.
    powerOffs: { everyMs: [15_000, 30_000], offMs: [8_000, 20_000], longChance: 0.2, longMs: [40_000, 90_000], maxAtOnce: 2 },
    resumeFrozenAfterMs: [5_000, 20_000],
  },
  ...(values.binary ? { binary: values.binary } : {}),
  keepDirOnFailure: true,
  say: (l) => console.log(l),
});
console.log("");
console.log(formatResult(result).join("\n"));
process.exit(result.ok ? 0 : 1);

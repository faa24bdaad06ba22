/**
 * The long chaos run (`npm run chaos`): minutes of faults against a simulated fleet, then the
 * safety verdict. Prints the seed; `--seed N` replays the same random choices (timing on a busy
 * machine still varies, so a replay is close, not identical).
 *
 *   bun scripts/chaos/main.ts [--seed N] [--minutes 5] [--binary PATH]
 *
 * Exit 0 when no invariant was violated and the fleet converged, 1 otherwise (the temp dir with
 * every daemon's log and the ledger is kept and printed).
 */
import { parseArgs } from "node:util";
import { newSeed } from "./rng.ts";
import { runChaos } from "./run.ts";
import { formatResult } from "./report.ts";

const { values } = parseArgs({ options: { seed: { type: "string" }, minutes: { type: "string", default: "5" }, binary: { type: "string" } } });
const seed = values.seed !== undefined ? Number(values.seed) : newSeed();
const minutes = Number(values.minutes);
if (!Number.isInteger(seed) || seed < 0 || !(minutes > 0)) {
  console.error("usage: bun scripts/chaos/main.ts [--seed N] [--minutes M] [--binary PATH]");
  process.exit(64);
}
console.log(`chaos: seed ${seed} (replay: bun scripts/chaos/main.ts --seed ${seed} --minutes ${minutes})`);
const result = await runChaos({
  seed,
  chaosMs: minutes * 60_000,
  convergeMs: 120_000,
  groups: [
    { name: "alpha", nodes: 5, limit: 2 },
    { name: "beta", nodes: 4, limit: 1 },
  ],
  ...(values.binary ? { binary: values.binary } : {}),
  keepDirOnFailure: true,
  say: (l) => console.log(l),
});
console.log("");
console.log(formatResult(result).join("\n"));
process.exit(result.ok ? 0 : 1);

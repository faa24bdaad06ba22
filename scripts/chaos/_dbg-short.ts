import { runChaos } from "./run.ts";
import { formatResult } from "./report.ts";
const seed = Number(process.argv[2]);
const result = await runChaos({
  seed, chaosMs: 35_000, convergeMs: 45_000,
  groups: [{ name: "alpha", nodes: 5, limit: 2 }, { name: "beta", nodes: 3, limit: 1 }],
  globalCap: 2,
  state: { clonesEveryMs: [15_000, 25_000], sameIdCloneChance: 0.5, partitionEveryMs: [12_000, 20_000], longDownChance: 0.15, longDownMs: [4_000, 8_000], powerOffs: { everyMs: [10_000, 15_000], offMs: [8_000, 12_000], longChance: 0, longMs: [0, 0], maxAtOnce: 1 }, resumeFrozenAfterMs: [2_000, 5_000] },
  keepDirOnFailure: true,
  say: (l) => console.log(l),
});
console.log(formatResult(result).join("\n"));

/**
 * Fuzzing modes. CI runs the short mode (a few hundred inputs per property, well under 10 s per
 * fuzzer); `FUZZ_LONG=1` runs ≥100k inputs per property for the figures in docs/BENCHMARKS.md:
 *
 *   FUZZ_LONG=1 ./node_modules/.bin/bun test --timeout 3600000 tests/fuzz/cli.test.ts
 *
 * `FUZZ_RUNS=N` overrides both (e.g. to reproduce with a seed: `FUZZ_SEED=…` is passed to
 * fast-check as well). Every fuzzer prints one line with its inputs, time and inputs/second.
 */
import fc from "fast-check";

export const FUZZ_LONG = process.env["FUZZ_LONG"] === "1";
const RUNS_OVERRIDE = Number(process.env["FUZZ_RUNS"] ?? "");
const SEED = Number(process.env["FUZZ_SEED"] ?? "");

/** Inputs per property in this mode. */
export function fuzzRuns(short: number, long = 100_000): number {
  if (Number.isInteger(RUNS_OVERRIDE) && RUNS_OVERRIDE > 0) return RUNS_OVERRIDE;
  return FUZZ_LONG ? long : short;
}

/** Per-test timeout: generous in the long mode, the suite's default otherwise. */
export const FUZZ_TIMEOUT_MS = FUZZ_LONG ? 3_600_000 : 60_000;

/** fast-check parameters for `runs` inputs (seeded when FUZZ_SEED is set). */
export function fuzzParams<T>(runs: number): fc.Parameters<T> {
  return Number.isInteger(SEED) && process.env["FUZZ_SEED"] !== undefined ? { numRuns: runs, seed: SEED } : { numRuns: runs };
}

/** Runs an async property `runs` times and prints `fuzz <name>: N inputs in T s (R inputs/s)`. */
export async function fuzzAsync<T>(name: string, arb: fc.Arbitrary<T>, runs: number, check: (x: T) => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await shortened(() => fc.assert(fc.asyncProperty(arb, check), fuzzParams(runs)));
  report(name, runs, performance.now() - t0);
}

/** Synchronous variant of fuzzAsync. */
export function fuzzSync<T>(name: string, arb: fc.Arbitrary<T>, runs: number, check: (x: T) => void): void {
  const t0 = performance.now();
  try {
    fc.assert(fc.property(arb, check), fuzzParams(runs));
  } catch (e) {
    throw cut(e);
  }
  report(name, runs, performance.now() - t0);
}

/** A counterexample can be megabytes (huge-line inputs): keep the failure readable in CI logs. */
const MAX_MESSAGE = 4000;
async function shortened(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    throw cut(e);
  }
}
function cut(e: unknown): unknown {
  if (!(e instanceof Error) || e.message.length <= MAX_MESSAGE) return e;
  const short = new Error(`${e.message.slice(0, MAX_MESSAGE)}… (${e.message.length} characters; rerun with FUZZ_SEED from above)`);
  short.stack = short.message;
  return short;
}

function report(name: string, runs: number, ms: number): void {
  const rate = Math.round(runs / (ms / 1000));
  console.log(`fuzz ${name}: ${runs} inputs in ${(ms / 1000).toFixed(2)} s (${rate} inputs/s)${FUZZ_LONG ? " [long]" : ""}`);
}

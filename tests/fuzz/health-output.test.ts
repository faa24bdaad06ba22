/**
 * Fuzzing the health script's output: random bytes (control characters, NUL, escape sequences,
 * huge lines, invalid UTF-8 decoded lossily as the real runner does, lone surrogates) and random
 * exit kinds through src/health/runner.ts with a fake process runner — one that does *not* cap
 * its output, so the health runner's own cap is what is tested. Then the result goes through the
 * human and JSON report renderers. Properties: nothing throws; each stream of the result is at
 * most MAX_HEALTH_OUTPUT_BYTES (+ the cut marker) and marked truncated when cut; the rendered
 * report stays bounded. (What the renderers escape is not asserted here.)
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createHealthRunner, MAX_HEALTH_OUTPUT_BYTES, type HealthResult } from "../../src/health/index.ts";
import { formatReport, reportJson } from "../../src/observe/index.ts";
import { newReport } from "../../src/orchestrate/report.ts";
import type { Fs, ProcessRunner, RunResult } from "../../src/platform/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeHost } from "../fakes/host.ts";
import { FUZZ_TIMEOUT_MS, fuzzAsync, fuzzRuns } from "../support/fuzz.ts";

const SCRIPT = "/usr/local/bin/health";
/** A root-owned 0755 script: passes the safety check, so every input reaches the runner. */
const fs: Fs = {
  stat: async () => ({ kind: "present", mode: 0o100755, uid: 0, isFile: true, isDirectory: false }),
  readText: async () => "",
  writeAtomic: async () => {},
  remove: async () => {},
};
const MARKER_SLACK = 100; // the cut marker line plus a U+FFFD where a character was split
const decoder = new TextDecoder("utf-8", { fatal: false });

const chunk = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => decoder.decode(b)), // invalid UTF-8, lossily
  fc.string({ unit: "binary", maxLength: 32 }), // any code point, lone surrogates included
  fc.constantFrom("\u0000", "\u001b[31m", "\u001b]0;title\u0007", "\r", "\n", "\u2028", "\u202e", "\ufeff", "%s", "${RC_NODE_NAME}", "\t"),
  fc.tuple(fc.constantFrom("x", "é", "😀", "\u0000", "\n"), fc.integer({ min: 1, max: 120_000 })).map(([c, n]) => c.repeat(n)), // huge lines
);
const output = fc.array(chunk, { maxLength: 6 }).map((parts) => parts.join(""));
const exit = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((exitCode) => ({ kind: "exited" as const, exitCode })),
  fc.constantFrom({ kind: "signaled" as const, signal: "SIGKILL" }, { kind: "timeout" as const, timeoutMs: 1000 }, { kind: "aborted" as const }, { kind: "spawn-error" as const, message: "ENOENT" }),
);
const inputArb = fc.record({ stdout: output, stderr: output, exit, truncated: fc.boolean() });
type Input = typeof inputArb extends fc.Arbitrary<infer T> ? T : never;

async function check(input: Input): Promise<void> {
  const runner: ProcessRunner = { run: async (): Promise<RunResult> => ({ ...input.exit, durationMs: 3, stdout: input.stdout, stderr: input.stderr, truncated: input.truncated }) };
  const health = createHealthRunner({ scriptPath: SCRIPT, timeoutMs: 1000, baseEnv: {} }, { runner, fs, host: new FakeHost({ uid: 1000 }), clock: new FakeClock() });
  const r: HealthResult = await health.run("pre-lock", { lockHeld: false, lockAttempts: 0, lockEnabled: true });
  for (const [stream, raw] of [[r.stdout, input.stdout], [r.stderr, input.stderr]] as const) {
    expect(Buffer.byteLength(stream, "utf8")).toBeLessThanOrEqual(MAX_HEALTH_OUTPUT_BYTES + MARKER_SLACK);
    if (Buffer.byteLength(raw, "utf8") > MAX_HEALTH_OUTPUT_BYTES) expect(r.truncated).toBe(true);
    else expect(stream).toBe(raw);
  }
  const report = { ...newReport("node-a", "default", true), health: [r] };
  const text = formatReport(report);
  const json = JSON.stringify(reportJson(report));
  // Two streams; the human report escapes control characters (a NUL byte becomes the 4 characters
  // \x00) and indents continuation lines (a newline becomes a line break plus the indent): linear.
  const bound = 2 * 8 * (MAX_HEALTH_OUTPUT_BYTES + MARKER_SLACK) + 4096;
  expect(Buffer.byteLength(text, "utf8")).toBeLessThanOrEqual(bound);
  expect(json.length).toBeLessThanOrEqual(bound * 3); // \\uXXXX escapes of control characters
}

describe("health-script output fuzzing", () => {
  test(
    "random bytes and exit kinds: no throw, each stream capped, reports bounded",
    async () => {
      await fuzzAsync("health output", inputArb, fuzzRuns(1000), check);
    },
    FUZZ_TIMEOUT_MS,
  );

  test("a 10 MB line from a runner that does not cap is cut to the limit and marked", async () => {
    await check({ stdout: "é".repeat(5_000_000), stderr: "\u0000".repeat(10), exit: { kind: "exited", exitCode: 1 }, truncated: false });
  });
});

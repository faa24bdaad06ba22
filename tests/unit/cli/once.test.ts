/**
 * `run --once` on a taken slot (Go scenario): up to 5 passes, the lock backoff between them,
 * lock_unavailable only after the last; any other outcome ends it at once; the stop signal cuts
 * the wait short.
 */
import { describe, expect, test } from "bun:test";
import { ONCE_LOCK_ATTEMPTS, retryWhileSlotTaken } from "../../../src/cli/_once.ts";
import { memoryLogger } from "../../../src/observe/index.ts";
import { backoffDelay, outcome, type OutcomeKind } from "../../../src/orchestrate/index.ts";

function setup(kinds: OutcomeKind[], opts: { abortOnSleep?: number } = {}) {
  const ac = new AbortController();
  const log = memoryLogger();
  const sleeps: number[] = [];
  let passes = 0;
  const pass = async () => ({ outcome: outcome(kinds[Math.min(passes++, kinds.length - 1)]!, "x") });
  const deps = {
    backoffMinMs: 5_000,
    backoffMaxMs: 60_000,
    rand: () => 0.5,
    log,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      if (opts.abortOnSleep === sleeps.length) ac.abort();
    },
  };
  return { run: () => retryWhileSlotTaken(pass, ac.signal, deps), sleeps, log, passes: () => passes };
}

describe("run --once retries a taken slot", () => {
  test("5 attempts with the lock backoff between them, then lock_unavailable", async () => {
    const s = setup(["lock_unavailable"]);
    const r = await s.run();
    expect(r.outcome.kind).toBe("lock_unavailable");
    expect(s.passes()).toBe(ONCE_LOCK_ATTEMPTS);
    expect(ONCE_LOCK_ATTEMPTS).toBe(5);
    expect(s.sleeps).toEqual([1, 2, 3, 4].map((a) => backoffDelay(a, 5_000, 60_000, () => 0.5)));
    for (const ms of s.sleeps) expect(ms).toBeWithin(5_000, 60_001);
    expect(s.log.records.filter((e) => e.event === "lock_backoff").map((e) => e.fields["attempt"])).toEqual([1, 2, 3, 4]);
    expect(s.log.records.at(-1)).toMatchObject({ event: "lock_failed", fields: { attempts: 5 } });
  });

  test("a slot freed on the third attempt: the third pass's outcome", async () => {
    const s = setup(["lock_unavailable", "lock_unavailable", "ready"]);
    expect((await s.run()).outcome.kind).toBe("ready");
    expect(s.passes()).toBe(3);
    expect(s.sleeps).toHaveLength(2);
  });

  test.each(["health_blocked", "ready", "runtime_error", "kill_switch_active", "cooldown_active"] as const)("%s is final at once", async (kind) => {
    const s = setup([kind]);
    expect((await s.run()).outcome.kind).toBe(kind);
    expect(s.passes()).toBe(1);
    expect(s.sleeps).toEqual([]);
  });

  test("the stop signal during a wait ends the retries with the last report", async () => {
    const s = setup(["lock_unavailable"], { abortOnSleep: 2 });
    expect((await s.run()).outcome.kind).toBe("lock_unavailable");
    expect(s.passes()).toBe(2);
  });
});

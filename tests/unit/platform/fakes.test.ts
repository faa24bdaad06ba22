/** The shared fakes must behave like the real ports, or tests built on them prove nothing. */
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../fakes/clock.ts";
import { FakeHost } from "../../fakes/host.ts";
import { FakeRunner, exited, hang } from "../../fakes/runner.ts";

describe("FakeClock", () => {
  test("advance wakes due sleeps in time order and moves now()", async () => {
    const clock = new FakeClock(1000);
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
    void clock.sleep(900).then(() => woke.push("late"));
    await clock.advance(500);
    expect(woke).toEqual(["a@1100", "b@1300"]);
    expect(clock.now()).toBe(1500);
    expect(clock.pendingSleeps).toBe(1);
  });

  test("a loop that sleeps again inside the advanced window is woken again", async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
  });

  test("sleep resolves early, without throwing, when its signal aborts", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const s = clock.sleep(60_000, ac.signal);
    await clock.untilSleeping(1);
    ac.abort();
    await s;
    expect(clock.pendingSleeps).toBe(0);
    await clock.sleep(10, ac.signal); // already aborted: immediate
  });
});

describe("FakeRunner", () => {
  test("uses scripted results in order, repeats the last, records calls", async () => {
    const runner = new FakeRunner().on(["x"], exited(1), exited(0, { stdout: "ok" }));
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push(await runner.run({ argv: ["x"] }));
    expect(kinds.map((r) => r.kind === "exited" && r.exitCode)).toEqual([1, 0, 0]);
    expect(kinds[2]?.stdout).toBe("ok");
    expect(runner.argvs).toEqual([["x"], ["x"], ["x"]]);
    expect((await runner.run({ argv: ["other"] })).kind).toBe("spawn-error");
  });

  test("a hung command times out on the injected clock", async () => {
    const clock = new FakeClock();
    const runner = new FakeRunner(clock).on(["h"], hang());
    const pending = runner.run({ argv: ["h"], timeoutMs: 5000 });
    await clock.untilSleeping();
    await clock.advance(5000);
    expect(await pending).toMatchObject({ kind: "timeout", timeoutMs: 5000 });
  });
});

describe("FakeHost", () => {
  test("reboot changes the boot id", async () => {
    const host = new FakeHost();
    const before = await host.bootId();
    host.reboot();
    expect(await host.bootId()).not.toBe(before);
  });
});

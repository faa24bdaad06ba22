import type { Clock } from "../../src/platform/index.ts";

interface Sleeper {
  due: number;
  order: number;
  resolve: () => void;
}

/**
 * A Clock whose time moves only when the test says so. `sleep` resolves when `advance` moves time
 * past its due point, or at once when its signal aborts (like the real clock, it never throws).
 */
export class FakeClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];
  private order = 0;
  private watchers: Array<() => void> = [];

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  /** What `random()` answers (the middle of every jitter unless a test sets it). */
  randomValue = 0.5;
  random(): number {
    return this.randomValue;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = { due: this.t + ms, order: this.order++, resolve: () => {} };
      const onAbort = () => this.wake(sleeper);
      sleeper.resolve = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
      for (const w of this.watchers.splice(0)) w();
    });
  }

  /** Number of sleeps currently waiting. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  /**
   * Move time forward by `ms`, waking due sleepers in time order. Between wake-ups the code under
   * test gets to run, so a loop that sleeps again inside the window is woken again if due.
   */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const next = this.sleepers
        .filter((s) => s.due <= target)
        .sort((a, b) => a.due - b.due || a.order - b.order)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.due);
      this.wake(next);
    }
    this.t = target;
    await settle();
  }

  /** Resolves once at least `n` sleeps are pending (the code under test is parked). */
  async untilSleeping(n = 1): Promise<void> {
    while (this.sleepers.length < n) await new Promise<void>((r) => this.watchers.push(r));
  }

  private wake(s: Sleeper): void {
    const i = this.sleepers.indexOf(s);
    if (i === -1) return;
    this.sleepers.splice(i, 1);
    s.resolve();
  }
}

/** Let pending promise continuations run (one macrotask turn). */
function settle(): Promise<void> {
  return new Promise<void>((r) => setImmediate(r));
}

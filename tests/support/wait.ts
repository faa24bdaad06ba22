/**
 * Condition polling with a deadline: the one way tests wait for something to happen.
 *
 * Tests never sleep for a fixed time; they name what they wait for, so a timeout reads as
 * "timed out after 5000 ms waiting for member m1 to report healthy (last error: …)".
 */

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between attempts; default 25 ms. */
  intervalMs?: number;
  /** What we are waiting for, used in the timeout message. */
  what: string;
}

/**
 * Calls `fn` until it returns something other than `undefined`/`false`, and returns that.
 * A throwing `fn` counts as "not yet"; its last error is quoted when the deadline passes.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions,
): Promise<T> {
  const deadline = performance.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 25;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      const detail = lastError === undefined ? "" : ` (last error: ${describe(lastError)})`;
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${detail}`);
    }
    await Bun.sleep(Math.min(interval, left));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

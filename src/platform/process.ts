import type { ProcessRunner, RunResult, RunSpec, RunTiming } from "./ports.ts";

/** Per-stream capture cap when the caller gives none: enough for any sane script, bounded memory (W7). */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
/**
 * How long we keep reading stdout/stderr after the direct child is gone (or after we killed its
 * group). A grandchild that escaped our group (it called setsid itself) can hold the pipes open
 * forever; Go waited for it without limit (W7). 500 ms lets buffered output drain and keeps the
 * promise "returns within timeout + 1 s".
 */
export const PIPE_GRACE_MS = 500;
/** After the final group sweep, a short extra wait so pipes held by just-killed members reach EOF. */
export const SWEEP_GRACE_MS = 100;

/**
 * The real process runner.
 *
 * Process group: `Bun.spawn({ detached: true })` calls setsid() in the child, so the child leads a
 * new session *and* process group (measured under Bun 1.4.5: pgid == sid == pid; without `detached`
 * the child stays in our group). `node:child_process` with `detached` gives the same result, but
 * Bun.spawn is native and needs no `setsid` wrapper binary. We deliberately do not use Bun's own
 * `timeout`/`signal`/`maxBuffer` options: they signal only the direct child (grandchildren would
 * survive and hold the pipes) and `maxBuffer` kills the process instead of truncating.
 *
 * Lifecycle of one run:
 *  1. spawn (stdin /dev/null, stdout/stderr piped and drained into capped buffers);
 *  2. on timeout or abort: SIGKILL the whole group (`kill(-pid)`);
 *  3. after our kill: wait for the direct child and EOF on both pipes until PIPE_GRACE_MS after
 *     the kill (only a process that left the group, or one stuck in the kernel, can delay us);
 *  4. after a normal exit: wait at most PIPE_GRACE_MS for EOF, then SIGKILL the group anyway so
 *     nothing the child left running in its group outlives the call (background jobs of a script
 *     are killed when the script ends — by design), and wait SWEEP_GRACE_MS more for EOF;
 *  5. stop reading (cancelling closes our pipe ends, so nothing leaks).
 * Worst case after a timeout or abort: deadline + PIPE_GRACE_MS.
 *
 * Known limit: the final sweep signals the pgid after the leader was reaped. If the group is already
 * empty, the kernel may in theory have handed that number to a new group leader in between; that
 * needs the pid space (pid_max) to wrap within milliseconds, which we accept.
 */
export function createProcessRunner(): ProcessRunner {
  return { run: runProcess };
}

/** Run one child as described on {@link createProcessRunner}. Never throws for child failures. */
export async function runProcess(spec: RunSpec): Promise<RunResult> {
  const started = performance.now();
  const max = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const timing = (out?: Captured, err?: Captured): RunTiming => finishTiming(started, max, out, err);

  if (spec.signal?.aborted) return { kind: "aborted", ...timing() };
  const spawned = spawnChild(spec);
  if (typeof spawned === "string") return { kind: "spawn-error", message: spawned, ...timing() };
  const child = spawned;
  const pid = child.pid;

  const out = drain(child.stdout, max);
  const err = drain(child.stderr, max);
  const pipesClosed = Promise.all([out.done, err.done]);

  const killer = armKiller(pid, spec);
  try {
    await Promise.race([child.exited, killer.killed]);
    // After our kill the leader normally dies at once; the bound only matters for a child stuck in
    // uninterruptible sleep, which we then leave to be reaped by Bun later.
    if (killer.reason) await raceUntil(child.exited, killer.killedAt + PIPE_GRACE_MS);
  } finally {
    killer.disarm();
  }

  const killedFor = killer.reason;
  if (killedFor) {
    // The group is already dead; only a process that left it can still hold the pipes.
    await raceUntil(pipesClosed, killer.killedAt + PIPE_GRACE_MS);
  } else {
    await raceUntil(pipesClosed, performance.now() + PIPE_GRACE_MS);
    killGroup(pid);
    await raceUntil(pipesClosed, performance.now() + SWEEP_GRACE_MS);
  }
  await Promise.all([out.stop(), err.stop()]);

  const t = timing(out.captured, err.captured);
  // A child that exited by itself just before our timer fired really did complete: report it.
  if (child.exitCode !== null && child.signalCode === null) return { kind: "exited", exitCode: child.exitCode, ...t };
  if (killedFor === "timeout") return { kind: "timeout", timeoutMs: spec.timeoutMs ?? 0, ...t };
  if (killedFor === "aborted") return { kind: "aborted", ...t };
  return { kind: "signaled", signal: String(child.signalCode ?? "unknown"), ...t };
}

// --- internal ---

interface Captured {
  chunks: Uint8Array[];
  bytes: number;
  truncated: boolean;
}

type Child = Bun.Subprocess<"ignore", "pipe", "pipe">;

/** Spawn in a new process group; returns a one-line reason instead of throwing on exec failure. */
function spawnChild(spec: RunSpec): Child | string {
  const [file] = spec.argv;
  if (file === undefined || file === "") return "cannot execute: empty command";
  try {
    return Bun.spawn([...spec.argv], {
      cwd: spec.cwd,
      env: spec.env ?? (process.env as Record<string, string>),
      detached: true,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (e) {
    return describeSpawnError(file, spec.cwd, e);
  }
}

function describeSpawnError(file: string, cwd: string | undefined, e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === "ENOENT") {
    const where = cwd === undefined ? "" : `, or working directory ${cwd} missing`;
    return `cannot execute ${file}: not found (ENOENT: no such file, missing #! interpreter${where})`;
  }
  if (code === "EACCES") return `cannot execute ${file}: permission denied (EACCES: not executable, or a directory)`;
  if (code === "ENOEXEC") return `cannot execute ${file}: not a runnable program (ENOEXEC: no #! line or wrong binary format)`;
  return `cannot execute ${file}: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Kill the child's group when the timeout passes or the caller aborts, whichever comes first.
 * `killed` resolves at that moment; `reason` says which one it was.
 */
function armKiller(pid: number, spec: RunSpec) {
  let onKilled: () => void = () => {};
  const state = {
    reason: undefined as "timeout" | "aborted" | undefined,
    killedAt: 0,
    killed: new Promise<void>((resolve) => (onKilled = resolve)),
    disarm: () => {
      if (timer) clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
    },
  };
  const killFor = (reason: "timeout" | "aborted") => {
    if (state.reason) return;
    state.reason = reason;
    state.killedAt = performance.now();
    killGroup(pid);
    onKilled();
  };
  const onAbort = () => killFor("aborted");
  const timer = spec.timeoutMs === undefined ? undefined : setTimeout(() => killFor("timeout"), Math.max(0, spec.timeoutMs));
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  return state;
}

/** SIGKILL every process in the group led by `pid`; ESRCH (group already empty) is fine. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nobody left. EPERM cannot happen for a group we created.
  }
}

/**
 * Read a stream to EOF, keeping the first `max` bytes and discarding (but still draining) the rest,
 * so a chatty child never blocks on a full pipe. `stop()` cancels reading and releases the pipe.
 */
function drain(stream: ReadableStream<Uint8Array>, max: number) {
  const captured: Captured = { chunks: [], bytes: 0, truncated: false };
  const reader = stream.getReader();
  const done = (async () => {
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        keep(captured, r.value, max);
      }
    } catch {
      // Cancelled or the pipe broke: what we have is what we report.
    }
  })();
  const stop = async () => {
    await reader.cancel().catch(() => {});
    await done;
  };
  return { captured, done, stop };
}

function keep(c: Captured, chunk: Uint8Array, max: number): void {
  const room = max - c.bytes;
  if (room <= 0) {
    if (chunk.byteLength > 0) c.truncated = true;
    return;
  }
  const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
  if (part !== chunk) c.truncated = true;
  // Copy: Bun may reuse the chunk's buffer for the next read.
  c.chunks.push(part.slice());
  c.bytes += part.byteLength;
}

function finishTiming(started: number, max: number, out?: Captured, err?: Captured): RunTiming {
  return {
    durationMs: Math.round(performance.now() - started),
    stdout: render(out, max),
    stderr: render(err, max),
    truncated: Boolean(out?.truncated || err?.truncated),
  };
}

/** Decode captured bytes (lossy UTF-8 at a cut multibyte character) and mark truncation. */
function render(c: Captured | undefined, max: number): string {
  if (!c) return "";
  const text = new TextDecoder().decode(Buffer.concat(c.chunks));
  return c.truncated ? `${text}\n[… output truncated at ${max} bytes]` : text;
}

/** Wait for `p` but not past the `performance.now()` deadline; never rejects. */
async function raceUntil(p: Promise<unknown>, deadline: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - performance.now()))));
  const settled = p.then(
    () => {},
    () => {},
  );
  try {
    await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}

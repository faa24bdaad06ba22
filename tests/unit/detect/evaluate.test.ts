import { afterEach, describe, expect, test } from "bun:test";
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { evaluateDetectors, summarizeErrors } from "../../../src/detect/index.ts";
import type { DetectorSpec } from "../../../src/detect/index.ts";
import { createFs, createProcessRunner, systemClock } from "../../../src/platform/index.ts";
import { FakeClock } from "../../fakes/clock.ts";
import { FakeRunner, exited, hang, signaled } from "../../fakes/runner.ts";
import { openForNobody, probeJson } from "../../support/as-nobody.ts";
import { Scratch, isGone, readPids, waitFor } from "../platform/_helpers.ts";

const PROBE = join(import.meta.dir, "../../support/_unprivileged-probe.ts");

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const realDeps = { runner: createProcessRunner(), fs: createFs(), clock: systemClock, env };
const sh = (script: string) => ["/bin/sh", "-c", script];
const command = (cmd: string[], successExitCodes: number[] = [], timeoutMs = 5000): DetectorSpec => ({
  name: "cmd",
  type: "command",
  cmd,
  successExitCodes,
  timeoutMs,
});

describe("file detector", () => {
  test.each([
    ["missing path", "absent", "clear"],
    ["present file", "file", "required"],
    ["present directory (any type counts)", "dir", "required"],
    ["symlink to an existing file", "link", "required"],
    ["dangling symlink", "dangling", "clear"],
    ["path below a regular file (ENOTDIR)", "file/x", "clear"],
    ["symlink loop", "loop-a", "error"],
  ])("%s → %s", async (_what, rel, kind) => {
    const dir = await layout();
    const ev = await evaluateDetectors([{ name: "f", type: "file", path: join(dir, rel) }], realDeps);
    expect(ev.results[0]).toMatchObject({ name: "f", type: "file", kind });
    expect(ev.results[0]).not.toHaveProperty("exitCode");
  });

  // Root bypasses the mode bits: under root the detector runs as nobody (setpriv), never skipped.
  test("permission denied → error naming the path", async () => {
    const dir = await layout();
    await openForNobody(dir);
    await chmod(join(dir, "dir"), 0o000);
    const path = join(dir, "dir", "inner");
    const { uid, result: ev } = await probeJson<{ uid: number; result: Awaited<ReturnType<typeof evaluateDetectors>> }>(PROBE, ["detect", path]);
    await chmod(join(dir, "dir"), 0o755);
    expect(uid).not.toBe(0);
    expect(ev.results[0]).toMatchObject({ kind: "error", error: `stat ${path}: EACCES: permission denied` });
    expect(ev).toMatchObject({ requiresReboot: false, hasErrors: true });
  }, 30_000);
});

describe("command detector", () => {
  test.each([
    // [exit, successExitCodes, expected]
    [0, [], "clear"],
    [1, [], "required"],
    [7, [], "required"],
    [0, [1], "clear"],
    [1, [1], "required"],
    [2, [1], "clear"],
    [0, [0], "required"],
    [3, [1, 3], "required"],
  ])("exit %d with success_exit_codes %j → %s", async (code, codes, kind) => {
    const ev = await evaluateDetectors([command(sh(`exit ${code}`), codes)], realDeps);
    expect(ev.results[0]).toMatchObject({ kind, exitCode: code });
    expect(ev.requiresReboot).toBe(kind === "required");
  });

  test("runs argv without a shell, with the given env, and keeps its output", async () => {
    const spec = command(["printenv", "DETECT_ME"]);
    const ev = await evaluateDetectors([spec], { ...realDeps, env: { ...env, DETECT_ME: "$HOME; x" } });
    expect(ev.results[0]).toMatchObject({ kind: "clear", exitCode: 0, stdout: "$HOME; x\n", truncated: false });
  });

  test("a timeout is an error without exit code, and the group is killed in time", async () => {
    const dir = await scratch.dir();
    const pids = scratch.pidFile(dir);
    const started = performance.now();
    const ev = await evaluateDetectors([command(sh(`sleep 30 & echo $! > ${pids}; exec sleep 30`), [], 250)], realDeps);
    expect(performance.now() - started).toBeLessThan(250 + 1000);
    expect(ev.results[0]).toMatchObject({ kind: "error", error: "timed out after 0.25s (process group killed)" });
    expect(ev.results[0]).not.toHaveProperty("exitCode");
    const [grandchild] = await readPids(pids);
    expect(await waitFor(() => isGone(grandchild!), 1000)).toBe(true);
  });

  test("death by a signal is an error, never 'required' (W8)", async () => {
    const ev = await evaluateDetectors([command(sh("kill -9 $$"))], realDeps);
    expect(ev.results[0]).toMatchObject({ kind: "error", error: "killed by signal SIGKILL" });
    expect(ev.results[0]).not.toHaveProperty("exitCode");
    expect(ev).toMatchObject({ requiresReboot: false, hasErrors: true });
  });

  test.each([
    ["not found", "/nonexistent/needs-restarting", 0o755, "ENOENT"],
    ["not executable", "script.sh", 0o644, "EACCES"],
    ["executable without #! line", "script.sh", 0o755, "ENOEXEC"],
  ])("exec failure (%s) is an error", async (_what, file, mode, errno) => {
    const dir = await scratch.dir();
    const path = file.startsWith("/") ? file : join(dir, file);
    if (!file.startsWith("/")) await writeFile(path, "exit 0\n", { mode });
    if (!file.startsWith("/")) await chmod(path, mode);
    const ev = await evaluateDetectors([command([path])], realDeps);
    expect(ev.results[0]).toMatchObject({ kind: "error" });
    expect(ev.results[0]).not.toHaveProperty("exitCode");
    if (ev.results[0]?.kind === "error") expect(ev.results[0].error).toContain(errno);
  });
});

describe("evaluation", () => {
  test("runs all detectors in config order without short-circuit; errors do not count as required", async () => {
    const runner = new FakeRunner().on(["a"], exited(1)).on(["b"], signaled()).on(["c"], exited(0));
    const specs: DetectorSpec[] = ["a", "b", "c"].map((n) => ({ ...command([n]), name: n }));
    const ev = await evaluateDetectors(specs, { runner, fs: createFs(), clock: new FakeClock(), env });
    expect(runner.argvs).toEqual([["a"], ["b"], ["c"]]);
    expect(ev.results.map((r) => [r.name, r.kind])).toEqual([["a", "required"], ["b", "error"], ["c", "clear"]]);
    expect(ev).toMatchObject({ requiresReboot: true, hasErrors: true, aborted: false });
    expect(summarizeErrors(ev)).toBe("b: killed by signal SIGKILL");
  });

  test.each([
    [[exited(0), exited(0)], false],
    [[exited(0), exited(1)], true],
    [[signaled(), exited(0)], false],
  ])("requiresReboot is the OR over non-errored results (%#)", async (outcomes, required) => {
    const runner = new FakeRunner().on(["x"], ...outcomes);
    const specs = [command(["x"]), command(["x"])];
    const ev = await evaluateDetectors(specs, { runner, fs: createFs(), clock: new FakeClock(), env });
    expect(ev.requiresReboot).toBe(required);
  });

  test("abort kills the running command and marks the rest aborted without running them", async () => {
    const clock = new FakeClock();
    const runner = new FakeRunner(clock).on(["slow"], hang()).on(["next"], exited(1));
    const ac = new AbortController();
    const specs = [command(["slow"]), { ...command(["next"]), name: "next" }];
    const pending = evaluateDetectors(specs, { runner, fs: createFs(), clock, env }, ac.signal);
    await clock.untilSleeping();
    ac.abort();
    const ev = await pending;
    expect(runner.argvs).toEqual([["slow"]]);
    expect(ev.results.map((r) => r.kind === "error" && r.error)).toEqual(["aborted", "aborted"]);
    expect(ev).toMatchObject({ aborted: true, hasErrors: true, requiresReboot: false });
  });

  test("durations come from the injected clock", async () => {
    const clock = new FakeClock();
    const runner = new FakeRunner(clock).on(["slow"], hang());
    const pending = evaluateDetectors([command(["slow"], [], 30_000)], { runner, fs: createFs(), clock, env });
    await clock.untilSleeping();
    await clock.advance(30_000);
    const ev = await pending;
    expect(ev.results[0]).toMatchObject({ kind: "error", error: "timed out after 30s (process group killed)", durationMs: 30_000 });
    expect(ev.durationMs).toBe(30_000);
  });
});

// --- internal ---

async function layout(): Promise<string> {
  const dir = await scratch.dir();
  await writeFile(join(dir, "file"), "");
  await mkdir(join(dir, "dir"));
  await symlink(join(dir, "file"), join(dir, "link"));
  await symlink(join(dir, "gone"), join(dir, "dangling"));
  await symlink(join(dir, "loop-b"), join(dir, "loop-a"));
  await symlink(join(dir, "loop-a"), join(dir, "loop-b"));
  return dir;
}

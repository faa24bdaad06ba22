import { afterEach, describe, expect, test } from "bun:test";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_MAX_OUTPUT_BYTES, createProcessRunner } from "../../../src/platform/index.ts";
import { Scratch, isGone, pgidOf, readPids, waitFor } from "./_helpers.ts";

const runner = createProcessRunner();
const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const TIMEOUT_MS = 300;
const sh = (script: string) => ["/bin/sh", "-c", script];

describe("exit status", () => {
  test.each([
    ["exit 0", 0],
    ["exit 3", 3],
    ["exit 255", 255],
    ["false", 1],
  ])("`%s` ends as exited with code %d", async (script, code) => {
    const r = await runner.run({ argv: sh(script) });
    expect(r).toMatchObject({ kind: "exited", exitCode: code, truncated: false });
  });

  test("captures stdout and stderr separately", async () => {
    const r = await runner.run({ argv: sh("echo out; echo err >&2") });
    expect(r).toMatchObject({ kind: "exited", exitCode: 0, stdout: "out\n", stderr: "err\n" });
  });

  test.each([
    ["SIGKILL", "kill -9 $$"],
    ["SIGTERM", "kill -TERM $$"],
  ])("death by %s we did not send is reported as signaled", async (signal, script) => {
    const r = await runner.run({ argv: sh(script), timeoutMs: 5000 });
    expect(r).toMatchObject({ kind: "signaled", signal });
  });

  test("measures the duration", async () => {
    const r = await runner.run({ argv: ["sleep", "0.1"] });
    expect(r.kind).toBe("exited");
    expect(r.durationMs).toBeGreaterThanOrEqual(90);
    expect(r.durationMs).toBeLessThan(2000);
  });
});

describe("child environment", () => {
  test("gets exactly the given env and cwd, and /dev/null as stdin", async () => {
    const dir = await scratch.dir();
    const r = await runner.run({
      argv: sh('echo "$FOO|$HOME"; pwd; readlink /proc/self/fd/0; cat'),
      env: { FOO: "bar", PATH: process.env.PATH ?? "/usr/bin:/bin" },
      cwd: dir,
    });
    expect(r).toMatchObject({ kind: "exited", exitCode: 0, stdout: `bar|\n${dir}\n/dev/null\n` });
  });

  test("runs the child as leader of its own process group", async () => {
    const r = await runner.run({ argv: sh("echo $$ $(cut -d' ' -f5 /proc/$$/stat)") });
    const [pid, pgid] = r.stdout.trim().split(" ").map(Number);
    expect(pgid).toBe(pid!);
    expect(pgid).not.toBe(pgidOf(process.pid));
  });
});

describe("timeout and abort kill the whole group", () => {
  test("returns within timeout + 1 s although a grandchild in the group holds stdout", async () => {
    const dir = await scratch.dir();
    const pids = scratch.pidFile(dir);
    const started = performance.now();
    const r = await runner.run({ argv: sh(`sleep 30 & echo $! $$ > ${pids}; exec sleep 30`), timeoutMs: TIMEOUT_MS });
    const elapsed = performance.now() - started;
    expect(r).toMatchObject({ kind: "timeout", timeoutMs: TIMEOUT_MS });
    expect(r).not.toHaveProperty("exitCode");
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000);
    const [grandchild, child] = await readPids(pids);
    expect(await waitFor(() => isGone(grandchild!) && isGone(child!), 1000)).toBe(true);
  });

  test("returns within timeout + 1 s when a grandchild escaped with setsid and keeps stdout", async () => {
    const dir = await scratch.dir();
    const pids = scratch.pidFile(dir);
    const started = performance.now();
    const r = await runner.run({
      argv: sh(`setsid sleep 30 & echo $! $$ > ${pids}; exec sleep 30`),
      timeoutMs: TIMEOUT_MS,
    });
    expect(r.kind).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
    const [escaped, child] = await readPids(pids);
    expect(await waitFor(() => isGone(child!), 1000)).toBe(true);
    // Outside our group by its own choice: we stop waiting for it, we cannot kill it (cleanup does).
    expect(isGone(escaped!)).toBe(false);
  });

  test("abort kills the group and reports aborted", async () => {
    const dir = await scratch.dir();
    const pids = scratch.pidFile(dir);
    const ac = new AbortController();
    const pending = runner.run({ argv: sh(`sleep 30 & echo $! $$ > ${pids}; exec sleep 30`), signal: ac.signal });
    expect(await waitFor(async () => (await readPids(pids)).length === 2)).toBe(true);
    const started = performance.now();
    ac.abort();
    const r = await pending;
    expect(r.kind).toBe("aborted");
    expect(performance.now() - started).toBeLessThan(1000);
    for (const pid of await readPids(pids)) expect(await waitFor(() => isGone(pid), 1000)).toBe(true);
  });

  test("an already-aborted signal starts nothing", async () => {
    const dir = await scratch.dir();
    const marker = join(dir, "ran");
    const r = await runner.run({ argv: sh(`touch ${marker}`), signal: AbortSignal.abort() });
    expect(r.kind).toBe("aborted");
    expect(await Bun.file(marker).exists()).toBe(false);
  });

  test("background jobs left in the group are killed when the child exits", async () => {
    const dir = await scratch.dir();
    const pids = scratch.pidFile(dir);
    const started = performance.now();
    const r = await runner.run({ argv: sh(`sleep 30 & echo $! > ${pids}; echo done`) });
    expect(r).toMatchObject({ kind: "exited", exitCode: 0, stdout: "done\n" });
    expect(performance.now() - started).toBeLessThan(1000);
    const [bg] = await readPids(pids);
    expect(await waitFor(() => isGone(bg!), 1000)).toBe(true);
  });
});

describe("output cap", () => {
  test("keeps the first 64 KiB of 1 MiB and appends the truncation marker", async () => {
    const r = await runner.run({ argv: sh("head -c 1048576 /dev/zero | tr '\\0' a; echo tail >&2") });
    const marker = `\n[… output truncated at ${DEFAULT_MAX_OUTPUT_BYTES} bytes]`;
    expect(r).toMatchObject({ kind: "exited", exitCode: 0, truncated: true, stderr: "tail\n" });
    expect(r.stdout.endsWith(marker)).toBe(true);
    expect(r.stdout.length).toBe(DEFAULT_MAX_OUTPUT_BYTES + marker.length);
    expect(r.stdout.slice(0, DEFAULT_MAX_OUTPUT_BYTES)).toBe("a".repeat(DEFAULT_MAX_OUTPUT_BYTES));
  });

  test.each([
    [5, "12345", false],
    [4, "1234\n[… output truncated at 4 bytes]", true],
  ])("maxOutputBytes %d → stdout %j, truncated %p", async (max, stdout, truncated) => {
    const r = await runner.run({ argv: sh("printf 12345"), maxOutputBytes: max });
    expect(r).toMatchObject({ kind: "exited", stdout, truncated });
  });
});

describe("spawn errors", () => {
  test.each([
    ["a missing file", async (_d: string) => "/nonexistent/clusterrebootd-test", "ENOENT"],
    ["a bare name not in PATH", async (_d: string) => "clusterrebootd-no-such-cmd", "ENOENT"],
    ["a non-executable file", (d: string) => scratch.script(d, "noexec.sh", "exit 0", 0o644), "EACCES"],
    ["a missing #! interpreter", (d: string) => writeScriptWithShebang(d, "#!/nonexistent/interp"), "ENOENT"],
    ["an executable without #! line", (d: string) => writeScriptWithShebang(d, ""), "ENOEXEC"],
    ["a directory", async (d: string) => { await mkdir(join(d, "sub")); return join(d, "sub"); }, "EACCES"],
  ])("%s is a spawn-error naming the file and errno", async (_what, makePath, errno) => {
    const dir = await scratch.dir();
    const path = await makePath(dir);
    const r = await runner.run({ argv: [path] });
    expect(r.kind).toBe("spawn-error");
    if (r.kind !== "spawn-error") return;
    expect(r.message).toContain(path);
    expect(r.message).toContain(errno);
  });

  test("an empty argv is a spawn-error, not a crash", async () => {
    expect((await runner.run({ argv: [] })).kind).toBe("spawn-error");
  });
});

// --- internal ---

async function writeScriptWithShebang(dir: string, shebang: string): Promise<string> {
  const path = join(dir, "badinterp");
  await writeFile(path, `${shebang}\necho hi\n`);
  await chmod(path, 0o755);
  return path;
}

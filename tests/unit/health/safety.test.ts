import { afterEach, describe, expect, test } from "bun:test";
import { chmod, chown, lchown, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { createHealthRunner } from "../../../src/health/index.ts";
import { checkScriptSafety } from "../../../src/health/_safety.ts";
import { createFs, createProcessRunner, systemClock } from "../../../src/platform/index.ts";
import { FakeHost } from "../../fakes/host.ts";
import { describeIf } from "../../support/tools.ts";
import { Scratch, isRoot } from "../platform/_helpers.ts";

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
const fs = createFs();
const ROOT = new FakeHost({ uid: 0 });
const USER = new FakeHost({ uid: 1000 });

type Setup = (dir: string) => Promise<string>;
const script = (mode: number): Setup => (dir) => scratch.script(dir, "health.sh", "exit 0", mode);
const missing: Setup = async (dir) => join(dir, "absent.sh");
const directory: Setup = async (dir) => {
  await mkdir(join(dir, "d.sh"));
  await chmod(join(dir, "d.sh"), 0o755);
  return join(dir, "d.sh");
};

// Our files are owned by whoever runs the tests, so the "as root" rows need real root.
describeIf(isRoot, "the ownership checks need files owned by root: run as root", import.meta.path)("checkScriptSafety as root", () => {
  test.each([
    // [case, setup, expected message fragment or null]
    ["0755 owned by root is fine", script(0o755), null],
    ["0700 owned by root is fine", script(0o700), null],
    ["world-writable is refused", script(0o757), "world-writable (mode 0757); run: chmod go-w"],
    ["group-writable is refused", script(0o775), "group-writable (mode 0775); run: chmod go-w"],
    ["not executable is refused", script(0o644), "not executable (mode 0644); run: chmod 0755"],
    ["missing is refused", missing, "does not exist"],
    ["a directory is refused", directory, "is not a regular file"],
  ] as const)("%s", async (_case, setup, expected) => {
    await expectProblem(await setup(await scratch.dir()), ROOT, expected);
  });

  test("a script owned by another uid is refused", async () => {
    const path = await script(0o755)(await scratch.dir());
    await chown(path, 1234, 0);
    await expectProblem(path, ROOT, `owned by uid 1234, not root; run: chown root ${path}`);
  });
});

describe("checkScriptSafety as root: the directories on the way and symlinks", () => {
  test("a root-owned 0755 script in a 0777 directory is refused (anyone could swap it)", async () => {
    expect(isRoot).toBe(true); // the suite runs as root; these rows need real chown
    const dir = await scratch.dir();
    const open = join(dir, "open");
    await mkdir(open);
    await chmod(open, 0o777);
    const path = await scratch.script(open, "health.sh", "exit 0", 0o755);
    await expectProblem(path, ROOT, `${open} is a world-writable directory (mode 0777)`);
    await expectProblem(path, ROOT, `fix: chmod go-w ${open}`);
  });

  test("a symlink swapped in by someone else is refused, though its target is a root-owned 0755 script", async () => {
    const dir = await scratch.dir();
    const target = await scratch.script(dir, "real.sh", "exit 0", 0o755);
    const link = join(dir, "health.sh");
    await symlink(target, link);
    await lchown(link, 65534, 65534);
    await expectProblem(link, ROOT, `it is a symlink owned by uid 65534, not root`);
  });

  test("a symlink into a nobody-owned directory is followed and refused", async () => {
    const dir = await scratch.dir();
    const theirs = join(dir, "theirs");
    await mkdir(theirs);
    await chown(theirs, 65534, 65534);
    const target = await scratch.script(theirs, "real.sh", "exit 0", 0o755);
    const link = join(dir, "health.sh");
    await symlink(target, link);
    await expectProblem(link, ROOT, `${theirs} is a directory owned by uid 65534, not root`);
  });
});

describe("checkScriptSafety as non-root", () => {
  test.each([
    ["0755 is fine", script(0o755), null],
    ["world-writable is only a root concern", script(0o777), null],
    ["not executable is refused", script(0o600), "not executable"],
    ["missing is refused", missing, "does not exist"],
    ["a directory is refused", directory, "is not a regular file"],
  ] as const)("%s", async (_case, setup, expected) => {
    await expectProblem(await setup(await scratch.dir()), USER, expected);
  });
});

describe("health runner refuses unsafe scripts", () => {
  test.each([
    ["missing", missing, USER, "does not exist"],
    ["not executable", script(0o644), USER, "not executable"],
    ...(isRoot ? ([["world-writable (as root)", script(0o777), ROOT, "world-writable"]] as const) : []),
  ] as const)("%s script → error result without running it", async (_case, setup, host, fragment) => {
    const path = await setup(await scratch.dir());
    const health = createHealthRunner(
      { scriptPath: path, timeoutMs: 1000, baseEnv: {} },
      { runner: createProcessRunner(), fs, host, clock: systemClock },
    );
    const r = await health.run("pre-lock", { lockHeld: false, lockAttempts: 0, lockEnabled: true });
    expect(r).toMatchObject({ kind: "error", phase: "pre-lock", seq: 1 });
    if (r.kind === "error") expect(r.error).toContain(fragment);
  });
});

// --- internal ---

async function expectProblem(path: string, host: FakeHost, expected: string | null): Promise<void> {
  const problem = await checkScriptSafety(path, fs, host);
  if (expected === null) return void expect(problem).toBeNull();
  expect(problem).toContain(expected);
  expect(problem).toContain(path);
}

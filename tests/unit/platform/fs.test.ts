import { afterEach, describe, expect, test } from "bun:test";
import { chmod, mkdir, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFs } from "../../../src/platform/index.ts";
import { openForNobody, probeJson } from "../../support/as-nobody.ts";
import { Scratch } from "./_helpers.ts";

const PROBE = join(import.meta.dir, "../../support/_unprivileged-probe.ts");

const fs = createFs();
const scratch = new Scratch();
afterEach(() => scratch.cleanup());

describe("stat", () => {
  test.each([
    ["a regular file", "file", { kind: "present", isFile: true, isDirectory: false }],
    ["a directory", "dir", { kind: "present", isFile: false, isDirectory: true }],
    ["a symlink to a file (followed)", "link-to-file", { kind: "present", isFile: true }],
    ["a missing path", "nothing", { kind: "missing" }],
    ["a dangling symlink", "dangling", { kind: "missing" }],
    ["a path through a regular file (ENOTDIR)", "file/below", { kind: "missing" }],
    ["a symlink loop (ELOOP)", "loop-a", { kind: "error" }],
  ])("%s", async (_what, rel, expected) => {
    const dir = await layout();
    expect(await fs.stat(join(dir, rel))).toMatchObject(expected);
  });

  test("reports mode and owner", async () => {
    const dir = await layout();
    await chmod(join(dir, "file"), 0o640);
    const st = await fs.stat(join(dir, "file"));
    expect(st).toMatchObject({ kind: "present", uid: process.geteuid!() });
    if (st.kind === "present") expect(st.mode & 0o777).toBe(0o640);
  });

  // Root bypasses the mode bits: under root the stat runs as nobody (setpriv), never skipped.
  test("a permission-denied path is an error, not missing", async () => {
    const dir = await layout();
    await openForNobody(dir);
    await chmod(join(dir, "dir"), 0o000);
    const { uid, result: st } = await probeJson<{ uid: number; result: Awaited<ReturnType<typeof fs.stat>> }>(PROBE, ["stat", join(dir, "dir", "inner")]);
    await chmod(join(dir, "dir"), 0o755);
    expect(uid).not.toBe(0);
    expect(st).toMatchObject({ kind: "error" });
    if (st.kind === "error") expect(st.message).toStartWith("EACCES");
  }, 30_000);
});

describe("writeAtomic", () => {
  test("creates the file with the content and mode, leaving no temp files", async () => {
    const dir = await scratch.dir();
    const path = join(dir, "state.json");
    await fs.writeAtomic(path, '{"a":1}', 0o600);
    expect(await fs.readText(path)).toBe('{"a":1}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  test("replaces an existing file", async () => {
    const dir = await scratch.dir();
    const path = join(dir, "state.json");
    await fs.writeAtomic(path, "old");
    await fs.writeAtomic(path, "new");
    expect(await fs.readText(path)).toBe("new");
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  test("throws when the directory does not exist", async () => {
    const dir = await scratch.dir();
    await expect(fs.writeAtomic(join(dir, "no", "such"), "x")).rejects.toThrow();
  });
});

describe("remove", () => {
  test("deletes a file and accepts an already missing one", async () => {
    const dir = await scratch.dir();
    const path = join(dir, "f");
    await writeFile(path, "x");
    await fs.remove(path);
    await fs.remove(path);
    expect(await fs.stat(path)).toEqual({ kind: "missing" });
  });
});

// --- internal ---

async function layout(): Promise<string> {
  const dir = await scratch.dir();
  await writeFile(join(dir, "file"), "x");
  await mkdir(join(dir, "dir"));
  await symlink(join(dir, "file"), join(dir, "link-to-file"));
  await symlink(join(dir, "gone"), join(dir, "dangling"));
  await symlink(join(dir, "loop-b"), join(dir, "loop-a"));
  await symlink(join(dir, "loop-a"), join(dir, "loop-b"));
  return dir;
}

/**
 * The man page and bash completion are generated from the command definitions; these tests
 * hold them to `--help`: same commands, same flags, and the page renders without warnings.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renderUsage, type CommandDef } from "citty";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bashCompletion } from "../../scripts/_gen-completion.ts";
import { commandSpecs, type CommandSpec } from "../../scripts/_command-specs.ts";
import { esc, manPage } from "../../scripts/gen-man.ts";
import { COMMANDS } from "../../src/cli/index.ts";
import { requireTool } from "../support/tools.ts";

let specs: CommandSpec[] = [];
let man = "";
let dir = "";

beforeAll(async () => {
  specs = await commandSpecs();
  man = manPage(specs, { version: "1.2.3", date: "2026-01-31" });
  dir = await mkdtemp(join(tmpdir(), "crd-docs-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Flags as `--help` prints them for one command. */
async function helpFlags(name: string): Promise<string[]> {
  const cmd = (await COMMANDS[name]![1]()) as CommandDef;
  const text = (await renderUsage(cmd)).replace(/\u001b\[[0-9;]*m/g, "");
  return [...new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]))].sort();
}

describe("man page clusterrebootd(8)", () => {
  test("has a section for every command, in --help order", () => {
    const sections = [...man.matchAll(/^\.SS (.+)$/gm)].map((m) => m[1]!.replace(/\\-/g, "-"));
    expect(sections).toEqual(Object.keys(COMMANDS));
  });

  test.each(Object.keys(COMMANDS))("%s: the flags are exactly those of --help", async (name) => {
    const spec = specs.find((s) => s.name === name)!;
    expect(spec.flags.map((f) => f.flag).sort()).toEqual(await helpFlags(name));
    const section = man.split(/^\.SS /m).find((s) => s.startsWith(`${esc(name)}\n`))!;
    for (const f of spec.flags) expect(section).toContain(`\\fB${esc(f.flag)}\\fR`);
  });

  test("lists every exit code", () => {
    for (const code of [0, 1, 2, 3, 4, 5, 6, 64]) expect(man).toMatch(new RegExp(`^\\.B ${code}$`, "m"));
  });

  test("renders without groff warnings", async () => {
    requireTool("man", "man-db");
    const file = join(dir, "clusterrebootd.8");
    await writeFile(file, man);
    const r = Bun.spawnSync(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", file], { env: { PATH: "/usr/bin:/bin", LC_ALL: "C.UTF-8", MANROFFSEQ: "" } });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });
});

describe("bash completion", () => {
  /** COMPREPLY for the given words (the last one is being completed). */
  async function complete(words: string[]): Promise<string[]> {
    const file = join(dir, "completion.bash");
    await writeFile(file, bashCompletion(specs));
    const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _clusterrebootd; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = Bun.spawnSync(["bash", "--norc", "-c", script, "bash", file, "clusterrebootd", ...words], { cwd: dir });
    expect(r.stderr.toString()).toBe("");
    return r.stdout.toString().split("\n").filter(Boolean).sort();
  }

  test("completes the command names", async () => {
    expect(await complete([""])).toEqual([...Object.keys(COMMANDS), "--help", "--version"].sort());
    expect(await complete(["val"])).toEqual(["validate-config"]);
  });

  test.each(Object.keys(COMMANDS))("completes the flags of %s", async (name) => {
    expect(await complete([name, "--"])).toEqual([...(await helpFlags(name)), "--help"].filter((f, i, all) => all.indexOf(f) === i).sort());
  });

  test("completes file names after --config and directories after --root", async () => {
    await writeFile(join(dir, "node.yaml"), "");
    expect(await complete(["validate-config", "--config", "node"])).toEqual(["node.yaml"]);
    expect(await complete(["install", "--root", "completion"])).toEqual([]);
  });
});

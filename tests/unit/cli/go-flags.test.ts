/**
 * Go's flag syntax (Go scenarios): `-config FILE`, `-config=FILE`, `-once`, `-dry-run`,
 * `--dry-run=false` work as in the Go daemon's unit files and scripts; a single-dash token we do
 * not know is a usage error (64), never silently read as something else with the default config.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandDef } from "citty";
import { normaliseGoFlags } from "../../../src/cli/_flags.ts";
import { COMMANDS } from "../../../src/cli/index.ts";

const MAIN = join(import.meta.dir, "../../../src/main.ts");
let dir = "";
let cfg = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crd-goflags-"));
  await writeFile(join(dir, "health.sh"), "#!/bin/sh\nexit 0\n");
  await chmod(join(dir, "health.sh"), 0o755);
  cfg = join(dir, "c.yaml");
  await writeFile(cfg, `node_name: n1\nreboot_required_detectors: [{type: file, path: /run/reboot-required}]\nhealth_script: ${dir}/health.sh\netcd_endpoints: [127.0.0.1:2379]\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cmd = async (name: string) => (await COMMANDS[name]![1]()) as CommandDef;

async function cli(args: string[]) {
  const p = Bun.spawn([process.execPath, MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" } });
  const [exitCode, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { exitCode, stdout, stderr };
}

describe("normaliseGoFlags", () => {
  test.each([
    [["-config", "/x.yaml"], ["--config", "/x.yaml"]],
    [["-config=/x.yaml"], ["--config=/x.yaml"]],
    [["-once", "-dry-run"], ["--once", "--dry-run"]],
    [["--dry-run=false", "-once=true"], ["--no-dry-run", "--once"]],
    [["-config", "-odd-name.yaml"], ["--config", "-odd-name.yaml"]], // a value is taken verbatim, as in Go
    [["--config", "/x.yaml", "--json"], ["--config", "/x.yaml", "--json"]],
    [["-h"], ["-h"]],
  ])("run %j → %j", async (raw, expected) => {
    expect(await normaliseGoFlags(await cmd("run"), raw)).toEqual({ ok: true, args: expected });
  });

  test.each([["-configg"], ["-c"], ["-x"], ["-dry-run=maybe"]])("run %s is a usage error", async (tok) => {
    const r = await normaliseGoFlags(await cmd("run"), [tok, "/x.yaml"]);
    expect(r.ok).toBe(false);
  });
});

describe("the CLI reads the config the Go-style flag names (Go scenario)", () => {
  test.each([[["-config"]], [["-config="]], [["--config="]]])("validate-config %s FILE", async ([flag]) => {
    const args = flag!.endsWith("=") ? [`${flag}${cfg}`] : [flag!, cfg];
    const r = await cli(["validate-config", ...args]);
    expect(r.stdout).toBe(`configuration at ${cfg} is valid\n`);
    expect(r.exitCode).toBe(0);
  });

  test("an unknown single-dash flag exits 64 naming it, and reads no config", async () => {
    const r = await cli(["validate-config", "-configfile", cfg]);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toStartWith('unknown flag "-configfile"');
    expect(r.stdout).toBe("");
  });

  test("version: the first line is exactly `clusterrebootd <version>`, trailing arguments ignored as in Go", async () => {
    const r = await cli(["version", "-whatever", "x"]);
    expect(r.exitCode).toBe(0);
    const [first, ...rest] = r.stdout.trimEnd().split("\n");
    expect(first).toMatch(/^clusterrebootd \S+$/);
    expect(rest.map((l) => l.split(":")[0])).toEqual(["commit", "built", "bun", "target"]);
  });
});

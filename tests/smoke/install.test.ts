/**
 * `install --root` / `uninstall --root` with the compiled binary: the unit texts and config
 * template must come from inside the binary (node_modules and all build inputs out of reach).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEXTS } from "../../src/install/index.ts";
import { INSTALL_BINARY } from "../../src/install/_plan.ts";
import { runHermetic } from "../support/hermetic.ts";
import { ensureBinary } from "./_binary.ts";
import { requireTool } from "../support/tools.ts";
import { verifyUnits } from "./_units.ts";

let bin = "";
let base = "";

beforeAll(async () => {
  bin = await ensureBinary("amd64");
  base = await mkdtemp(join(tmpdir(), "crd-smoke-install-"));
}, 120_000);

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

const run = (args: string[]) => runHermetic(bin, args, { timeoutMs: 30_000 });

describe("install from the compiled binary", () => {
  const root = () => join(base, "service");

  test("the unit texts and config template are embedded in the executable", async () => {
    const image = await readFile(bin);
    for (const text of [TEXTS.daemonService, TEXTS.passService, TEXTS.timer, TEXTS.tmpfiles, TEXTS.configTemplate]) {
      expect(image.includes(Buffer.from(text))).toBe(true);
    }
  });

  test("writes exactly the binary, the unit, the tmpfiles entry and the config template, printing each", async () => {
    const r = await run(["install", "--root", root()]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const written = await files(root());
    expect(written).toEqual([
      "etc/clusterrebootd/config.yaml",
      "etc/systemd/system/clusterrebootd.service",
      "etc/tmpfiles.d/clusterrebootd.conf",
      "usr/local/bin/clusterrebootd",
    ]);
    for (const f of written) expect(r.stdout).toContain(`created            ${join(root(), f)}`);
    expect(await readFile(join(root(), "etc/clusterrebootd/config.yaml"), "utf8")).toBe(TEXTS.configTemplate);
    // The copy is the binary itself and runs.
    expect(Bun.hash(await readFile(join(root(), INSTALL_BINARY)))).toBe(Bun.hash(await readFile(bin)));
    const v = Bun.spawnSync([join(root(), INSTALL_BINARY), "version"]);
    expect(v.stdout.toString()).toContain("target: linux-amd64");
  }, 30_000);

  test("a second run is a no-op", async () => {
    const r = await run(["install", "--root", root()]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split("\n").filter((l) => l.includes(root()));
    expect(lines.length).toBe(4);
    for (const l of lines) expect(l).toMatch(/^(unchanged|kept) /);
  }, 30_000);

  test("the written units pass systemd-analyze verify", async () => {
    requireTool("systemd-analyze", "systemd");
    const unit = join(root(), "etc/systemd/system/clusterrebootd.service");
    const v = await verifyUnits([unit], INSTALL_BINARY, join(root(), INSTALL_BINARY));
    expect(v.stderr).toBe("");
    expect(v.exitCode).toBe(0);
  });

  test("--timer adds the timer units; uninstall removes all but the config", async () => {
    const t = await run(["install", "--timer", "--root", root()]);
    expect(t.exitCode).toBe(0);
    expect(await files(join(root(), "etc/systemd/system"))).toEqual(["clusterrebootd-pass.service", "clusterrebootd.service", "clusterrebootd.timer"]);
    const u = await run(["uninstall", "--root", root()]);
    expect(u.exitCode).toBe(0);
    expect(await files(root())).toEqual(["etc/clusterrebootd/config.yaml"]);
  }, 30_000);

  test("--dry-run writes nothing", async () => {
    const dry = join(base, "dry");
    const r = await run(["install", "--dry-run", "--root", dry]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`would be created   ${join(dry, INSTALL_BINARY)}`);
    expect(await Bun.file(dry).exists()).toBe(false);
    expect(await readdir(dry).catch(() => "absent")).toBe("absent");
  }, 30_000);

  test("--service with --timer is a usage error (64)", async () => {
    const r = await run(["install", "--service", "--timer", "--root", join(base, "x")]);
    expect(r.exitCode).toBe(64);
  });
});

/** The unit files we ship pass `systemd-analyze verify` without a single warning. */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PACKAGE_BINARY } from "../../src/install/index.ts";
import { REPO } from "./_binary.ts";
import { requireTool } from "../support/tools.ts";
import { verifyUnits } from "./_units.ts";

const SYSTEMD = join(REPO, "packaging/systemd");
const t = test;
beforeAll(() => requireTool("systemd-analyze", "systemd"));

describe("packaged units", () => {
  t.each([
    ["daemon mode", ["clusterrebootd.service"]],
    ["timer mode", ["clusterrebootd.timer", "clusterrebootd-pass.service"]],
    ["all together", ["clusterrebootd.service", "clusterrebootd.timer", "clusterrebootd-pass.service"]],
  ])("%s verifies cleanly", async (_mode, units) => {
    // Any existing executable will do for ExecStart=; the test runner's own is at hand.
    const r = await verifyUnits(units.map((u) => join(SYSTEMD, u)), PACKAGE_BINARY, process.execPath);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
  });

  t("a misspelt key would be caught (the check is not vacuous)", async () => {
    const { mkdtemp, readFile, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "crd-badunit-"));
    try {
      const bad = join(dir, "clusterrebootd.service");
      await writeFile(bad, (await readFile(join(SYSTEMD, "clusterrebootd.service"), "utf8")).replace("Restart=always", "Restart=always\nRestartSecs=5"));
      const r = await verifyUnits([bad], PACKAGE_BINARY, process.execPath);
      expect(r.stderr).toContain("Unknown key 'RestartSecs'");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("unit contract", () => {
  const read = (u: string) => Bun.file(join(SYSTEMD, u)).text();
  test.each([
    ["Restart=always"],
    ["ExecReload=kill -HUP $MAINPID"],
    ["StateDirectory=clusterrebootd"],
    ["Environment=BUN_JSC_useDFGJIT=0"],
    ["TimeoutStopSec=30s"],
    ["StartLimitBurst=5"],
    ["RestartPreventExitStatus=2 64"],
    ["ExecStart=/usr/bin/clusterrebootd run --config /etc/clusterrebootd/config.yaml"],
  ])("the daemon unit has %s", async (line) => {
    expect((await read("clusterrebootd.service")).split("\n")).toContain(line);
  });

  test("the daemon keeps what it needs to reboot the host: no User=, capability or syscall filters", async () => {
    const text = await read("clusterrebootd.service");
    for (const key of ["User=", "CapabilityBoundingSet=", "SystemCallFilter=", "MemoryDenyWriteExecute=", "ProtectSystem=strict"]) {
      expect(text.split("\n").some((l) => l.startsWith(key))).toBe(false);
    }
  });

  test("timer mode: a pass shortly after boot, then periodic, never alongside the daemon", async () => {
    const timer = (await read("clusterrebootd.timer")).split("\n");
    expect(timer).toContain("OnBootSec=1min");
    expect(timer).toContain("Unit=clusterrebootd-pass.service");
    const pass = (await read("clusterrebootd-pass.service")).split("\n");
    expect(pass).toContain("Type=oneshot");
    expect(pass).toContain("ExecStart=/usr/bin/clusterrebootd run --timer --config /etc/clusterrebootd/config.yaml");
    expect(pass).toContain("Conflicts=clusterrebootd.service");
    // The kill switch does not keep the units from starting: a post-boot release must finish.
    expect(pass.some((l) => l.startsWith("ConditionPathExists="))).toBe(false);
    expect((await read("clusterrebootd.service")).split("\n").some((l) => l.startsWith("ConditionPathExists="))).toBe(false);
  });
});

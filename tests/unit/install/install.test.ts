import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEXTS, createInstallHost, formatReport, install, uninstall, type InstallReport } from "../../../src/install/index.ts";
import { CONFIG_FILE, INSTALL_BINARY, installSteps, type Mode } from "../../../src/install/_plan.ts";
import { FakeRunner, exited } from "../../fakes/runner.ts";
import { MemHost } from "./_memhost.ts";

const SERVICE_FILES = [
  "etc/clusterrebootd/config.yaml",
  "etc/systemd/system/clusterrebootd.service",
  "etc/tmpfiles.d/clusterrebootd.conf",
  "usr/local/bin/clusterrebootd",
];
const TIMER_FILES = [
  "etc/clusterrebootd/config.yaml",
  "etc/systemd/system/clusterrebootd-pass.service",
  "etc/systemd/system/clusterrebootd.timer",
  "etc/tmpfiles.d/clusterrebootd.conf",
  "usr/local/bin/clusterrebootd",
];

let root = "";
let fakeBinary = "";
const host = createInstallHost();
const noSystemd = () => ({ host, runner: new FakeRunner() });

beforeEach(async () => {
  const base = await mkdtemp(join(tmpdir(), "crd-install-"));
  root = join(base, "root");
  await mkdir(root);
  fakeBinary = join(base, "clusterrebootd-linux-amd64");
  await writeFile(fakeBinary, "#!/bin/sh\necho fake binary\n", { mode: 0o755 });
});

afterEach(async () => {
  await rm(join(root, ".."), { recursive: true, force: true });
});

/** Every file below `dir` (relative, sorted); directories are implied. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

const mode = async (p: string) => (await stat(join(root, p))).mode & 0o7777;
const actions = (r: InstallReport) => (r.kind === "done" ? r.changes.map((c) => c.action) : []);
const done = (r: InstallReport) => {
  if (r.kind !== "done") throw new Error(`expected done, got ${JSON.stringify(r)}`);
  return r;
};

describe("install --root writes exactly the files of its mode", () => {
  test.each([
    ["service", SERVICE_FILES],
    ["timer", TIMER_FILES],
  ] as [Mode, string[]][])("%s mode", async (m, expected) => {
    done(await install({ mode: m, root, dryRun: false, from: fakeBinary }, noSystemd()));
    expect(await filesUnder(root)).toEqual(expected);
    expect(await mode("usr/local/bin/clusterrebootd")).toBe(0o755);
    expect(await mode("etc/clusterrebootd")).toBe(0o750);
    expect(await mode("etc/clusterrebootd/config.d")).toBe(0o750);
    expect(await mode("etc/clusterrebootd/config.yaml")).toBe(0o640);
    expect(await mode("etc/tmpfiles.d/clusterrebootd.conf")).toBe(0o644);
    expect(await readFile(join(root, "usr/local/bin/clusterrebootd"), "utf8")).toBe(await readFile(fakeBinary, "utf8"));
    expect(await readFile(join(root, CONFIG_FILE), "utf8")).toBe(TEXTS.configTemplate);
  });

  test("units run the installed copy, not the packaged path", async () => {
    done(await install({ mode: "timer", root, dryRun: false, from: fakeBinary }, noSystemd()));
    const pass = await readFile(join(root, "etc/systemd/system/clusterrebootd-pass.service"), "utf8");
    expect(pass).toContain(`ExecStart=${INSTALL_BINARY} run --timer --config /etc/clusterrebootd/config.yaml`);
    expect(pass).not.toContain("/usr/bin/clusterrebootd");
  });

  test("running from source copies no binary and says so", async () => {
    const r = done(await install({ mode: "service", root, dryRun: false, from: undefined }, noSystemd()));
    expect(r.changes.find((c) => c.path.endsWith(INSTALL_BINARY))).toMatchObject({ action: "skipped" });
    expect(await filesUnder(root)).toEqual(SERVICE_FILES.filter((f) => f !== "usr/local/bin/clusterrebootd"));
  });
});

describe("install is idempotent", () => {
  test("a second run changes nothing", async () => {
    done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    const again = done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    expect(new Set(actions(again))).toEqual(new Set(["unchanged", "kept"]));
  });

  test("an edited config is kept byte for byte; an edited unit is put back", async () => {
    done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    await writeFile(join(root, CONFIG_FILE), "node_name: mine\n");
    await writeFile(join(root, "etc/systemd/system/clusterrebootd.service"), "[Service]\nExecStart=/bin/false\n");
    const r = done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    expect(await readFile(join(root, CONFIG_FILE), "utf8")).toBe("node_name: mine\n");
    expect(r.changes.find((c) => c.path.endsWith("clusterrebootd.service"))?.action).toBe("updated");
    expect(await readFile(join(root, "etc/systemd/system/clusterrebootd.service"), "utf8")).toContain("ExecReload=kill -HUP $MAINPID");
    expect(r.notes.at(-1)).toStartWith("next: clusterrebootd validate-config && systemctl enable --now clusterrebootd.service");
  });

  test("a changed binary is replaced", async () => {
    done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    await writeFile(fakeBinary, "#!/bin/sh\necho newer\n");
    const r = done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    expect(r.changes.find((c) => c.path.endsWith(INSTALL_BINARY))?.action).toBe("updated");
    expect(await readFile(join(root, INSTALL_BINARY), "utf8")).toContain("newer");
  });
});

test("--dry-run reports every file and writes none", async () => {
  const r = done(await install({ mode: "service", root, dryRun: true, from: fakeBinary }, noSystemd()));
  expect(await filesUnder(root)).toEqual([]);
  const text = formatReport(r, true);
  for (const f of SERVICE_FILES) expect(text).toContain(`would be created   ${join(root, f)}`);
});

test("a package-installed node is refused and left untouched", async () => {
  await mkdir(join(root, "usr/lib/systemd/system"), { recursive: true });
  await writeFile(join(root, "usr/lib/systemd/system/clusterrebootd.service"), "[Service]\n");
  for (const r of [
    await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()),
    await uninstall({ root, dryRun: false }, noSystemd()),
  ]) {
    expect(r.kind).toBe("refused");
    expect(formatReport(r, false)).toContain("installed from a package");
  }
  expect(await filesUnder(root)).toEqual(["usr/lib/systemd/system/clusterrebootd.service"]);
});

test("switching modes points at the other mode's leftover units", async () => {
  done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
  const r = done(await install({ mode: "timer", root, dryRun: false, from: fakeBinary }, noSystemd()));
  expect(r.notes.join("\n")).toContain("/etc/systemd/system/clusterrebootd.service from an earlier install is still there");
});

describe("uninstall", () => {
  test("removes what install wrote and keeps the config and kill switch", async () => {
    done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    done(await install({ mode: "timer", root, dryRun: false, from: fakeBinary }, noSystemd()));
    await writeFile(join(root, "etc/clusterrebootd/disable"), "");
    const r = done(await uninstall({ root, dryRun: false }, noSystemd()));
    expect(actions(r).filter((a) => a === "removed")).toHaveLength(5);
    expect(await filesUnder(root)).toEqual(["etc/clusterrebootd/config.yaml", "etc/clusterrebootd/disable"]);
    const again = done(await uninstall({ root, dryRun: false }, noSystemd()));
    expect(new Set(actions(again))).toEqual(new Set(["absent"]));
  });

  test("--dry-run removes nothing", async () => {
    done(await install({ mode: "service", root, dryRun: false, from: fakeBinary }, noSystemd()));
    const r = done(await uninstall({ root, dryRun: true }, noSystemd()));
    expect(formatReport(r, true)).toContain(`would be removed   ${join(root, INSTALL_BINARY)}`);
    expect(await filesUnder(root)).toEqual(SERVICE_FILES);
  });
});

describe("systemctl is called only on a live systemd root", () => {
  const DISABLE = ["systemctl", "--no-reload", "disable", "--now", "clusterrebootd.service", "clusterrebootd.timer", "clusterrebootd-pass.service"];
  const RELOAD = ["systemctl", "daemon-reload"];
  const runner = () => new FakeRunner().on(RELOAD, exited(0)).on(DISABLE, exited(0));
  const bin = "/tmp/clusterrebootd-linux-amd64";

  test.each([
    ["systemd running, root /", "/", true, [RELOAD], [DISABLE, RELOAD]],
    ["systemd not running", "/", false, [], []],
    ["another root, even with systemd running", "/srv/image", true, [], []],
  ] as const)("%s", async (_what, r, running, onInstall, onUninstall) => {
    const mem = new MemHost({ dirs: running ? ["/run/systemd/system", r] : [r], files: { [bin]: "binary" } });
    const inst = runner();
    done(await install({ mode: "service", root: r, dryRun: false, from: bin }, { host: mem, runner: inst }));
    expect(inst.argvs).toEqual(onInstall.map((a) => [...a]));
    const un = runner();
    done(await uninstall({ root: r, dryRun: false }, { host: mem, runner: un }));
    expect(un.argvs).toEqual(onUninstall.map((a) => [...a]));
  });

  test("never enable or start: the only calls are daemon-reload and, on uninstall, disable --now", async () => {
    const mem = new MemHost({ dirs: ["/run/systemd/system"], files: { [bin]: "binary" } });
    const inst = runner();
    for (const m of ["service", "timer"] as const) done(await install({ mode: m, root: "/", dryRun: false, from: bin }, { host: mem, runner: inst }));
    expect(inst.argvs.flat()).not.toContain("enable");
    expect(inst.argvs.flat()).not.toContain("start");
  });

  test("--dry-run calls nothing and says what it would run", async () => {
    const mem = new MemHost({ dirs: ["/run/systemd/system"], files: { [bin]: "binary" } });
    const r = runner();
    const report = done(await install({ mode: "service", root: "/", dryRun: true, from: bin }, { host: mem, runner: r }));
    expect(r.calls).toHaveLength(0);
    expect(formatReport(report, true)).toContain("would run systemctl daemon-reload");
  });

  test("a failing daemon-reload is a warning, not a failure", async () => {
    const mem = new MemHost({ dirs: ["/run/systemd/system"], files: { [bin]: "binary" } });
    const r = new FakeRunner().on(RELOAD, exited(1, { stderr: "Failed to connect to bus" }));
    const report = done(await install({ mode: "service", root: "/", dryRun: false, from: bin }, { host: mem, runner: r }));
    expect(formatReport(report, false)).toContain("warning: systemctl daemon-reload failed: exit 1: Failed to connect to bus");
  });
});

test("a write error stops the install and names the path", async () => {
  const mem = new MemHost({ dirs: ["/srv"] });
  mem.writeAtomic = async () => {
    throw Object.assign(new Error("EACCES: permission denied, open '/srv/etc/systemd/system/clusterrebootd.service'"), { code: "EACCES" });
  };
  const r = await install({ mode: "service", root: "/srv", dryRun: false, from: undefined }, { host: mem, runner: new FakeRunner() });
  expect(r).toMatchObject({ kind: "failed", path: "/srv/etc/systemd/system/clusterrebootd.service", message: "EACCES: permission denied" });
});

test.each([
  ["service", ["/usr/local/bin/clusterrebootd", "/etc/systemd/system/clusterrebootd.service"]],
  ["timer", ["/usr/local/bin/clusterrebootd", "/etc/systemd/system/clusterrebootd.timer", "/etc/systemd/system/clusterrebootd-pass.service"]],
] as [Mode, string[]][])("installSteps(%s) lists the binary and the mode's units", (m, paths) => {
  const steps = installSteps(m, undefined).map((s) => s.path);
  for (const p of paths) expect(steps).toContain(p);
  expect(steps.indexOf("/etc/clusterrebootd")).toBeLessThan(steps.indexOf("/etc/clusterrebootd/config.yaml"));
});

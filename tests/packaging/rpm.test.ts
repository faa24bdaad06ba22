/**
 * The .rpm packages: metadata, file list and flags (%config(noreplace)), the binary intact
 * (rpmbuild strips by default, which would cut off the program), an install / upgrade / erase
 * in a throwaway rpm root, and the scriptlets' behaviour against a fake systemd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEXTS } from "../../src/install/index.ts";
import { buildRpm } from "../../scripts/_pkg-build.ts";
import { stageTree } from "../../scripts/_pkg-stage.ts";
import { binaryLicense } from "../../scripts/_sbom.ts";
import { runHermetic } from "../support/hermetic.ts";
import { COMMON_FILES, BUILD_TIMEOUT_MS, artifacts, builtBinarySha, must, sh, type Artifacts } from "./_artifacts.ts";
import { runScript } from "./_sandbox.ts";

const d = describe;
const REPO = join(import.meta.dir, "../..");

let a: Artifacts;
let work = "";

beforeAll(async () => {
  a = await artifacts();
  work = await mkdtemp(join(tmpdir(), "crd-rpm-"));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const sha = async (p: string) => createHash("sha256").update(await readFile(p)).digest("hex");
const q = (pkg: string, fmt: string) => must(["rpm", "-qp", "--nosignature", "--qf", fmt, pkg]);

d.each([
  ["amd64", "x86_64"],
  ["arm64", "aarch64"],
] as const)("%s .rpm metadata and file list", (arch, rpmArch) => {
  test("name, version, arch, license and summary", async () => {
    const info = await must(["rpm", "-qip", a.rpm[arch]]);
    expect(info).toMatch(/^Name\s+: clusterrebootd$/m);
    expect(info).toMatch(/^Version\s+: \d+\.\d+\.\d+/m);
    expect(info).toMatch(/^Release\s+: 1$/m);
    expect(info).toMatch(new RegExp(`^Architecture: ${rpmArch}$`, "m"));
    // The license of the whole executable: ours (MIT) first, then what it bundles.
    expect(await q(a.rpm[arch], "%{LICENSE}")).toBe(await binaryLicense(REPO));
    expect((await q(a.rpm[arch], "%{LICENSE}")).startsWith("MIT AND ")).toBe(true);
    expect(await q(a.rpm[arch], "%{SUMMARY}")).toBe("Cluster reboot coordinator with reboot slots in etcd");
  });

  test("files, modes, and the config marked %config(noreplace)", async () => {
    const lines = (await q(a.rpm[arch], "[%{FILEFLAGS:fflags}|%{FILEMODES:perms}|%{FILEUSERNAME}:%{FILEGROUPNAME}|%{FILENAMES}\n]")).trim().split("\n");
    const byPath = new Map(lines.map((l) => { const [flags, perms, owner, path] = l.split("|"); return [path!, { flags: flags!, perms: perms!, owner: owner! }]; }));
    for (const f of [...COMMON_FILES, "/usr/share/licenses/clusterrebootd/LICENSE", "/usr/share/licenses/clusterrebootd/THIRD-PARTY-NOTICES"]) expect(byPath.has(f)).toBe(true);
    expect(byPath.get("/etc/clusterrebootd/config.yaml")).toEqual({ flags: "cn", perms: "-rw-r-----", owner: "root:root" });
    expect(byPath.get("/etc/clusterrebootd")?.perms).toBe("drwxr-x---");
    expect(byPath.get("/etc/clusterrebootd/config.d")?.perms).toBe("drwxr-x---");
    expect(byPath.get("/usr/bin/clusterrebootd")?.perms).toBe("-rwxr-xr-x");
    expect(byPath.get("/usr/lib/systemd/system/clusterrebootd.service")?.perms).toBe("-rw-r--r--");
    expect(byPath.get("/usr/share/licenses/clusterrebootd/LICENSE")?.flags).toBe("l");
    for (const { owner } of byPath.values()) expect(owner).toBe("root:root");
    const listed = (await must(["rpm", "-qlp", "--nosignature", a.rpm[arch]])).trim().split("\n");
    expect(listed.sort()).toEqual([...byPath.keys()].sort());
  });

  test("requires only glibc (automatic dependency scanning is off) and verifies", async () => {
    const req = (await must(["rpm", "-qp", "--nosignature", "--requires", a.rpm[arch]])).trim().split("\n").filter((r) => !r.startsWith("rpmlib("));
    expect(new Set(req)).toEqual(new Set(["glibc >= 2.17", "/bin/sh"]));
    const k = await sh(["rpm", "-K", "--nosignature", a.rpm[arch]]);
    expect(k.exitCode).toBe(0);
    expect(k.stdout).toContain("digests OK");
  });

  test("the packaged binary is byte-identical to the built one (not stripped)", async () => {
    const root = join(work, `extract-${arch}`);
    await must(["rpm", "--root", root, "--initdb"]);
    await must(["rpm", "--root", root, "-i", "--nodeps", "--noscripts", "--nosignature", "--ignorearch", a.rpm[arch]]);
    expect(await sha(join(root, "usr/bin/clusterrebootd"))).toBe(await builtBinarySha(a, arch));
    await rm(root, { recursive: true, force: true });
  }, 60_000);
});

/**
 * rpm into a throwaway root: no scriptlets (they would run chrooted, and the root has no shell).
 * Debian's rpm warns that it is not dpkg; that note is dropped from stderr.
 */
async function rpm(root: string, ...args: string[]) {
  const r = await sh(["rpm", "--root", root, "--nodeps", "--noscripts", "--nosignature", ...args]);
  return { ...r, stderr: r.stderr.replace(/^rpm: (RPM should not be used directly|However assuming you know).*\n/gm, "") };
}

d("install, upgrade and erase in a throwaway rpm root", () => {
  let root = "";
  let v2 = "";
  const config = () => join(root, "etc/clusterrebootd/config.yaml");

  beforeAll(async () => {
    root = join(work, "root");
    await must(["rpm", "--root", root, "--initdb"]);
    const stage = await mkdtemp(join(work, "stage-v2-"));
    await stageTree(stage, {
      format: "rpm", arch: "amd64", binary: join(a.dist, "clusterrebootd-linux-amd64"), repo: REPO,
      version: "99.0.0", release: "1", maintainer: "Test <test@example.org>", homepage: undefined, commit: "test", epoch: 1_700_000_000,
      manPage: ".TH T 8\n", completion: "", notices: "", license: "MIT",
    });
    await writeFile(join(stage, "etc/clusterrebootd/config.yaml"), `${TEXTS.configTemplate}# changed in 99.0.0\n`);
    v2 = await buildRpm(stage, work, { arch: "amd64", version: "99.0.0", release: "1", license: "MIT", homepage: undefined, epoch: 1_700_000_000 }, "fast", REPO);
    await rm(stage, { recursive: true, force: true });
  }, 120_000);

  test("install: root-only config, the binary runs", async () => {
    const r = await rpm(root, "-i", a.rpm.amd64);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect((await stat(join(root, "etc/clusterrebootd"))).mode & 0o7777).toBe(0o750);
    expect((await stat(config())).mode & 0o7777).toBe(0o640);
    expect(await readFile(config(), "utf8")).toBe(TEXTS.configTemplate);
    const v = await runHermetic(join(root, "usr/bin/clusterrebootd"), ["version"]);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain("target: linux-amd64");
  }, 60_000);

  test("upgrade keeps an edited config (the new template arrives as .rpmnew) and the kill switch", async () => {
    await writeFile(config(), "node_name: edited-by-operator\n");
    await writeFile(join(root, "etc/clusterrebootd/disable"), "maintenance\n");
    const r = await rpm(root, "-U", v2);
    expect(r.exitCode).toBe(0);
    expect(await readFile(config(), "utf8")).toBe("node_name: edited-by-operator\n");
    expect(await readFile(`${config()}.rpmnew`, "utf8")).toContain("# changed in 99.0.0");
    expect(await readFile(join(root, "etc/clusterrebootd/disable"), "utf8")).toBe("maintenance\n");
    expect((await must(["rpm", "--root", root, "-q", "clusterrebootd"])).trim()).toBe("clusterrebootd-99.0.0-1.x86_64");
  }, 60_000);

  test("erase removes the files, saves the edited config as .rpmsave, keeps the kill switch", async () => {
    expect((await rpm(root, "-e", "clusterrebootd")).exitCode).toBe(0);
    expect(await Bun.file(join(root, "usr/bin/clusterrebootd")).exists()).toBe(false);
    expect(await readFile(`${config()}.rpmsave`, "utf8")).toBe("node_name: edited-by-operator\n");
    expect(await readFile(join(root, "etc/clusterrebootd/disable"), "utf8")).toBe("maintenance\n");
  }, 60_000);
});

d("scriptlets never enable or start anything", () => {
  const bodies: Record<string, string> = {};
  beforeAll(async () => {
    for (const [name, tag] of [["post", "POSTIN"], ["preun", "PREUN"], ["postun", "POSTUN"]]) bodies[name!] = await q(a.rpm.amd64, `%{${tag}}`);
  });

  const RELOAD = ["systemctl", "--system", "daemon-reload"];
  const TMPFILES = ["systemd-tmpfiles", "--create", "clusterrebootd.conf"];
  const IS_ACTIVE = ["systemctl", "is-active", "--quiet", "clusterrebootd.service"];

  test.each([
    ["%post on install", "post", "1", true, [TMPFILES, RELOAD]],
    ["%post on upgrade", "post", "2", true, [TMPFILES, RELOAD, IS_ACTIVE]],
    ["%post without systemd", "post", "1", false, [TMPFILES]],
    ["%preun on upgrade: the daemon keeps running", "preun", "1", true, []],
    ["%preun on erase: stop and disable", "preun", "0", true, [["systemctl", "--no-reload", "disable", "--now", "clusterrebootd.service", "clusterrebootd.timer", "clusterrebootd-pass.service"]]],
    ["%preun on erase without systemd: only the enablement links", "preun", "0", false, [["systemctl", "--no-reload", "disable", "clusterrebootd.service", "clusterrebootd.timer"]]],
    ["%postun on upgrade", "postun", "1", true, []],
    ["%postun on erase", "postun", "0", true, [RELOAD]],
  ] as const)("%s", async (_what, name, arg, systemd, expected) => {
    const r = await runScript(`#!/bin/sh\n${bodies[name]}\n`, [arg], { systemd });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual(expected.map((c) => [...c]));
    for (const c of r.calls) expect(c.slice(1)).not.toContain("enable");
    for (const c of r.calls) expect(c.slice(1)).not.toContain("start");
  });
});

/**
 * The .deb packages: contents, metadata, lintian, an install into a throwaway root (the binary
 * runs from there), an upgrade that must keep an edited config, removal and purge, and the
 * maintainer scripts' behaviour against a fake systemd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEXTS } from "../../src/install/index.ts";
import { buildDeb } from "../../scripts/_pkg-build.ts";
import { stageTree } from "../../scripts/_pkg-stage.ts";
import { runHermetic } from "../support/hermetic.ts";
import { COMMON_FILES, BUILD_TIMEOUT_MS, artifacts, builtBinarySha, must, sh, type Artifacts } from "./_artifacts.ts";
import { runScript } from "./_sandbox.ts";

const d = describe;

let a: Artifacts;
let work = "";

beforeAll(async () => {
  a = await artifacts();
  work = await mkdtemp(join(tmpdir(), "crd-deb-"));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const sha = async (p: string) => createHash("sha256").update(await readFile(p)).digest("hex");

/** `dpkg-deb -c` as path -> "mode owner" ("./etc/x" → "/etc/x"). */
async function contents(deb: string): Promise<Map<string, string>> {
  const out = await must(["dpkg-deb", "-c", deb]);
  return new Map(
    out.trim().split("\n").map((l) => {
      const [perm, owner, , , , path] = l.split(/\s+/);
      return [path!.replace(/^\./, "").replace(/\/$/, "") || "/", `${perm} ${owner}`];
    }),
  );
}

async function field(deb: string, name: string): Promise<string> {
  return (await must(["dpkg-deb", "-f", deb, name])).trim();
}

d.each(["amd64", "arm64"] as const)("%s .deb contents and metadata", (arch) => {
  test("files, modes and owners", async () => {
    const c = await contents(a.deb[arch]);
    const files = [...c].filter(([, m]) => !m.startsWith("d")).map(([p]) => p);
    for (const f of COMMON_FILES) expect(files).toContain(f);
    for (const f of ["/usr/share/doc/clusterrebootd/copyright", "/usr/share/doc/clusterrebootd/changelog.gz", "/usr/share/doc/clusterrebootd/THIRD-PARTY-NOTICES.gz", "/usr/share/lintian/overrides/clusterrebootd"]) {
      expect(files).toContain(f);
    }
    // Nothing outside the expected places.
    for (const f of files) expect(f).toMatch(/^\/(etc\/clusterrebootd\/config\.yaml|usr\/bin\/clusterrebootd|usr\/lib\/(systemd\/system|tmpfiles\.d)\/|usr\/share\/(doc|man|bash-completion|lintian)\/)/);
    expect(c.get("/usr/bin/clusterrebootd")).toBe("-rwxr-xr-x root/root");
    expect(c.get("/etc/clusterrebootd/config.d")).toBe("drwxr-xr-x root/root");
    expect(c.get("/")).toBe("drwxr-xr-x root/root");
    for (const [p, m] of c) expect(`${p} ${m.split(" ")[1]}`).toBe(`${p} root/root`);
  });

  test("control fields", async () => {
    const deb = a.deb[arch];
    expect(await field(deb, "Package")).toBe("clusterrebootd");
    expect(await field(deb, "Architecture")).toBe(arch);
    expect(await field(deb, "Version")).toMatch(/^\d+\.\d+\.\d+/);
    expect(await field(deb, "Depends")).toBe("libc6 (>= 2.17)");
    expect(await field(deb, "Section")).toBe("admin");
    expect(await field(deb, "Priority")).toBe("optional");
    expect(await field(deb, "Maintainer")).toMatch(/^.+ <[^@\s]+@[^@\s]+>$/);
    // dpkg's rule: KiB of every file rounded up, plus 1 per directory; the binary dominates.
    const listing = await must(["dpkg-deb", "-c", deb]);
    const sizes = listing.trim().split("\n").map((l) => l.split(/\s+/));
    const expected = sizes.reduce((n, f) => n + (f[0]!.startsWith("d") ? (f[5] === "./" ? 0 : 1) : Math.ceil(Number(f[2]) / 1024)), 0);
    expect(Number(await field(deb, "Installed-Size"))).toBe(expected);
    const info = await must(["dpkg-deb", "-I", deb]);
    for (const s of ["conffiles", "md5sums", "postinst", "prerm", "postrm"]) expect(info).toContain(` ${s}`);
    expect(await must(["dpkg-deb", "--ctrl-tarfile", deb]).then(() => true)).toBe(true);
  });

  test("conffiles lists the config; the shipped binary is the built one", async () => {
    const dir = join(work, `ctrl-${arch}`);
    await must(["dpkg-deb", "-e", a.deb[arch], dir]);
    expect(await readFile(join(dir, "conffiles"), "utf8")).toBe("/etc/clusterrebootd/config.yaml\n");
    const x = join(work, `x-${arch}`);
    await must(["dpkg-deb", "-x", a.deb[arch], x]);
    expect(await sha(join(x, "usr/bin/clusterrebootd"))).toBe(await builtBinarySha(a, arch));
    expect(await readFile(join(x, "etc/clusterrebootd/config.yaml"), "utf8")).toBe(TEXTS.configTemplate);
    await rm(x, { recursive: true, force: true });
  });
});

d("lintian", () => {
  // Unused overrides are reported too (info), so the override list cannot go stale.
  test("both .debs are clean (only the documented Bun overrides apply)", async () => {
    // lintian leaves scratch dirs in TMPDIR; keep them inside this test's work dir.
    const scratch = join(work, "lintian-tmp");
    await mkdir(scratch);
    const r = await sh(["lintian", "-I", "--pedantic", "--fail-on", "error,warning,info,pedantic", a.deb.amd64, a.deb.arm64], { env: { TMPDIR: scratch } });
    const tags = r.stdout.split("\n").filter((l) => /^[EWIPX]: /.test(l));
    expect(tags).toEqual([]);
    expect(r.exitCode).toBe(0);
  }, 120_000);
});

/**
 * A dpkg database below `root`, for `dpkg --root`, that knows only libc6 (as installed, the one
 * dependency) so the install needs no --force-depends.
 */
async function dpkgRoot(name: string): Promise<string> {
  const root = join(work, name);
  await mkdir(join(root, "var/lib/dpkg/info"), { recursive: true });
  await mkdir(join(root, "var/lib/dpkg/updates"), { recursive: true });
  const arch = (await must(["dpkg", "--print-architecture"])).trim();
  await writeFile(join(root, "var/lib/dpkg/status"), `Package: libc6\nStatus: install ok installed\nPriority: optional\nVersion: 2.36-9\nArchitecture: ${arch}\nMaintainer: stub <stub@example.org>\nDescription: stand-in for the test root\n\n`);
  await writeFile(join(root, "var/lib/dpkg/info/libc6.list"), "");
  await writeFile(join(root, "var/lib/dpkg/available"), "");
  return root;
}

/**
 * dpkg into a throwaway root. Scripts run outside a chroot with DPKG_ROOT set (the root has no
 * /bin/sh); ours then skip systemd and aim dpkg-statoverride at the root.
 */
const dpkg = (root: string, ...args: string[]) =>
  sh(["dpkg", `--root=${root}`, "--force-script-chrootless", "--force-not-root", "--log=/dev/null", ...args]);

d("install, upgrade, remove and purge in a throwaway root", () => {
  let root = "";
  let v2 = "";
  const config = () => join(root, "etc/clusterrebootd/config.yaml");

  beforeAll(async () => {
    root = await dpkgRoot("root");
    // Version 2: a newer version whose config template changed, as a real upgrade would.
    const stage = await mkdtemp(join(work, "stage-v2-"));
    await stageTree(stage, {
      format: "deb", arch: "amd64", binary: join(a.dist, "clusterrebootd-linux-amd64"), repo: join(import.meta.dir, "../.."),
      version: "99.0.0", release: "1", maintainer: "Test <test@example.org>", homepage: undefined, commit: "test", epoch: 1_700_000_000,
      manPage: ".TH T 8\n", completion: "", notices: "", license: "MIT",
    });
    await writeFile(join(stage, "etc/clusterrebootd/config.yaml"), `${TEXTS.configTemplate}# changed in 99.0.0\n`);
    // (md5sums needs no update: conffiles are not listed in it.)
    v2 = await buildDeb(stage, work, { arch: "amd64", version: "99.0.0", release: "1", license: "MIT", homepage: undefined, epoch: 1_700_000_000 }, "fast");
    await rm(stage, { recursive: true, force: true });
  }, 120_000);

  test("first install: files in place, /etc/clusterrebootd root-only, nothing else", async () => {
    const r = await dpkg(root, "-i", a.deb.amd64);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Nothing was enabled or started");
    expect((await stat(join(root, "etc/clusterrebootd"))).mode & 0o7777).toBe(0o750);
    expect(await readFile(config(), "utf8")).toBe(TEXTS.configTemplate);
  }, 60_000);

  test("the installed binary runs without the build tree", async () => {
    const bin = join(root, "usr/bin/clusterrebootd");
    const v = await runHermetic(bin, ["version"]);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain("target: linux-amd64");
    // The template is deliberately incomplete: validate-config names exactly what to fill in.
    const t = await runHermetic(bin, ["validate-config", "--config", config()]);
    expect(t.exitCode).toBe(2);
    for (const key of ["node_name:", "reboot_required_detectors:", "health_script:", "etcd_endpoints:"]) expect(t.stderr).toContain(`  - ${key}`);
  }, 60_000);

  test("upgrade keeps an edited config (the new template arrives as .dpkg-dist) and the kill switch", async () => {
    await writeFile(config(), "node_name: edited-by-operator\n");
    await writeFile(join(root, "etc/clusterrebootd/disable"), "maintenance\n");
    const r = await dpkg(root, "--force-confdef", "--force-confold", "-i", v2);
    expect(r.exitCode).toBe(0);
    expect(await readFile(config(), "utf8")).toBe("node_name: edited-by-operator\n");
    expect(await readFile(`${config()}.dpkg-dist`, "utf8")).toContain("# changed in 99.0.0");
    expect(await readFile(join(root, "etc/clusterrebootd/disable"), "utf8")).toBe("maintenance\n");
    const status = await readFile(join(root, "var/lib/dpkg/status"), "utf8");
    expect(status).toContain("Version: 99.0.0");
    expect((await stat(join(root, "etc/clusterrebootd"))).mode & 0o7777).toBe(0o750);
  }, 60_000);

  test("remove keeps config and kill switch; purge keeps only the kill switch", async () => {
    expect((await dpkg(root, "-r", "clusterrebootd")).exitCode).toBe(0);
    expect(await Bun.file(join(root, "usr/bin/clusterrebootd")).exists()).toBe(false);
    expect(await readFile(config(), "utf8")).toBe("node_name: edited-by-operator\n");
    expect((await dpkg(root, "-P", "clusterrebootd")).exitCode).toBe(0);
    expect(await Bun.file(config()).exists()).toBe(false);
    expect(await readFile(join(root, "etc/clusterrebootd/disable"), "utf8")).toBe("maintenance\n");
    expect(await readFile(join(root, "var/lib/dpkg/statoverride"), "utf8").catch(() => "")).not.toContain("/etc/clusterrebootd");
  }, 60_000);
});

d("maintainer scripts never enable or start anything", () => {
  const scripts: Record<string, string> = {};
  beforeAll(async () => {
    const dir = join(work, "scripts");
    await must(["dpkg-deb", "-e", a.deb.amd64, dir]);
    for (const s of ["postinst", "prerm", "postrm"]) scripts[s] = await readFile(join(dir, s), "utf8");
  });

  const RELOAD = ["systemctl", "--system", "daemon-reload"];
  const TMPFILES = ["systemd-tmpfiles", "--create", "clusterrebootd.conf"];
  const STATOVERRIDE = ["dpkg-statoverride", "--update", "--add", "root", "root", "0750", "/etc/clusterrebootd"];
  const STOP = ["deb-systemd-invoke", "stop", "clusterrebootd.service", "clusterrebootd.timer", "clusterrebootd-pass.service"];
  const DISABLE = ["deb-systemd-helper", "disable", "clusterrebootd.service", "clusterrebootd.timer"];

  const LIST = ["dpkg-statoverride", "--list", "/etc/clusterrebootd"];

  test.each([
    ["postinst configure (first install), systemd running", "postinst", ["configure", ""], true, [LIST, STATOVERRIDE, TMPFILES, RELOAD]],
    ["postinst configure (upgrade), systemd running", "postinst", ["configure", "0.0.9"], true, [LIST, TMPFILES, RELOAD, ["systemctl", "is-active", "--quiet", "clusterrebootd.service"]]],
    ["postinst configure, no systemd (container, chroot)", "postinst", ["configure", ""], false, [LIST, STATOVERRIDE, TMPFILES]],
    ["prerm upgrade: the daemon keeps running", "prerm", ["upgrade", "99.0.0"], true, []],
    ["prerm remove: stop and disable", "prerm", ["remove"], true, [STOP, DISABLE]],
    ["prerm remove, no systemd: only forget the enablement links", "prerm", ["remove"], false, [DISABLE]],
    ["postrm remove", "postrm", ["remove"], true, [RELOAD]],
    ["postrm purge", "postrm", ["purge"], true, [RELOAD, ["deb-systemd-helper", "purge", "clusterrebootd.service", "clusterrebootd.timer"], LIST, ["dpkg-statoverride", "--remove", "/etc/clusterrebootd"]]],
    ["postrm upgrade", "postrm", ["upgrade", "99.0.0"], true, []],
  ] as const)("%s", async (_what, script, args, systemd, expected) => {
    // After the first install the statoverride exists; purge must find it to remove it.
    const overridden = args[0] === "purge" || args[1] !== "";
    const r = await runScript(scripts[script]!, [...args], { systemd, overridden });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual(expected.map((c) => [...c]));
    for (const c of r.calls) expect(c.slice(1)).not.toContain("enable");
    for (const c of r.calls) expect(c.slice(1)).not.toContain("start");
  });

  test("with DPKG_ROOT set (installing into another root) systemd is never touched", async () => {
    for (const [script, args] of [["postinst", ["configure", ""]], ["prerm", ["remove"]], ["postrm", ["purge"]]] as const) {
      const r = await runScript(scripts[script]!, [...args], { systemd: true, env: { DPKG_ROOT: "/srv/image" } });
      expect(r.exitCode).toBe(0);
      for (const c of r.calls) expect(c[0]).not.toMatch(/^(systemctl|deb-systemd-invoke|deb-systemd-helper)$/);
    }
  });

  test("an upgrade while the daemon runs says how to restart it, and does not", async () => {
    const r = await runScript(scripts["postinst"]!, ["configure", "0.0.9"], { systemd: true, active: true });
    expect(r.stdout).toContain("systemctl restart clusterrebootd.service");
    expect(r.calls.some((c) => c[0] === "systemctl" && (c.includes("restart") || c.includes("try-restart")))).toBe(false);
  });
});

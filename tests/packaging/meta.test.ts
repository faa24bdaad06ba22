/**
 * Package metadata derived by scripts/ (pure functions; runs without built packages): version
 * mapping, the production dependency tree behind the SBOM, the license expression.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { debChangelog, debControl, debVersion, packageVersion } from "../../scripts/_pkg-deb-meta.ts";
import { debFileName, rpmFileName } from "../../scripts/_pkg-build.ts";
import type { StageInput } from "../../scripts/_pkg-stage.ts";
import { binaryLicense, productionTree } from "../../scripts/_sbom.ts";

const REPO = join(import.meta.dir, "../..");

describe("versions", () => {
  test.each([
    ["1.2.3", "1", "1.2.3", "1.2.3"],
    ["1.2.3-rc.1", "1", "1.2.3~rc.1", "1.2.3~rc.1"],
    ["1.2.3-beta-2", "1", "1.2.3~beta.2", "1.2.3~beta.2"],
    ["1.2.3+build.5", "1", "1.2.3+build.5", "1.2.3+build.5"],
    ["1.2.3", "2", "1.2.3+r2", "1.2.3"],
  ])("%s (release %s) → deb %s, rpm version %s", (semver, release, deb, rpm) => {
    expect(debVersion(semver, release)).toBe(deb);
    expect(packageVersion(semver)).toBe(rpm);
  });

  test("a pre-release sorts before its release for dpkg", () => {
    const r = Bun.spawnSync(["dpkg", "--compare-versions", debVersion("1.2.3-rc.1", "1"), "lt", debVersion("1.2.3", "1")]);
    expect(r.exitCode).toBe(0);
  });

  test("file names", () => {
    const m = { version: "1.2.3-rc.1", release: "1", license: "MIT", homepage: undefined, epoch: 0 };
    expect(debFileName({ ...m, arch: "arm64" })).toBe("clusterrebootd_1.2.3~rc.1_arm64.deb");
    expect(rpmFileName({ ...m, arch: "amd64" })).toBe("clusterrebootd-1.2.3~rc.1-1.x86_64.rpm");
  });
});

describe("Debian control and changelog", () => {
  const input = {
    format: "deb", arch: "amd64", binary: "", repo: REPO, version: "0.1.0", release: "1", maintainer: "A <a@example.org>",
    homepage: "https://example.org/clusterrebootd", commit: "abc", epoch: 1_700_000_000, manPage: "", completion: "", notices: "", license: "MIT",
  } satisfies StageInput;

  test("control: fields in order, description lines under 80 columns", () => {
    const c = debControl(input, 123);
    expect(c).toStartWith("Package: clusterrebootd\nVersion: 0.1.0\nArchitecture: amd64\n");
    expect(c).toContain("\nInstalled-Size: 123\n");
    expect(c).toContain("\nHomepage: https://example.org/clusterrebootd\n");
    for (const line of c.split("\n")) expect(line.length).toBeLessThan(80);
  });

  test("changelog names the version, commit and an RFC 5322 date", () => {
    expect(debChangelog(input)).toMatch(/^clusterrebootd \(0\.1\.0\) unstable; urgency=medium\n\n {2}\* Release 0\.1\.0, built from commit abc\.\n\n -- A <a@example\.org> {2}\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\n$/);
  });
});

describe("dependency tree and license", () => {
  test("resolves nested node_modules like Node (grpc-js has its own proto-loader)", async () => {
    const tree = await productionTree(REPO);
    const grpc = tree.components.find((c) => c.path === "node_modules/@grpc/grpc-js")!;
    const nested = tree.components.find((c) => c.path === "node_modules/@grpc/grpc-js/node_modules/@grpc/proto-loader");
    if (nested) expect(grpc.deps).toContain(nested.path);
    else expect(grpc.deps).toContain("node_modules/@grpc/proto-loader");
    for (const c of tree.components) for (const dep of c.deps) expect(tree.components.some((x) => x.path === dep)).toBe(true);
    expect(tree.components.map((c) => c.name)).not.toContain("typescript");
  });

  test("the binary's license expression starts with ours and includes the runtime's", async () => {
    const expr = await binaryLicense(REPO);
    expect(expr.split(" AND ")[0]).toBe("MIT");
    expect(expr).toContain("LGPL-2.0-or-later");
    expect(new Set(expr.split(" AND ")).size).toBe(expr.split(" AND ").length);
  });
});

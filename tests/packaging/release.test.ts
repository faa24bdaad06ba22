/**
 * Release artefacts around the packages: SHA256SUMS, the CycloneDX SBOM, and gpg signing when
 * a key is supplied (a throw-away key in a temp GNUPGHOME).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { makePackages, type PackageResult } from "../../scripts/package.ts";
import { BUILD_TIMEOUT_MS, artifacts, must, sh, type Artifacts } from "./_artifacts.ts";

const d = describe;

let a: Artifacts;
beforeAll(async () => {
  a = await artifacts();
}, BUILD_TIMEOUT_MS);

d("SHA256SUMS", () => {
  test("covers the four packages and the SBOM, and verifies", async () => {
    const sums = await readFile(a.sums, "utf8");
    const names = sums.trim().split("\n").map((l) => l.split(/\s+/)[1]);
    expect(names.sort()).toEqual([a.deb.amd64, a.deb.arm64, a.rpm.amd64, a.rpm.arm64, a.sbom].map((f) => basename(f)).sort());
    const r = await sh(["sha256sum", "--check", "--strict", "SHA256SUMS"], { cwd: a.dir });
    expect(r.exitCode).toBe(0);
  });
});

interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { component: { name: string; version: string; licenses: unknown[] } };
  components: Array<{ "bom-ref": string; type: string; name: string; group?: string; version: string; purl: string; licenses: Array<{ license?: { id: string }; expression?: string }>; hashes?: Array<{ alg: string; content: string }> }>;
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

d("CycloneDX SBOM", () => {
  let bom: Bom;
  beforeAll(async () => {
    bom = JSON.parse(await readFile(a.sbom, "utf8")) as Bom;
  });

  test("is a CycloneDX 1.5 document about clusterrebootd", () => {
    expect(bom.bomFormat).toBe("CycloneDX");
    expect(bom.specVersion).toBe("1.5");
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(bom.metadata.component.name).toBe("clusterrebootd");
    expect(bom.metadata.component.licenses).toEqual([{ license: { id: "MIT" } }]);
  });

  test("lists the production npm tree with versions, licenses and lockfile hashes, and no dev tools", async () => {
    const lock = JSON.parse(await readFile(join(import.meta.dir, "../../package-lock.json"), "utf8")) as { packages: Record<string, { version: string; integrity: string }> };
    const etcd3 = bom.components.find((c) => c.name === "etcd3")!;
    expect(etcd3).toMatchObject({ type: "library", version: lock.packages["node_modules/etcd3"]!.version, purl: `pkg:npm/etcd3@${lock.packages["node_modules/etcd3"]!.version}` });
    expect(etcd3.licenses).toEqual([{ license: { id: "MIT" } }]);
    const sri = lock.packages["node_modules/etcd3"]!.integrity.split("-")[1]!;
    expect(etcd3.hashes).toEqual([{ alg: "SHA-512", content: Buffer.from(sri, "base64").toString("hex") }]);
    const grpc = bom.components.find((c) => c.group === "@grpc" && c.name === "grpc-js")!;
    expect(grpc.purl).toStartWith("pkg:npm/%40grpc/grpc-js@");
    const names = bom.components.map((c) => (c.group ? `${c.group}/${c.name}` : c.name));
    for (const dev of ["typescript", "fast-check", "bun-types", "@types/bun"]) expect(names).not.toContain(dev);
    for (const dep of ["citty", "valibot", "yaml", "prom-client", "@grpc/proto-loader"]) expect(names).toContain(dep);
  });

  test("names the embedded Bun runtime and its license", () => {
    const bun = bom.components.find((c) => c.name === "bun")!;
    expect(bun.type).toBe("platform");
    expect(bun.licenses).toEqual([{ expression: "MIT AND LGPL-2.0-or-later" }]);
  });

  test("every dependency edge points at a listed component", () => {
    const refs = new Set([...bom.components.map((c) => c["bom-ref"]), `pkg:npm/clusterrebootd@${bom.metadata.component.version}`]);
    for (const dep of bom.dependencies) {
      expect(refs.has(dep.ref)).toBe(true);
      for (const on of dep.dependsOn) expect(refs.has(on)).toBe(true);
    }
    const root = bom.dependencies.find((x) => x.ref.startsWith("pkg:npm/clusterrebootd@"))!;
    expect(root.dependsOn).toContain(`pkg:npm/etcd3@${bom.components.find((c) => c.name === "etcd3")!.version}`);
  });
});

d("signing with a supplied gpg key", () => {
  let home = "";
  let out = "";
  let fpr = "";
  let res: PackageResult;
  const gpg = (...args: string[]) => must(["gpg", "--batch", ...args], { env: { GNUPGHOME: home } });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "crd-gpg-"));
    await gpg("--passphrase", "", "--quick-gen-key", "clusterrebootd test <test@example.org>", "ed25519", "sign", "1d");
    fpr = (await gpg("--list-keys", "--with-colons")).split("\n").find((l) => l.startsWith("fpr:"))!.split(":")[9]!;
    out = await mkdtemp(join(tmpdir(), "crd-signed-"));
    await copyFile(join(a.dist, "clusterrebootd-linux-amd64"), join(out, "clusterrebootd-linux-amd64"));
    res = await makePackages({
      arches: ["amd64"],
      formats: ["deb", "rpm"],
      compression: "fast",
      build: false,
      outdir: out,
      env: { GPG_KEY: fpr, GNUPGHOME: home, SOURCE_DATE_EPOCH: "1700000000" },
    });
  }, 120_000);

  afterAll(async () => {
    if (home) await sh(["gpgconf", "--kill", "all"], { env: { GNUPGHOME: home } });
    await rm(home, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });

  test("SHA256SUMS and every artefact get a detached signature that verifies", async () => {
    const signed = [res.sums, ...res.packages, res.sbom];
    for (const f of signed) {
      expect(res.signatures).toContain(`${f}.asc`);
      const v = await sh(["gpg", "--batch", "--verify", `${f}.asc`, f], { env: { GNUPGHOME: home } });
      expect(v.exitCode).toBe(0);
      expect(v.stderr).toContain("Good signature");
    }
  });

  test("the .rpm carries a native signature rpm -K accepts with the exported key", async () => {
    const key = join(res.dir, "clusterrebootd-signing-key.asc");
    expect(await readFile(key, "utf8")).toContain("BEGIN PGP PUBLIC KEY BLOCK");
    const db = join(out, "rpmdb");
    await mkdir(db);
    await must(["rpm", "--dbpath", db, "--initdb"]);
    await must(["rpm", "--dbpath", db, "--import", key]);
    const rpmFile = res.packages.find((p) => p.endsWith(".rpm"))!;
    const k = await sh(["rpm", "--dbpath", db, "-K", rpmFile]);
    expect(k.stdout).toContain("digests signatures OK");
    expect(k.exitCode).toBe(0);
    // The checksum was taken after signing: the signed package is what SHA256SUMS vouches for.
    expect((await sh(["sha256sum", "--check", "--strict", "SHA256SUMS"], { cwd: res.dir })).exitCode).toBe(0);
  });
});

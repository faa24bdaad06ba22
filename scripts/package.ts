/**
 * Builds the .deb (amd64, arm64) and .rpm (x86_64, aarch64) packages from the compiled binaries.
 *
 *   scripts/package [--target amd64|arm64|all] [--format deb|rpm|all] [--fast] [--no-build]
 *                   [--outdir dist] [--check]
 *
 * Recreates <outdir>/packages/ on every run with: the packages, clusterrebootd-<version>.cdx.json (CycloneDX SBOM),
 * SHA256SUMS, and with GPG_KEY set the signatures (see _sign.ts). Binaries are (re)built into
 * <outdir> with scripts/build.ts unless --no-build finds them there.
 *   --fast   gzip -1 / zstd -1 instead of xz: for CI, where only contents and metadata matter.
 *   --check  build fast, then run the package checks (bun test tests/packaging) on the result.
 * Environment: VERSION, COMMIT, SOURCE_DATE_EPOCH (as for scripts/build.ts), PKG_RELEASE (default
 * 1), MAINTAINER ("Name <mail>"), HOMEPAGE, GPG_KEY, GPG_PASSPHRASE_FILE.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildBinary, resolveStamp, writeChecksums, type Stamp } from "./build.ts";
import { commandSpecs } from "./_command-specs.ts";
import { bashCompletion } from "./_gen-completion.ts";
import { manPage } from "./gen-man.ts";
import { buildDeb, buildRpm, type Compression } from "./_pkg-build.ts";
import { stageTree, type Arch, type Format } from "./_pkg-stage.ts";
import { binaryLicense, cycloneDx, thirdPartyNotices } from "./_sbom.ts";
import { describe, exportPublicKey, signDetached, signingKeyFromEnv, signRpm } from "./_sign.ts";

const REPO = resolve(import.meta.dir, "..");
const DEFAULT_MAINTAINER = "clusterrebootd maintainers <maintainers@clusterrebootd.example.org>";

export interface PackageOptions {
  arches: Arch[];
  formats: Format[];
  compression: Compression;
  build: boolean;
  outdir: string;
  env: Record<string, string | undefined>;
}

export interface PackageResult {
  dir: string;
  packages: string[];
  sbom: string;
  sums: string;
  signatures: string[];
  stamp: Stamp;
}

export async function makePackages(opts: PackageOptions): Promise<PackageResult> {
  const log = (s: string) => console.log(s);
  const stamp = await resolveStamp(opts.env);
  const epoch = Math.floor(Date.parse(stamp.buildDate) / 1000);
  await mkdir(opts.outdir, { recursive: true });
  const binaries = new Map<Arch, string>();
  for (const arch of opts.arches) {
    const bin = join(opts.outdir, `clusterrebootd-linux-${arch}`);
    if (opts.build || !(await exists(bin))) {
      const t = performance.now();
      await buildBinary({ arch, entry: join(REPO, "src/main.ts"), outfile: bin, stamp });
      log(`  built ${bin} (${secs(t)})`);
    }
    binaries.set(arch, bin);
  }
  if (opts.build) await writeChecksums(opts.outdir, [...binaries.values()]);

  const bunVersion = JSON.parse(await readFile(join(REPO, "node_modules/bun/package.json"), "utf8")).version as string;
  const specs = await commandSpecs();
  const date = stamp.buildDate.slice(0, 10);
  const license = await binaryLicense(REPO);
  const common = {
    repo: REPO,
    version: stamp.version,
    release: opts.env["PKG_RELEASE"]?.trim() || "1",
    maintainer: opts.env["MAINTAINER"]?.trim() || DEFAULT_MAINTAINER,
    homepage: opts.env["HOMEPAGE"]?.trim() || undefined,
    commit: stamp.commit,
    epoch,
    manPage: manPage(specs, { version: stamp.version, date }),
    completion: bashCompletion(specs),
    notices: await thirdPartyNotices(REPO, bunVersion),
    license,
  };
  const dir = join(opts.outdir, "packages");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const packages: string[] = [];
  for (const arch of opts.arches) {
    for (const format of opts.formats) {
      const stage = await mkdtemp(join(opts.outdir, `.stage-${format}-${arch}-`));
      try {
        const t = performance.now();
        await stageTree(stage, { ...common, format, arch, binary: binaries.get(arch)! });
        const meta = { arch, version: stamp.version, release: common.release, license, homepage: common.homepage, epoch };
        const file = format === "deb" ? await buildDeb(stage, dir, meta, opts.compression) : await buildRpm(stage, dir, meta, opts.compression, REPO);
        packages.push(file);
        log(`  ${file}  ${((await stat(file)).size / 2 ** 20).toFixed(1)} MiB  ${secs(t)}`);
      } finally {
        await rm(stage, { recursive: true, force: true });
      }
    }
  }
  const sbom = join(dir, `clusterrebootd-${stamp.version}.cdx.json`);
  await writeFile(sbom, JSON.stringify(await cycloneDx({ root: REPO, version: stamp.version, timestamp: stamp.buildDate, bunVersion }), null, 2) + "\n");

  const key = signingKeyFromEnv(opts.env);
  if (key) for (const p of packages.filter((f) => f.endsWith(".rpm"))) await signRpm(p, key);
  const sums = await writeChecksums(dir, [...packages, sbom]);
  const signatures: string[] = [];
  if (key) {
    for (const f of [sums, ...packages, sbom]) signatures.push(await signDetached(f, key));
    if (opts.build) signatures.push(await signDetached(join(opts.outdir, "SHA256SUMS"), key));
    signatures.push(await exportPublicKey(dir, key));
    log(`  signed with ${key.id}: ${describe(signatures)}`);
  }
  return { dir, packages, sbom, sums, signatures, stamp };
}

// --- CLI ---

function parseCli(argv: string[]): PackageOptions & { check: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: "string", default: "all" },
      format: { type: "string", default: "all" },
      fast: { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      outdir: { type: "string", default: "dist" },
      check: { type: "boolean", default: false },
    },
    strict: true,
  });
  const pick = <T extends string>(v: string, all: T[], flag: string): T[] => {
    if (v === "all") return all;
    if ((all as string[]).includes(v)) return [v as T];
    throw new Error(`--${flag} must be ${all.join(", ")} or all, got ${v}`);
  };
  return {
    arches: pick<Arch>(values.target, ["amd64", "arm64"], "target"),
    formats: pick<Format>(values.format, ["deb", "rpm"], "format"),
    compression: values.fast || values.check ? "fast" : "release",
    build: !values["no-build"],
    outdir: resolve(values.outdir),
    env: process.env,
    check: values.check,
  };
}

async function main(): Promise<number> {
  const opts = parseCli(Bun.argv.slice(2));
  const started = performance.now();
  const res = await makePackages(opts);
  console.log(`packages of clusterrebootd ${res.stamp.version} in ${res.dir} (${secs(started)})`);
  if (!opts.check) return 0;
  const t = performance.now();
  const proc = Bun.spawn([process.execPath, "test", "tests/packaging"], {
    cwd: REPO,
    env: { ...process.env, CRD_PACKAGES_DIR: res.dir, CRD_DIST_DIR: opts.outdir },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const code = await proc.exited;
  console.log(`package checks: exit ${code} (${secs(t)})`);
  return code;
}

function secs(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

if (import.meta.main) {
  process.exitCode = await main().catch((e: unknown) => {
    console.error(`package failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
}

/**
 * Turns a staged tree into a .deb (dpkg-deb) or .rpm (rpmbuild, spec in packaging/rpm).
 * Compression: release = xz (smallest, readable everywhere); fast = gzip -1 for the .deb and
 * zstd level 1 for the .rpm, for CI where only the contents matter.
 */
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEB_ARCH, RPM_ARCH, debVersion, packageVersion } from "./_pkg-deb-meta.ts";
import type { Arch } from "./_pkg-stage.ts";

export type Compression = "release" | "fast";

export interface PackageMeta {
  arch: Arch;
  version: string;
  release: string;
  license: string;
  homepage: string | undefined;
  epoch: number;
}

export function debFileName(m: PackageMeta): string {
  return `clusterrebootd_${debVersion(m.version, m.release)}_${DEB_ARCH[m.arch]}.deb`;
}

export function rpmFileName(m: PackageMeta): string {
  return `clusterrebootd-${packageVersion(m.version)}-${m.release}.${RPM_ARCH[m.arch]}.rpm`;
}

export async function buildDeb(stage: string, outdir: string, m: PackageMeta, compression: Compression): Promise<string> {
  const out = join(outdir, debFileName(m));
  const z = compression === "release" ? ["-Zxz", "-z6"] : ["-Zgzip", "-z1"];
  await run(["dpkg-deb", "--root-owner-group", ...z, "--build", stage, out], { SOURCE_DATE_EPOCH: String(m.epoch) });
  return out;
}

export async function buildRpm(stage: string, outdir: string, m: PackageMeta, compression: Compression, repo: string): Promise<string> {
  const top = await mkdtemp(join(tmpdir(), "crd-rpmbuild-"));
  try {
    const defines: Record<string, string> = {
      _topdir: top,
      _rpmdir: join(top, "RPMS"),
      _build_name_fmt: "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm",
      _buildhost: "clusterrebootd-build",
      // Reproducible: file mtimes and build time from SOURCE_DATE_EPOCH.
      use_source_date_epoch_as_buildtime: "1",
      clamp_mtime_to_source_date_epoch: "1",
      crd_version: packageVersion(m.version),
      crd_release: m.release,
      crd_stage: stage,
      crd_license: m.license,
      crd_payload: compression === "release" ? "w6T.xzdio" : "w1.zstdio",
      ...(m.homepage ? { crd_url: m.homepage } : {}),
    };
    const argv = ["rpmbuild", "-bb", "--quiet", "--target", RPM_ARCH[m.arch]];
    for (const [k, v] of Object.entries(defines)) argv.push("--define", `${k} ${v}`);
    argv.push(join(repo, "packaging/rpm/clusterrebootd.spec"));
    await run(argv, { SOURCE_DATE_EPOCH: String(m.epoch) });
    const built = await readdir(join(top, "RPMS"));
    if (built.length !== 1) throw new Error(`rpmbuild produced ${built.length} files: ${built.join(", ")}`);
    const out = join(outdir, rpmFileName(m));
    await mkdir(outdir, { recursive: true });
    await rename(join(top, "RPMS", built[0]!), out).catch(async () => {
      await Bun.write(out, Bun.file(join(top, "RPMS", built[0]!)));
    });
    return out;
  } finally {
    await rm(top, { recursive: true, force: true });
  }
}

/** Runs a build tool; throws with its output when it fails. */
export async function run(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const proc = Bun.spawn(argv, { env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`${argv[0]} failed (exit ${code}):\n${stderr}${stdout}`);
  return stdout;
}

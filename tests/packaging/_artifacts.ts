/**
 * The packages under test. Building them takes ~15 s (fast compression), so these checks run
 * on packages built beforehand: `scripts/package --check` builds and then runs this folder,
 * and .ci/run builds them before the test suite; both set CRD_PACKAGES_DIR. Without it the
 * package checks are skipped with a message saying how to run them.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface Artifacts {
  dir: string;
  /** Where the binaries are (the parent of the packages dir). */
  dist: string;
  deb: { amd64: string; arm64: string };
  rpm: { amd64: string; arm64: string };
  sbom: string;
  sums: string;
}

const DIR = process.env["CRD_PACKAGES_DIR"];

/** `describe` when packages are available, `describe.skip` (with a note) otherwise. */
export const SKIP_REASON = DIR ? undefined : "package checks skipped: CRD_PACKAGES_DIR is not set (run scripts/package --check)";

let cached: Promise<Artifacts> | undefined;

export function artifacts(): Promise<Artifacts> {
  cached ??= find();
  return cached;
}

async function find(): Promise<Artifacts> {
  if (!DIR) throw new Error(SKIP_REASON);
  const names = await readdir(DIR).catch(() => {
    throw new Error(`CRD_PACKAGES_DIR=${DIR} does not exist: building the packages failed (see scripts/package output)`);
  });
  const one = (re: RegExp) => {
    const hits = names.filter((n) => re.test(n));
    if (hits.length !== 1) throw new Error(`expected one file matching ${re} in ${DIR}, found ${hits.length}: ${hits.join(", ")}`);
    return join(DIR, hits[0]!);
  };
  return {
    dir: DIR,
    dist: process.env["CRD_DIST_DIR"] ?? dirname(DIR),
    deb: { amd64: one(/^clusterrebootd_[^_]+_amd64\.deb$/), arm64: one(/^clusterrebootd_[^_]+_arm64\.deb$/) },
    rpm: { amd64: one(/^clusterrebootd-.+\.x86_64\.rpm$/), arm64: one(/^clusterrebootd-.+\.aarch64\.rpm$/) },
    sbom: one(/\.cdx\.json$/),
    sums: join(DIR, "SHA256SUMS"),
  };
}

/**
 * SHA-256 of the binary the packages were built from, as scripts/package recorded it in
 * <dist>/SHA256SUMS (the binary file itself may have been rebuilt since by the smoke tests).
 */
export async function builtBinarySha(a: Artifacts, arch: "amd64" | "arm64"): Promise<string> {
  const sums = await readFile(join(a.dist, "SHA256SUMS"), "utf8");
  const line = sums.split("\n").find((l) => l.endsWith(`  clusterrebootd-linux-${arch}`));
  if (!line) throw new Error(`${join(a.dist, "SHA256SUMS")} has no entry for clusterrebootd-linux-${arch}`);
  return line.split(" ")[0]!;
}

/** Runs a tool; returns exit code and output (never throws for a non-zero exit). */
export async function sh(argv: string[], opts: { env?: Record<string, string>; cwd?: string; stdin?: Uint8Array } = {}) {
  const p = Bun.spawn(argv, {
    cwd: opts.cwd,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C.UTF-8", ...opts.env },
    stdin: opts.stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [exitCode, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { exitCode, stdout, stderr };
}

/** Like {@link sh} but throws with the output on a non-zero exit. */
export async function must(argv: string[], opts: Parameters<typeof sh>[1] = {}): Promise<string> {
  const r = await sh(argv, opts);
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.exitCode}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Every file the packages install (directories excluded), by format. */
export const COMMON_FILES = [
  "/etc/clusterrebootd/config.yaml",
  "/usr/bin/clusterrebootd",
  "/usr/lib/systemd/system/clusterrebootd-pass.service",
  "/usr/lib/systemd/system/clusterrebootd.service",
  "/usr/lib/systemd/system/clusterrebootd.timer",
  "/usr/lib/tmpfiles.d/clusterrebootd.conf",
  "/usr/share/bash-completion/completions/clusterrebootd",
  "/usr/share/doc/clusterrebootd/examples/cloud-init.yaml",
  "/usr/share/doc/clusterrebootd/examples/config.example.yaml",
  "/usr/share/doc/clusterrebootd/examples/first-boot.sh",
  "/usr/share/doc/clusterrebootd/examples/pi-k3s-node.yaml",
  "/usr/share/man/man8/clusterrebootd.8.gz",
];

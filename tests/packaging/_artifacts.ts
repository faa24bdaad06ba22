/**
 * The packages under test. Building them takes ~15-40 s, so they are built once per source state
 * by `scripts/setup packages` (cached by commit in dist/packages; `npm test` runs it before the
 * suite and sets CRD_PACKAGES_DIR). Run on their own, these tests build them the same way: they
 * never skip.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

export interface Artifacts {
  dir: string;
  /** Where the binaries are (the parent of the packages dir). */
  dist: string;
  deb: { amd64: string; arm64: string };
  rpm: { amd64: string; arm64: string };
  sbom: string;
  sums: string;
}

const REPO = resolve(import.meta.dir, "../..");

/** Long enough for a cold build of both binaries and the four packages. */
export const BUILD_TIMEOUT_MS = 300_000;

let cached: Promise<Artifacts> | undefined;

export function artifacts(): Promise<Artifacts> {
  cached ??= find();
  return cached;
}

async function packagesDir(): Promise<string> {
  const given = process.env["CRD_PACKAGES_DIR"];
  if (given) return given;
  const p = Bun.spawn(["bash", join(REPO, "scripts/setup"), "packages"], { cwd: REPO, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`scripts/setup packages failed (exit ${code}):\n${err}${out}`);
  return join(REPO, "dist/packages");
}

async function find(): Promise<Artifacts> {
  const DIR = await packagesDir();
  const names = await readdir(DIR).catch(() => {
    throw new Error(`${DIR} does not exist: building the packages failed (run scripts/setup packages)`);
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

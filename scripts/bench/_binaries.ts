/**
 * The two executables the resource benchmarks compare: the release build of clusterrebootd
 * (`bun scripts/build.ts --target <arch>`, exactly as shipped) and a bare Bun program compiled with
 * the same flags, so the difference is what our code costs on top of the Bun runtime.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildBinary, RELEASE_FLAGS, type Arch } from "../build.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** Bare program: `idle` keeps the event loop alive (one far timer); otherwise prints and exits. */
const BARE_SOURCE = `if (process.argv.includes("idle")) setInterval(() => {}, 1 << 30);
else console.log("bare bun " + Bun.version);
`;

export const hostArch = (): Arch => (process.arch === "arm64" ? "arm64" : "amd64");

/** Builds both into `dir`; returns their paths. Throws with the build output on failure. */
export async function buildBinaries(dir: string): Promise<{ product: string; bare: string; arch: Arch }> {
  const arch = hostArch();
  const build = Bun.spawn([process.execPath, join(ROOT, "scripts/build.ts"), "--target", arch, "--outdir", dir], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([build.exited, new Response(build.stdout).text(), new Response(build.stderr).text()]);
  if (code !== 0) throw new Error(`scripts/build.ts failed (exit ${code}):\n${out}${err}`);
  const entry = join(dir, "bare.ts");
  writeFileSync(entry, BARE_SOURCE);
  const bare = join(dir, `bare-bun-linux-${arch}`);
  await buildBinary({ arch, entry, outfile: bare, stamp: { version: "0.0.0", commit: "bare", buildDate: "1970-01-01T00:00:00Z" }, flags: RELEASE_FLAGS });
  return { product: join(dir, `clusterrebootd-linux-${arch}`), bare, arch };
}

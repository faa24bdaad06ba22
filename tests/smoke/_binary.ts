/**
 * The compiled binaries the smoke and packaging tests run: dist/clusterrebootd-linux-<arch>,
 * built with scripts/build.ts unless one newer than every build input is already there (a
 * build takes ~2 s per arch; CI builds once for packages and tests).
 *
 * Built into a temp name and renamed, so two test processes never see a half-written binary.
 */
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { buildBinary, resolveStamp, type Arch } from "../../scripts/build.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const DIST = join(REPO, "dist");

/** Everything that ends up inside the binary. */
const INPUTS = ["src", "packaging", "scripts/build.ts", "scripts/_build-plugin.ts", "package.json", "package-lock.json"];

const building = new Map<Arch, Promise<string>>();

export function binaryPath(arch: Arch): string {
  return join(DIST, `clusterrebootd-linux-${arch}`);
}

/** Path of an up-to-date binary for `arch`, building it if needed (once per test process). */
export function ensureBinary(arch: Arch): Promise<string> {
  let p = building.get(arch);
  if (!p) {
    p = build(arch);
    building.set(arch, p);
  }
  return p;
}

async function build(arch: Arch): Promise<string> {
  const out = binaryPath(arch);
  const built = await stat(out).then((s) => s.mtimeMs, () => 0);
  if (built > 0 && built >= (await newestInput())) return out;
  const tmp = join(DIST, `.clusterrebootd-linux-${arch}.${process.pid}.tmp`);
  await mkdir(DIST, { recursive: true });
  try {
    await buildBinary({ arch, entry: join(REPO, "src/main.ts"), outfile: tmp, stamp: await resolveStamp(process.env) });
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
  return out;
}

async function newestInput(): Promise<number> {
  let newest = 0;
  for (const input of INPUTS) {
    const path = join(REPO, input);
    const s = await stat(path).catch(() => undefined);
    if (!s) continue;
    newest = Math.max(newest, s.mtimeMs);
    if (!s.isDirectory()) continue;
    for (const entry of await readdir(path, { recursive: true })) {
      const m = await stat(join(path, entry)).then((x) => x.mtimeMs, () => 0);
      newest = Math.max(newest, m);
    }
  }
  return newest;
}

/** qemu-user for the arm64 binary, or why it cannot run here. */
export async function qemuArm64(): Promise<{ ok: true; argv: string[] } | { ok: false; reason: string }> {
  const qemu = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
  if (qemu === null) return { ok: false, reason: "qemu-aarch64-static not installed (apt-get install qemu-user-static)" };
  const sysroot = "/usr/aarch64-linux-gnu";
  const loader = await stat(join(sysroot, "lib/ld-linux-aarch64.so.1")).catch(() => undefined);
  if (!loader) return { ok: false, reason: `${sysroot}/lib/ld-linux-aarch64.so.1 missing (apt-get install libc6-arm64-cross)` };
  return { ok: true, argv: [qemu, "-L", sysroot] };
}

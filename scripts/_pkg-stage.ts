/**
 * Lays out the file tree of one package (everything below "/", plus DEBIAN/ for a .deb).
 * The .deb and .rpm get the same files; only license/doc conventions differ:
 * Debian wants /usr/share/doc/<pkg>/copyright and changelog.Debian.gz, RPM wants %license
 * files under /usr/share/licenses/<pkg>.
 */
import { readFileSync } from "node:fs";
import { copyFile, chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { TEXTS } from "../src/install/index.ts";
import { DEB_CONFFILES, debControl, debChangelog, debCopyright } from "./_pkg-deb-meta.ts";

export type Format = "deb" | "rpm";
export type Arch = "amd64" | "arm64";

export interface StageInput {
  format: Format;
  arch: Arch;
  binary: string;
  repo: string;
  version: string;
  /** Debian revision / RPM release, e.g. "1". */
  release: string;
  maintainer: string;
  homepage: string | undefined;
  commit: string;
  /** Build time in seconds since the epoch; every file gets this mtime (reproducible archives). */
  epoch: number;
  manPage: string;
  completion: string;
  notices: string;
  license: string;
}

/** Files every package carries: path below "/" → [content or source file, mode]. */
type Entry = { text: string | Uint8Array; mode: number } | { from: string; mode: number };

const DOC = "usr/share/doc/clusterrebootd";
const EXAMPLES = ["configs/config.example.yaml", "configs/cloud-init.yaml", "configs/first-boot.sh", "configs/pi-k3s-node.yaml"];

export async function stageTree(dir: string, input: StageInput): Promise<void> {
  const files = new Map<string, Entry>([
    ["usr/bin/clusterrebootd", { from: input.binary, mode: 0o755 }],
    ["etc/clusterrebootd/config.yaml", { text: TEXTS.configTemplate, mode: input.format === "rpm" ? 0o640 : 0o644 }],
    ["usr/lib/systemd/system/clusterrebootd.service", { text: TEXTS.daemonService, mode: 0o644 }],
    ["usr/lib/systemd/system/clusterrebootd-pass.service", { text: TEXTS.passService, mode: 0o644 }],
    ["usr/lib/systemd/system/clusterrebootd.timer", { text: TEXTS.timer, mode: 0o644 }],
    ["usr/lib/tmpfiles.d/clusterrebootd.conf", { text: TEXTS.tmpfiles, mode: 0o644 }],
    ["usr/share/man/man8/clusterrebootd.8.gz", { text: gzip(input.manPage), mode: 0o644 }],
    ["usr/share/bash-completion/completions/clusterrebootd", { text: input.completion, mode: 0o644 }],
  ]);
  for (const doc of ["README.md", "docs/SLOTS.md"]) {
    if (await exists(join(input.repo, doc))) files.set(`${DOC}/${doc.replace(/^docs\//, "")}`, { from: join(input.repo, doc), mode: 0o644 });
  }
  for (const ex of EXAMPLES) {
    if (await exists(join(input.repo, ex))) files.set(`${DOC}/examples/${ex.replace(/^configs\//, "")}`, { from: join(input.repo, ex), mode: 0o644 });
  }
  const license = await readFile(join(input.repo, "LICENSE"), "utf8");
  if (input.format === "deb") {
    files.set(`${DOC}/copyright`, { text: debCopyright(input, license), mode: 0o644 });
    // A native Debian version (no "-1" revision: we are upstream), so changelog.gz.
    files.set(`${DOC}/changelog.gz`, { text: gzip(debChangelog(input)), mode: 0o644 });
    files.set(`${DOC}/THIRD-PARTY-NOTICES.gz`, { text: gzip(input.notices), mode: 0o644 });
    files.set("usr/share/lintian/overrides/clusterrebootd", { from: join(input.repo, "packaging/deb/lintian-overrides"), mode: 0o644 });
  } else {
    files.set("usr/share/licenses/clusterrebootd/LICENSE", { text: license, mode: 0o644 });
    files.set("usr/share/licenses/clusterrebootd/THIRD-PARTY-NOTICES", { text: input.notices, mode: 0o644 });
  }
  // The config may hold etcd credentials: root only. The .rpm says so in its file list; the
  // .deb ships standard modes (lintian) and its postinst adds a dpkg-statoverride instead.
  const secret = input.format === "rpm";
  const dirs = new Map([["etc", 0o755], ["etc/clusterrebootd", secret ? 0o750 : 0o755], ["etc/clusterrebootd/config.d", secret ? 0o750 : 0o755]]);
  await chmod(dir, 0o755); // mkdtemp made it 0700, and the archive records "/" too
  for (const [d, mode] of dirs) await mkdir(join(dir, d), { recursive: true, mode });
  for (const [path, entry] of files) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    if ("from" in entry) await copyFile(entry.from, target);
    else await writeFile(target, entry.text);
    await chmod(target, entry.mode);
  }
  for (const [d, mode] of dirs) await chmod(join(dir, d), mode);
  if (input.format === "deb") await stageDebian(dir, input);
  await clampTimes(dir, input.epoch);
}

/** gzip -9n equivalent: no file name, no timestamp (lintian and reproducibility want both). */
export function gzip(text: string): Uint8Array {
  return Bun.gzipSync(Buffer.from(text), { level: 9 });
}

// --- internal ---

async function stageDebian(dir: string, input: StageInput): Promise<void> {
  const debian = join(dir, "DEBIAN");
  await mkdir(debian, { mode: 0o755 });
  await chmod(debian, 0o755);
  for (const script of ["postinst", "prerm", "postrm"]) {
    await copyFile(join(input.repo, "packaging/deb", script), join(debian, script));
    await chmod(join(debian, script), 0o755);
  }
  await writeFile(join(debian, "conffiles"), DEB_CONFFILES.map((f) => `${f}\n`).join(""));
  const tree = await walk(dir, ["DEBIAN"]);
  const md5 = tree.files
    .filter((f) => !DEB_CONFFILES.includes(`/${f.path}`))
    .map((f) => `${new Bun.CryptoHasher("md5").update(f.data()).digest("hex")}  ${f.path}\n`);
  await writeFile(join(debian, "md5sums"), md5.join(""));
  // dpkg's rule: ceil(size / 1 KiB) per file plus 1 per directory.
  const installedKiB = tree.files.reduce((n, f) => n + Math.ceil(f.size / 1024), 0) + tree.dirs;
  await writeFile(join(debian, "control"), debControl(input, installedKiB));
  for (const f of ["conffiles", "md5sums", "control"]) await chmod(join(debian, f), 0o644);
}

interface Walked {
  files: Array<{ path: string; size: number; data: () => Buffer }>;
  dirs: number;
}

async function walk(root: string, skip: string[]): Promise<Walked> {
  const out: Walked = { files: [], dirs: 0 };
  const visit = async (d: string): Promise<void> => {
    for (const ent of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, ent.name);
      const rel = relative(root, p);
      if (skip.includes(rel)) continue;
      if (ent.isDirectory()) {
        out.dirs++;
        await visit(p);
      } else {
        const size = (await stat(p)).size;
        out.files.push({ path: rel, size, data: () => readFileSync(p) });
      }
    }
  };
  await visit(root);
  return out;
}

async function clampTimes(root: string, epoch: number): Promise<void> {
  const visit = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) await visit(p);
      await utimes(p, epoch, epoch);
    }
  };
  await visit(root);
  await utimes(root, epoch, epoch);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

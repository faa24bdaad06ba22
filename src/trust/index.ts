/**
 * Trust: root runs only root's code and reads only root's config. One check for every file whose
 * content decides what root does — the health script, command detectors' executables,
 * reboot_command, the config file itself, kubeconfig and TLS/password files: the file, every
 * directory on the way to it and every symlink passed must be owned by root and writable by root
 * alone. Anyone else able to change one of them could run code as root on every node.
 *
 * Only as root: a non-root daemon can do no more harm than its user could anyway, so the check
 * reports nothing then. It runs inside the config loader, so `validate-config`, every command's
 * start and SIGHUP reload all get it; a problem is a config problem (exit 2).
 *
 * Not covered (documented in docs/TRUST.md): what an executable itself runs (a shell script's
 * interpreter or the files it sources), and arguments such as `sh -c /tmp/x`.
 */
import { lstat, readlink } from "node:fs/promises";
import { judgeEnd, walkPath } from "./_walk.ts";
import type { TrustDeps } from "./types.ts";

export type { NodeStat, TrustDeps } from "./types.ts";

/** One file to check: `field` names the config key in messages. */
export interface TrustTarget {
  field: string;
  path: string;
  /** "executable": run as root; "command": argv[0], a bare name is looked up in PATH; "file": read as root. */
  use: "executable" | "command" | "file";
}

/** Every problem with the targets, one line per offending path, each with its fix. [] when not root. */
export async function trustProblems(targets: readonly TrustTarget[], deps: TrustDeps = realTrustDeps): Promise<string[]> {
  if (!deps.isRoot()) return [];
  const out = await Promise.all(targets.map((t) => (t.use === "command" && !t.path.includes("/") ? commandProblems(t, deps) : pathProblems(t, deps))));
  return [...new Set(out.flat())];
}

export const realTrustDeps: TrustDeps = {
  isRoot: () => (process.geteuid?.() ?? process.getuid?.() ?? -1) === 0,
  lstat: async (path) => {
    try {
      const s = await lstat(path);
      const type = s.isSymbolicLink() ? "symlink" : s.isDirectory() ? "dir" : s.isFile() ? "file" : "other";
      return { kind: "present", type, uid: s.uid, mode: s.mode };
    } catch (e) {
      const code = e !== null && typeof e === "object" && "code" in e ? String(e.code) : "";
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
      return { kind: "error", message: e instanceof Error ? e.message : String(e) };
    }
  },
  readlink: (path) => readlink(path),
  path: () => process.env["PATH"] ?? "",
};

// --- internal ---

const verb = (t: TrustTarget) => (t.use === "file" ? "read" : "run");

async function pathProblems(t: TrustTarget, deps: TrustDeps): Promise<string[]> {
  if (!t.path.startsWith("/")) {
    // Paths in the config are checked to be absolute by the schema; argv[0] with a slash is not.
    if (t.use !== "command") return [];
    return [`${t.field}: ${JSON.stringify(t.path)} is a relative path, so what root ${verb(t)}s depends on the working directory; use an absolute path`];
  }
  const w = await walkPath(t.path, deps);
  const found = [...w.problems];
  const end = w.end.stat;
  if (end.kind === "error") found.push({ path: w.end.path, reason: `cannot be checked (${end.message})`, fix: "make it readable by root" });
  // Missing: nothing to trust yet. The loader's other checks (or the run itself) fail closed on it.
  // Judged whatever it is: a FIFO or directory in place of a file is refused by the code that
  // reads or runs it (the loader reads only regular files); ownership is this check's question.
  if (end.kind === "present") found.push(...judgeEnd(w.end.path, end));
  return render(t, found);
}

/** A bare name: every PATH directory searched before (and including) the hit could shadow it. */
async function commandProblems(t: TrustTarget, deps: TrustDeps): Promise<string[]> {
  const found: { path: string; reason: string; fix: string }[] = [];
  for (const dir of deps.path().split(":")) {
    if (!dir.startsWith("/")) {
      found.push({ path: dir === "" ? "(empty entry)" : dir, reason: "is a relative PATH entry", fix: `remove it from PATH or give ${t.field} an absolute path` });
      continue;
    }
    const w = await walkPath(`${dir.replace(/\/+$/, "")}/${t.path}`, deps);
    found.push(...w.problems);
    const end = w.end.stat;
    if (end.kind === "present" && end.type === "file" && (end.mode & 0o111) !== 0) {
      found.push(...judgeEnd(w.end.path, end));
      break;
    }
  }
  return render(t, found);
}

/** One line per path, reasons and fixes joined: `… is owned by uid 65534, not root and is world-writable; fix: chown …; chmod …`. */
function render(t: TrustTarget, found: { path: string; reason: string; fix: string }[]): string[] {
  const byPath = new Map<string, { reasons: string[]; fixes: string[] }>();
  for (const f of found) {
    const e = byPath.get(f.path) ?? { reasons: [], fixes: [] };
    if (!e.reasons.includes(f.reason)) e.reasons.push(f.reason);
    if (!e.fixes.includes(f.fix)) e.fixes.push(f.fix);
    byPath.set(f.path, e);
  }
  return [...byPath].map(
    ([p, e]) =>
      `${t.field}: refusing ${t.path} as root: ${p === t.path ? "it" : p} ${e.reasons.join(" and ")}, so others could change what root ${verb(t)}s; fix: ${e.fixes.join("; ")}`,
  );
}

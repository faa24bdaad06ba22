/**
 * The path walk behind `checkTrust`: resolve a path one component at a time (lstat, never stat),
 * following symlinks by hand, and judge every directory we look a name up in, every symlink we
 * pass and the file we end at.
 *
 * Why by hand: `stat` and `realpath` answer for the final file only. Whoever can write any
 * directory on the way (or replace a symlink on it) can swap the file for their own after we
 * looked, so each of them must be root's and writable by root alone.
 */
import type { NodeStat, TrustDeps } from "./types.ts";

/** Linux gives up after 40 symlinks (ELOOP); so do we. */
const MAX_SYMLINKS = 40;
const S_ISVTX = 0o1000;
const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

/** What one walk found: problems (path → reason, in walk order) and the resolved end. */
export interface Walk {
  problems: { path: string; reason: string; fix: string }[];
  /** The resolved path and its lstat; `missing` when some component does not exist. */
  end: { path: string; stat: NodeStat };
}

export async function walkPath(path: string, deps: TrustDeps): Promise<Walk> {
  const problems: Walk["problems"] = [];
  const seen = new Set<string>();
  const flag = (p: string, reason: string, fix: string) => {
    if (seen.has(`${p}\0${reason}`)) return;
    seen.add(`${p}\0${reason}`);
    problems.push({ path: p, reason, fix });
  };
  const root = await deps.lstat("/");
  if (root.kind === "present") judgeDir("/", root, flag);
  let cur = "/";
  let todo = parts(path);
  let hops = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === ".") continue;
    if (name === "..") {
      cur = parent(cur);
      continue;
    }
    const next = cur === "/" ? `/${name}` : `${cur}/${name}`;
    const st = await deps.lstat(next);
    if (st.kind !== "present") return { problems, end: { path: next, stat: st } };
    if (st.type === "symlink") {
      if (st.uid !== 0) flag(next, `is a symlink owned by uid ${st.uid}, not root`, `chown -h root:root ${next}`);
      if (++hops > MAX_SYMLINKS) return { problems, end: { path: next, stat: { kind: "error", message: "too many levels of symlinks" } } };
      let target: string;
      try {
        target = await deps.readlink(next);
      } catch (e) {
        return { problems, end: { path: next, stat: { kind: "error", message: `cannot read symlink: ${e instanceof Error ? e.message : String(e)}` } } };
      }
      if (target.startsWith("/")) cur = "/";
      todo = [...parts(target), ...todo];
      continue;
    }
    if (todo.length === 0) return { problems, end: { path: next, stat: st } };
    if (st.type !== "dir") return { problems, end: { path: next, stat: { kind: "error", message: "a parent is not a directory" } } };
    judgeDir(next, st, flag);
    cur = next;
  }
  // The path named a directory ("/", "/etc/.."): hand back the directory itself.
  return { problems, end: { path: cur, stat: await deps.lstat(cur) } };
}

/** Judge the end of the walk: root's, writable by root alone. */
export function judgeEnd(path: string, st: Extract<NodeStat, { kind: "present" }>): { path: string; reason: string; fix: string }[] {
  const out: { path: string; reason: string; fix: string }[] = [];
  if (st.uid !== 0) out.push({ path, reason: `is owned by uid ${st.uid}, not root`, fix: `chown root:root ${path}` });
  const w = writers(st.mode);
  if (w !== null) out.push({ path, reason: `is ${w} (mode ${octal(st.mode)})`, fix: `chmod go-w ${path}` });
  return out;
}

// --- internal ---

/**
 * A directory we look `next` up in. Root's and not writable by others, with one exception: a
 * sticky directory owned by root (/tmp) may be world-writable, because the sticky bit stops others
 * from renaming or removing entries they do not own, and the entry itself (checked next) must be
 * root's. Others can still create new names there, which is why a missing entry is reported and
 * the walk never trusts a name it did not find.
 */
function judgeDir(dir: string, st: Extract<NodeStat, { kind: "present" }>, flag: (p: string, reason: string, fix: string) => void): void {
  if (st.uid !== 0) flag(dir, `is a directory owned by uid ${st.uid}, not root`, `chown root:root ${dir}`);
  const w = writers(st.mode);
  if (w === null) return;
  if ((st.mode & S_ISVTX) !== 0 && st.uid === 0) return;
  flag(dir, `is a ${w} directory (mode ${octal(st.mode)}): anyone in it can swap the files below`, `chmod go-w ${dir}`);
}

function writers(mode: number): string | null {
  if (mode & S_IWOTH) return "world-writable";
  if (mode & S_IWGRP) return "group-writable";
  return null;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0");

function parts(p: string): string[] {
  return p.split("/").filter((x) => x !== "");
}

function parent(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

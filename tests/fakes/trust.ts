/** An in-memory file tree for the trust check: lstat entries and symlink targets by path. */
import type { NodeStat, TrustDeps } from "../../src/trust/index.ts";

export type FakeNode =
  | { type: "dir" | "file"; uid?: number; mode?: number }
  | { type: "symlink"; uid?: number; target: string }
  | { type: "error"; message: string };

/** Every parent of a listed path must be listed too (as in a real tree); "/" is root 0755 unless given. */
export function fakeTrust(tree: Record<string, FakeNode>, opts: { root?: boolean; path?: string } = {}): TrustDeps {
  const all: Record<string, FakeNode> = { "/": { type: "dir" }, ...tree };
  return {
    isRoot: () => opts.root ?? true,
    lstat: async (p): Promise<NodeStat> => {
      const n = all[p];
      if (n === undefined) return { kind: "missing" };
      if (n.type === "error") return { kind: "error", message: n.message };
      const def = n.type === "dir" ? 0o755 : n.type === "symlink" ? 0o777 : 0o755;
      return { kind: "present", type: n.type, uid: n.uid ?? 0, mode: "mode" in n && n.mode !== undefined ? n.mode : def };
    },
    readlink: async (p) => {
      const n = all[p];
      if (n?.type !== "symlink") throw Object.assign(new Error(`EINVAL: ${p}`), { code: "EINVAL" });
      return n.target;
    },
    path: () => opts.path ?? "/usr/bin",
  };
}

/** Root-owned 0755 directories for each of `paths`. */
export const dirs = (...paths: string[]): Record<string, FakeNode> => Object.fromEntries(paths.map((p) => [p, { type: "dir" as const }]));

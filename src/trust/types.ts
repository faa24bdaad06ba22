/** What the trust check needs from the file system, as a port (tests pass fakes). */

/** lstat() of one path: never follows a symlink. */
export type NodeStat =
  | { kind: "present"; type: "file" | "dir" | "symlink" | "other"; uid: number; mode: number }
  | { kind: "missing" }
  | { kind: "error"; message: string };

export interface TrustDeps {
  /** Effective uid 0? The check only matters (and only runs) when we are root. */
  isRoot(): boolean;
  lstat(path: string): Promise<NodeStat>;
  readlink(path: string): Promise<string>;
  /** PATH used to find bare command names (detectors, reboot_command), as the child will see it. */
  path(): string;
}

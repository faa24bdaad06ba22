import type { DetectorDeps, DetectorResult } from "./types.ts";

/**
 * File detector: anything at `path` (following symlinks, any file type) means "reboot required";
 * nothing there, including a dangling symlink, means clear. A stat error such as EACCES is an
 * error, not "clear": we cannot tell, and guessing either way is wrong.
 */
export async function runFileDetector(
  spec: { name: string; path: string },
  deps: Pick<DetectorDeps, "fs" | "clock">,
): Promise<DetectorResult> {
  const started = deps.clock.now();
  const st = await deps.fs.stat(spec.path);
  const base = { name: spec.name, type: "file" as const, durationMs: deps.clock.now() - started };
  switch (st.kind) {
    case "present":
      return { ...base, kind: "required" };
    case "missing":
      return { ...base, kind: "clear" };
    case "error":
      return { ...base, kind: "error", error: `stat ${spec.path}: ${st.message}` };
    default:
      return st satisfies never;
  }
}

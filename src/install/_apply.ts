/**
 * Carries out install/uninstall steps below a root directory. Idempotent by construction: a
 * file whose content is already right is left alone ("unchanged"), the config is never
 * replaced once it exists ("kept"), and removing what is not there is "absent", not an error.
 */
import { join } from "node:path";
import { describeFsError } from "../platform/index.ts";
import type { InstallHost } from "./host.ts";
import type { Step } from "./_plan.ts";

export type Action = "created" | "updated" | "unchanged" | "kept" | "skipped" | "removed" | "absent";

/** One line of the report: `path` is the real path (root included). */
export interface Change {
  path: string;
  action: Action;
  note?: string;
}

export type ApplyResult =
  | { kind: "done"; changes: Change[] }
  /** Stopped at the first failure (e.g. EACCES when not root); `changes` were already made. */
  | { kind: "failed"; changes: Change[]; path: string; message: string };

export async function applyInstall(steps: readonly Step[], root: string, host: InstallHost, dryRun: boolean): Promise<ApplyResult> {
  const changes: Change[] = [];
  for (const step of steps) {
    const path = join(root, step.path);
    try {
      const change = await applyStep(step, path, host, dryRun);
      if (change) changes.push(change);
    } catch (e) {
      return { kind: "failed", changes, path, message: describeFsError(e) };
    }
  }
  return { kind: "done", changes };
}

export async function applyUninstall(paths: readonly string[], root: string, host: InstallHost, dryRun: boolean): Promise<ApplyResult> {
  const changes: Change[] = [];
  for (const p of paths) {
    const path = join(root, p);
    try {
      const s = await host.stat(path);
      if (s.kind === "error") throw new Error(s.message);
      if (s.kind === "missing") {
        changes.push({ path, action: "absent" });
        continue;
      }
      if (!dryRun) await host.remove(path);
      changes.push({ path, action: "removed" });
    } catch (e) {
      return { kind: "failed", changes, path, message: describeFsError(e) };
    }
  }
  return { kind: "done", changes };
}

// --- internal ---

/** Directories are only reported when created; files always. */
async function applyStep(step: Step, path: string, host: InstallHost, dryRun: boolean): Promise<Change | undefined> {
  const before = await host.stat(path);
  if (before.kind === "error") throw new Error(before.message);
  const exists = before.kind === "present";
  switch (step.kind) {
    case "dir":
      if (exists) return undefined;
      if (!dryRun) await host.mkdirp(path, step.mode);
      return { path, action: "created" };
    case "file": {
      if (exists && step.keepExisting) return { path, action: "kept", note: "exists; never overwritten" };
      if (exists && (await host.readText(path)) === step.text && (before.mode & 0o7777) === step.mode) {
        return { path, action: "unchanged" };
      }
      if (!dryRun) await host.writeAtomic(path, step.text, step.mode);
      return { path, action: exists ? "updated" : "created" };
    }
    case "binary": {
      if (step.from === undefined) {
        return { path, action: "skipped", note: "running from source, no binary to copy; the units expect one here" };
      }
      if (exists && (await host.sameBytes(step.from, path))) return { path, action: "unchanged" };
      if (!dryRun) await host.copyAtomic(step.from, path, 0o755);
      return { path, action: exists ? "updated" : "created", note: `copy of ${step.from}` };
    }
  }
}

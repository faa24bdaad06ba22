/**
 * The reboot command with its placeholders expanded (W22): the RC_* environment, the per-invocation
 * variables of the reboot phase, then the daemon's environment. Unknown names are errors, never "".
 * The grammar lives in config/placeholders.ts, shared with validate-config.
 */
import { expandPlaceholders } from "../config/index.ts";

/** The whole argv expanded, or every name that had no value (config/placeholders.ts expands one argument). */
export type CommandExpansion = { ok: true; argv: string[] } | { ok: false; unknown: string[] };

export function expandCommand(argv: readonly string[], env: Record<string, string | undefined>): CommandExpansion {
  const out: string[] = [];
  const unknown = new Set<string>();
  for (const arg of argv) {
    const e = expandPlaceholders(arg, env);
    if (e.kind === "ok") out.push(e.value);
    else if (e.kind === "unknown") e.names.forEach((n) => unknown.add(n));
    else unknown.add(`malformed ${e.text}`);
  }
  return unknown.size > 0 ? { ok: false, unknown: [...unknown] } : { ok: true, argv: out };
}

/** The variables the reboot command (and its argv) sees besides the base RC_* environment. */
export function rebootVariables(clusterSize: number | undefined): Record<string, string> {
  return {
    RC_PHASE: "reboot",
    RC_LOCK_ENABLED: "true",
    RC_LOCK_HELD: "true",
    RC_LOCK_ATTEMPTS: "1",
    ...(clusterSize !== undefined ? { RC_CLUSTER_SIZE: String(clusterSize) } : {}),
  };
}

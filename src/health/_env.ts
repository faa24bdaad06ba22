import type { HealthPhase, HealthRunVars } from "./types.ts";

/**
 * The script's environment (docs/WEAKNESSES.md §Compatibility: RC_* environment), later layers
 * overriding earlier ones: the daemon's own environment, the static base (RC_NODE_NAME,
 * RC_DRY_RUN, …), the per-invocation variables, then the caller's extras. Booleans are
 * `true`/`false`, counts plain integers, as the Go daemon wrote them.
 */
export function buildHealthEnv(
  processEnv: Record<string, string | undefined>,
  baseEnv: Record<string, string>,
  phase: HealthPhase,
  vars: HealthRunVars,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env[k] = v;
  Object.assign(env, baseEnv);
  env.RC_PHASE = phase;
  if (baseEnv.RC_NODE_NAME !== undefined) env.RC_NODE_NAME = baseEnv.RC_NODE_NAME;
  env.RC_LOCK_ENABLED = String(vars.lockEnabled);
  env.RC_LOCK_HELD = String(vars.lockHeld);
  env.RC_LOCK_ATTEMPTS = String(Math.trunc(vars.lockAttempts));
  Object.assign(env, vars.extra ?? {});
  return env;
}

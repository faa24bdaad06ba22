/** Front door of health/: runs the operator's health script safely, one run at a time. */
export { createHealthRunner, MAX_HEALTH_OUTPUT_BYTES } from "./runner.ts";
export type { HealthDeps, HealthPhase, HealthResult, HealthRunner, HealthRunnerOptions, HealthRunVars } from "./types.ts";

/**
 * Front door of the configuration domain: load and validate the YAML config (Go-compatible keys
 * and defaults, plus ours), and the values derived from it.
 */
export { ConfigSchema, type Config } from "./schema.ts";
export { DEFAULT_REBOOT_COMMAND } from "./_keys.ts";
export { MAX_TIMER_SEC, nameProblem } from "./_fields.ts";
export { DEFAULT_CONFIG_PATH, loadConfigFile, parseConfigText, type LoadOptions, type LoadResult } from "./load.ts";
export { effectiveLockKey, groupLimit, hasGroup, keyPrefix, policyConfig, type ResolvedConfig } from "./derived.ts";
export { baseEnvironment, formatDecimal, RC_VARIABLE_NAMES } from "./env.ts";
export type { KubernetesConfig } from "./_kubernetes.ts";
export type { AlertmanagerConfig } from "./_alertmanager.ts";
export type { CheckPhase, HealthCheckConfig } from "./_checks.ts";
export { FleetLockSchema, type FleetLockConfig } from "./_fleetlock.ts";
export { checkBaseUrl, checkListen } from "./_addresses.ts";
export { DEFAULT_DASHBOARD_LISTEN, exposureProblem, isLoopbackHost, listenHost, type DashboardConfig } from "./_dashboard.ts";
export { expandPlaceholders, type Expansion } from "./placeholders.ts";
export { goMigrationHints } from "./migration.ts";

/**
 * The RC_* environment handed to the health script and the reboot command (names and value formats
 * kept, see docs/WEAKNESSES.md §Compatibility: RC_* environment), with our additions: the
 * effective namespaced lock key (W15), windows as JSON arrays (W21: a comma-joined list is
 * ambiguous, expressions contain commas), the time zone, group, namespace and slot limit.
 */
import { effectiveLockKey, groupLimit, keyPrefix, type ResolvedConfig } from "./derived.ts";

/** Run-time facts that are not in the config file. */
export interface RuntimeEnvFacts {
  /** Effective dry-run (config or `--dry-run`; always true in `status`). */
  dryRun: boolean;
  /** Bound metrics address `host:port`, when the metrics server runs. */
  metricsEndpoint?: string;
  skipHealth?: boolean;
  skipLock?: boolean;
}

/** Per-invocation names the health runner adds on top of the base environment. */
export const RC_INVOCATION_VARIABLE_NAMES = [
  "RC_PHASE",
  "RC_LOCK_ENABLED",
  "RC_LOCK_HELD",
  "RC_LOCK_ATTEMPTS",
  "RC_BOOT_ID",
  "RC_CLUSTER_SIZE",
] as const;

/** Every RC_* name we may export; reboot_command placeholders may use any of them (W22). */
export const RC_VARIABLE_NAMES: readonly string[] = [
  "RC_NODE_NAME",
  "RC_DRY_RUN",
  "RC_LOCK_KEY",
  "RC_ETCD_ENDPOINTS",
  "RC_KILL_SWITCH_FILE",
  "RC_CLUSTER_MIN_HEALTHY_FRACTION",
  "RC_CLUSTER_MIN_HEALTHY_ABSOLUTE",
  "RC_CLUSTER_FORBID_IF_ONLY_FALLBACK_LEFT",
  "RC_CLUSTER_FALLBACK_NODES",
  "RC_WINDOWS_ALLOW",
  "RC_WINDOWS_DENY",
  "RC_WINDOWS_ALLOW_JSON",
  "RC_WINDOWS_DENY_JSON",
  "RC_WINDOWS_TIMEZONE",
  "RC_GROUP",
  "RC_ETCD_NAMESPACE",
  "RC_MAX_CONCURRENT_REBOOTS",
  "RC_METRICS_ENDPOINT",
  "RC_SKIP_HEALTH",
  "RC_SKIP_LOCK",
  ...RC_INVOCATION_VARIABLE_NAMES,
];

/**
 * The static RC_* variables for this config. Optional values are absent rather than empty, as
 * in Go, so scripts can test `[ -n "${RC_CLUSTER_FALLBACK_NODES:-}" ]`.
 */
export function baseEnvironment(cfg: ResolvedConfig, rt: RuntimeEnvFacts): Record<string, string> {
  const p = cfg.cluster_policies;
  const env: Record<string, string> = {
    RC_NODE_NAME: cfg.node_name,
    RC_DRY_RUN: String(rt.dryRun || cfg.dry_run),
    RC_LOCK_KEY: effectiveLockKey(cfg),
    // As configured (`10.0.0.10:2379`), not our normalised URLs: Go scripts parse this list.
    RC_ETCD_ENDPOINTS: cfg.etcd_endpoints_configured.join(","),
    RC_KILL_SWITCH_FILE: cfg.kill_switch_file,
  };
  if (p.min_healthy_fraction !== null) env.RC_CLUSTER_MIN_HEALTHY_FRACTION = formatDecimal(p.min_healthy_fraction);
  if (p.min_healthy_absolute !== null) env.RC_CLUSTER_MIN_HEALTHY_ABSOLUTE = String(p.min_healthy_absolute);
  env.RC_CLUSTER_FORBID_IF_ONLY_FALLBACK_LEFT = String(p.forbid_if_only_fallback_left);
  if (p.fallback_nodes.length > 0) env.RC_CLUSTER_FALLBACK_NODES = p.fallback_nodes.join(",");
  if (cfg.windows.allow.length > 0) env.RC_WINDOWS_ALLOW = cfg.windows.allow.join(",");
  if (cfg.windows.deny.length > 0) env.RC_WINDOWS_DENY = cfg.windows.deny.join(",");
  env.RC_WINDOWS_ALLOW_JSON = JSON.stringify(cfg.windows.allow);
  env.RC_WINDOWS_DENY_JSON = JSON.stringify(cfg.windows.deny);
  env.RC_WINDOWS_TIMEZONE = cfg.windows.timezone;
  env.RC_GROUP = cfg.group;
  env.RC_ETCD_NAMESPACE = keyPrefix(cfg);
  env.RC_MAX_CONCURRENT_REBOOTS = String(groupLimit(cfg, cfg.group));
  if (rt.metricsEndpoint !== undefined) env.RC_METRICS_ENDPOINT = rt.metricsEndpoint;
  if (rt.skipHealth === true) env.RC_SKIP_HEALTH = "true";
  if (rt.skipLock === true) env.RC_SKIP_LOCK = "true";
  return env;
}

/** Shortest decimal that round-trips, never in exponent form (`0.6`, `1`, `0.0000001`). */
export function formatDecimal(x: number): string {
  const s = String(x);
  if (!/e/i.test(s)) return s;
  // Only tiny fractions get here (the value is in (0, 1]): expand the exponent by hand.
  const [mantissa = "", expRaw = "0"] = s.split(/e/i);
  const exp = Number(expRaw);
  const digits = mantissa.replace(".", "").replace("-", "");
  const pointAt = (mantissa.split(".")[0] ?? "").replace("-", "").length + exp;
  const sign = x < 0 ? "-" : "";
  if (pointAt <= 0) return `${sign}0.${"0".repeat(-pointAt)}${digits}`;
  return `${sign}${digits.padEnd(pointAt, "0")}`;
}

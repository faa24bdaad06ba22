/**
 * Values derived from a loaded `Config`, computed in one place so every domain agrees on them.
 */
import type { Config } from "./schema.ts";

/** The normalized etcd namespace (`/clusterrebootd` by default): every key we use lives under it. */
export function keyPrefix(cfg: Config): string {
  return cfg.etcd_namespace;
}

/** The cluster policy thresholds in the shape cluster/policy.ts evaluates. */
export function policyConfig(cfg: Config) {
  const cp = cfg.cluster_policies;
  return {
    minHealthyFraction: cp.min_healthy_fraction,
    minHealthyAbsolute: cp.min_healthy_absolute,
    forbidIfOnlyFallbackLeft: cp.forbid_if_only_fallback_left,
    fallbackNodes: cp.fallback_nodes,
  };
}

/**
 * A config whose group is known: written in the file, or read from the node label named by
 * `group_from_node_label` (cli/_group.ts). Everything that takes or counts a slot needs one.
 */
export type ResolvedConfig = Config & { group: string };

export const hasGroup = (cfg: Config): cfg is ResolvedConfig => cfg.group !== null;

/** Slot limit of a group: `group_limits[group]`, else `max_concurrent_reboots`. */
export function groupLimit(cfg: Config, group: string): number {
  return Object.hasOwn(cfg.group_limits, group) ? (cfg.group_limits[group] ?? cfg.max_concurrent_reboots) : cfg.max_concurrent_reboots;
}

/**
 * The lock key as used in etcd: `lock_key` under the namespace (Go's applyNamespace).
 * W15: the Go example config spelled the namespace inside lock_key too, which doubled it
 * (`/prod/clusterrebootd/prod/clusterrebootd/lock`). A lock_key that already starts with the
 * namespace is therefore taken as the full key.
 */
export function effectiveLockKey(cfg: Config): string {
  const ns = cfg.etcd_namespace;
  const key = cfg.lock_key;
  return key === ns || key.startsWith(`${ns}/`) ? key : `${ns}${key}`;
}

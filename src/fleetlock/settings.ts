/**
 * BackendSettings from the loaded config, computed the way the daemon computes its Plan
 * (cli/_setup.ts planFromConfig), so a FleetLock client meets the same limits and gates as a node.
 */
import { policyConfig, type Config } from "../config/index.ts";
import type { PolicyConfig } from "../cluster/index.ts";
import type { WindowSet } from "../windows/index.ts";

/** What a FleetLock server decides with. */
export interface BackendSettings {
  /** The slot limit of a group, or undefined when this server does not serve the group. */
  limitFor(group: string): number | undefined;
  globalCap: number | null;
  slotTimeoutSec: number;
  /** Group cooldown started when a granted slot is released (min_reboot_interval_sec; 0 = none). */
  cooldownSec: number;
  windows: WindowSet;
  policy: PolicyConfig;
  publishIntervalMs: number;
  healthTimeoutMs: number;
  /** This server's name and pid, recorded in the slot so an operator can tell who granted it. */
  serverName: string;
  pid: number;
  /** fleetlock.bind_client_address: only the address that took a lock may release it. */
  bindClientAddress?: boolean;
  /** count_down_nodes and max_failed_reboots, as the daemons apply them (a client meets the same budget). */
  countDownNodes: boolean;
  maxFailedReboots: number;
}

/** The part of the `fleetlock:` block the backend needs (config/_fleetlock.ts). */
export interface FleetLockGroupsConfig {
  groups: Readonly<Record<string, number>>;
  allow_unknown_groups: boolean;
}

export function backendSettingsFromConfig(cfg: Config, fl: FleetLockGroupsConfig, who: { serverName: string; pid: number }): BackendSettings {
  return {
    limitFor: (group) => groupLimitFor(cfg, fl, group),
    globalCap: cfg.global_max_concurrent_reboots,
    slotTimeoutSec: cfg.reboot_slot_timeout_sec,
    cooldownSec: cfg.min_reboot_interval_sec,
    windows: cfg.window_set,
    policy: policyConfig(cfg),
    publishIntervalMs: cfg.health_publish_interval_sec * 1000,
    healthTimeoutMs: cfg.health_timeout_sec * 1000,
    serverName: who.serverName,
    pid: who.pid,
    countDownNodes: cfg.count_down_nodes,
    maxFailedReboots: cfg.max_failed_reboots,
    bindClientAddress: (fl as { bind_client_address?: boolean }).bind_client_address !== false,
  };
}

/**
 * `fleetlock.groups[g]`, else `group_limits[g]`, else `max_concurrent_reboots` for this node's
 * group and, with allow_unknown_groups, for any other; undefined = not served.
 */
export function groupLimitFor(
  cfg: Pick<Config, "group" | "group_limits" | "max_concurrent_reboots">,
  fl: FleetLockGroupsConfig,
  group: string,
): number | undefined {
  if (Object.hasOwn(fl.groups, group)) return fl.groups[group];
  if (Object.hasOwn(cfg.group_limits, group)) return cfg.group_limits[group];
  if (group === cfg.group || fl.allow_unknown_groups) return cfg.max_concurrent_reboots;
  return undefined;
}

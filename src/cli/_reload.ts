/**
 * SIGHUP: reload the config file (W12). The new file is validated like at start; on any problem the
 * old config stays in force and every problem is logged. Keys that shape the process itself
 * (identity, etcd connection, lease TTL, metrics listener, log level) need a restart: they keep
 * their old values and the log says so. Everything else applies from the next pass.
 */
import { loadConfigFile, type Config, type ResolvedConfig } from "../config/index.ts";
import type { Logger } from "../observe/index.ts";
import type { Env } from "./_context.ts";

export const RESTART_KEYS = [
  "node_name",
  "group",
  "group_from_node_label",
  "etcd_endpoints",
  "etcd_endpoints_configured",
  "etcd_namespace",
  "etcd_tls",
  "etcd_auth",
  "etcd_request_timeout_sec",
  "lock_key",
  "lock_ttl_sec",
  "metrics",
  "log_level",
] as const satisfies readonly (keyof Config)[];

export type ReloadResult =
  | { kind: "reloaded"; config: ResolvedConfig; changed: string[]; needRestart: string[] } // new config in force
  | { kind: "unchanged" } // the file says what we already run
  | { kind: "invalid"; problems: string[] }; // old config kept

export async function reloadConfig(path: string, current: ResolvedConfig, env: Env): Promise<ReloadResult> {
  const res = await loadConfigFile(path, { env });
  if (!res.ok) return { kind: "invalid", problems: res.problems };
  // The same group_from_node_label: the group read from it at start is still ours (a null here is
  // the file's "read it from the label", not a change).
  const sameLabel = res.config.group_from_node_label !== null && res.config.group_from_node_label === current.group_from_node_label;
  const next: Config = sameLabel ? { ...res.config, group: current.group } : res.config;
  const changed = (Object.keys(next) as (keyof Config)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
  if (changed.length === 0) return { kind: "unchanged" };
  const needRestart = changed.filter((k) => (RESTART_KEYS as readonly string[]).includes(k));
  const merged = { ...next } as Record<string, unknown>;
  for (const k of RESTART_KEYS) merged[k] = current[k];
  return { kind: "reloaded", config: merged as ResolvedConfig, changed, needRestart };
}

export function logReload(log: Logger, r: ReloadResult): void {
  switch (r.kind) {
    case "invalid":
      log.event("error", "config_reload_failed", { problems: r.problems, kept: "previous configuration" });
      return;
    case "unchanged":
      log.event("info", "config_reloaded", { changed: [] });
      return;
    case "reloaded":
      log.event(r.needRestart.length ? "warn" : "info", "config_reloaded", {
        changed: r.changed,
        ...(r.needRestart.length ? { restart_required_for: r.needRestart } : {}),
      });
  }
}

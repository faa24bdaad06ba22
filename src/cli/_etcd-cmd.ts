/** Helpers for the small etcd commands (cluster, pause, resume, unlock, forget). */
import { hostname } from "node:os";
import type { Config } from "../config/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import type { Keys } from "../slots/index.ts";
import { connect, loadOrFail } from "./_setup.ts";
import { errorJson } from "../observe/index.ts";

/**
 * Loads the config, connects, runs `fn`, always closes; etcd errors become exit 1 with the reason
 * (on stderr, and as a JSON error document on stdout when `json` is set).
 */
export async function withEtcd(
  configPath: string,
  fn: (ctx: { cfg: Config; gw: EtcdGateway; keys: Keys }) => Promise<Outcome>,
  opts: { json?: boolean } = {},
): Promise<Outcome> {
  const res = await loadOrFail(configPath);
  if (!res.ok) return res.outcome;
  let conn: { gw: EtcdGateway; keys: Keys } | undefined;
  try {
    conn = await connect(res.config);
    return await fn({ cfg: res.config, ...conn });
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${error}\n`);
    if (opts.json) process.stdout.write(JSON.stringify(errorJson(res.config, "etcd operation failed", error), null, 2) + "\n");
    return outcome("runtime_error", "etcd operation failed");
  } finally {
    await conn?.gw.close();
  }
}

/** `user@host` for pause/unlock records. */
export function actor(): string {
  const user = process.env["SUDO_USER"] || process.env["USER"] || process.env["LOGNAME"] || `uid${process.getuid?.() ?? "?"}`;
  return `${user}@${hostname()}`;
}

export const NODE_RE = /^[A-Za-z0-9._-]{1,63}$/;

/** A node name argument that cannot name an etcd key: the usage outcome (exit 64), said on stderr. */
export function badNodeName(cmd: string, node: string): Outcome | undefined {
  if (NODE_RE.test(node)) return undefined;
  process.stderr.write(`${cmd}: invalid node name ${JSON.stringify(node)} (letters, digits, '.', '_', '-'; at most 63)\n`);
  return outcome("usage", "bad node name");
}

/** A group name argument (same rule as node names and the config's group). */
export function badGroupName(cmd: string, group: string): Outcome | undefined {
  if (NODE_RE.test(group)) return undefined;
  process.stderr.write(`${cmd}: invalid group name ${JSON.stringify(group.slice(0, 80))} (letters, digits, '.', '_', '-'; at most 63)\n`);
  return outcome("usage", "bad group name");
}

export function age(iso: string | undefined, nowMs: number): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

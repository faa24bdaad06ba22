/** Helpers for the small etcd commands (cluster, pause, resume, unlock, forget). */
import { nameProblem, type Config } from "../config/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import type { Keys } from "../slots/index.ts";
import { connect, loadOrFail } from "./_setup.ts";
import { errorJson } from "../observe/index.ts";
import type { CliContext, Sink } from "./_context.ts";

/**
 * Loads the config, connects, runs `fn`, always closes; etcd errors become exit 1 with the reason
 * (on stderr, and as a JSON error document on stdout when `json` is set).
 */
export async function withEtcd(
  cli: CliContext,
  configPath: string,
  fn: (ctx: { cfg: Config; gw: EtcdGateway; keys: Keys }) => Promise<Outcome>,
  opts: { json?: boolean } = {},
): Promise<Outcome> {
  const res = await loadOrFail(configPath, cli);
  if (!res.ok) return res.outcome;
  let conn: { gw: EtcdGateway; keys: Keys } | undefined;
  try {
    conn = await connect(res.config);
    return await fn({ cfg: res.config, ...conn });
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    cli.stderr(`${error}\n`);
    if (opts.json) cli.stdout(JSON.stringify(errorJson(res.config, "etcd operation failed", error), null, 2) + "\n");
    return outcome("runtime_error", "etcd operation failed");
  } finally {
    await conn?.gw.close();
  }
}

/** `user@host` for pause/unlock records. */
export function actor(cli: Pick<CliContext, "env" | "ports">): string {
  const e = cli.env;
  // The real uid as before, not Host.uid() (effective uid, -1 where none): the record's text stays.
  const user = e["SUDO_USER"] || e["USER"] || e["LOGNAME"] || `uid${process.getuid?.() ?? "?"}`;
  return `${user}@${cli.ports.host.hostname()}`;
}

/**
 * A node or group name argument that cannot name an etcd key: the usage outcome (exit 64), said
 * on stderr. The rule is the config's own (`.` and `..` included: `P/requests/..` is not a node),
 * and the name is quoted short: a refused 10 KB argument must not flood the terminal.
 */
export function badNodeName(stderr: Sink, cmd: string, node: string, what = "node name"): Outcome | undefined {
  const problem = nameProblem(node);
  if (problem === null) return undefined;
  stderr(`${cmd}: invalid ${what} ${shortQuote(node)}: ${problem.replace(/, got .*$/s, "")}\n`);
  return outcome("usage", `bad ${what}`);
}

export const badGroupName = (stderr: Sink, cmd: string, group: string): Outcome | undefined => badNodeName(stderr, cmd, group, "group name");

/** JSON-quoted, cut to `max` characters with the full length said: for echoing untrusted input. */
export function shortQuote(s: string, max = 80): string {
  return s.length <= max ? JSON.stringify(s) : `${JSON.stringify(s.slice(0, max))}… (${s.length} characters)`;
}

export function age(iso: string | undefined, nowMs: number): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

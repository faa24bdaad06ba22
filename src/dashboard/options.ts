/**
 * The dashboard's settings from the `dashboard:` block and the command's flags (flags win), with
 * the same checks as the block: a valid listen address, basic auth and TLS each complete, and no
 * page beyond loopback without basic auth unless `--insecure-listen`. Reading the password and
 * TLS files happens here too, so every problem is reported before anything listens.
 */
import { readFile } from "node:fs/promises";
import { checkListen, exposureProblem, groupLimit, isLoopbackHost, listenHost, type Config, type DashboardConfig } from "../config/index.ts";
import type { BasicAuth } from "./_auth.ts";
import type { ViewOptions } from "./view.ts";

export interface DashboardFlags {
  listen?: string | undefined;
  basicAuthUser?: string | undefined;
  basicAuthPasswordFile?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  insecureListen?: boolean | undefined;
}

export interface DashboardSettings {
  listen: string;
  basicAuth?: BasicAuth;
  tls?: { cert: string; key: string };
  maxClients: number;
  heartbeatMs: number;
  minRefreshMs: number;
  /** Served beyond loopback (the command warns when that is without TLS). */
  exposed: boolean;
}

export type SettingsResult = { ok: true; settings: DashboardSettings; warnings: string[] } | { ok: false; problems: string[] };

export async function resolveSettings(block: DashboardConfig, flags: DashboardFlags, read: (path: string) => Promise<string> = (p) => readFile(p, "utf8")): Promise<SettingsResult> {
  const problems: string[] = [];
  const listen = flags.listen ?? block.listen;
  const listenName = flags.listen !== undefined ? "--listen" : "dashboard.listen";
  const badListen = checkListen(listen);
  if (badListen) problems.push(`${listenName}: ${badListen}`);
  const user = flags.basicAuthUser ?? block.basic_auth?.username;
  const passFile = flags.basicAuthPasswordFile ?? block.basic_auth?.password_file;
  if ((user === undefined) !== (passFile === undefined))
    problems.push(user === undefined ? "--basic-auth-password-file needs --basic-auth-user (or dashboard.basic_auth.username)" : "--basic-auth-user needs --basic-auth-password-file (or dashboard.basic_auth.password_file)");
  const cert = flags.tlsCert ?? block.tls?.cert_file;
  const key = flags.tlsKey ?? block.tls?.key_file;
  if ((cert === undefined) !== (key === undefined)) problems.push(cert === undefined ? "--tls-key needs --tls-cert (the certificate goes with the key)" : "--tls-cert needs --tls-key (the key goes with the certificate)");
  const insecure = flags.insecureListen === true || block.insecure_listen;
  if (!badListen) {
    const exposure = exposureProblem({ listen, basicAuth: user !== undefined && passFile !== undefined, insecureListen: insecure });
    if (exposure) problems.push(`${listenName}: ${exposure}`);
  }
  const file = async (what: string, path: string | undefined, check: (text: string) => string | null) => {
    if (path === undefined) return undefined;
    try {
      const text = await read(path);
      const bad = check(text);
      if (bad) problems.push(`${what}: ${path} ${bad}`);
      return bad ? undefined : text;
    } catch (e) {
      problems.push(`${what}: cannot read ${path}: ${reason(e)}`);
      return undefined;
    }
  };
  const pem = (kind: string) => (t: string) => (t.includes("-----BEGIN") ? null : `contains no PEM block; expected a PEM-encoded ${kind}`);
  const [password, certPem, keyPem] = await Promise.all([
    file(flags.basicAuthPasswordFile !== undefined ? "--basic-auth-password-file" : "dashboard.basic_auth.password_file", passFile, (t) => (t.trim() === "" ? "is empty" : null)),
    file(flags.tlsCert !== undefined ? "--tls-cert" : "dashboard.tls.cert_file", cert, pem("certificate")),
    file(flags.tlsKey !== undefined ? "--tls-key" : "dashboard.tls.key_file", key, pem("private key")),
  ]);
  if (user !== undefined && user.trim() === "") problems.push("--basic-auth-user: must not be blank");
  if (problems.length) return { ok: false, problems };
  const exposed = !isLoopbackHost(listenHost(listen));
  const warnings: string[] = [];
  if (exposed && password !== undefined && certPem === undefined) warnings.push(`the dashboard on ${listen} uses basic auth without TLS: the password travels in clear text (set --tls-cert and --tls-key)`);
  if (exposed && password === undefined) warnings.push(`the dashboard on ${listen} is open to anyone who can reach it (--insecure-listen)`);
  return {
    ok: true,
    warnings,
    settings: {
      listen,
      // As for etcd_auth.password_file: the file's trailing newline is not part of the password.
      ...(user !== undefined && password !== undefined ? { basicAuth: { username: user, password: password.replace(/\r?\n$/, "") } } : {}),
      ...(certPem !== undefined && keyPem !== undefined ? { tls: { cert: certPem, key: keyPem } } : {}),
      maxClients: block.max_clients,
      heartbeatMs: block.heartbeat_sec * 1000,
      minRefreshMs: block.min_refresh_ms,
      exposed,
    },
  };
}

/** What the view needs from the node's config: the same limits, windows and staleness as `cluster`. */
export function viewOptionsFromConfig(cfg: Config): ViewOptions {
  return {
    namespace: cfg.etcd_namespace,
    limitOf: (g) => groupLimit(cfg, g),
    globalCap: cfg.global_max_concurrent_reboots,
    // Not cfg.group: the viewer's own (often default) group shows once a node of it is known.
    configuredGroups: Object.keys(cfg.group_limits),
    windows: cfg.window_set,
    publishIntervalMs: cfg.health_publish_interval_sec * 1000,
    healthTimeoutMs: cfg.health_timeout_sec * 1000,
  };
}

function reason(e: unknown): string {
  const code = e !== null && typeof e === "object" && "code" in e ? String(e.code) : "";
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return e instanceof Error ? e.message : String(e);
}

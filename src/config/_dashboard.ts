/**
 * The `dashboard:` block: settings of `clusterrebootd dashboard`, the read-only live fleet page.
 * Every key is optional; the command's flags override them. Absent or null = every default.
 *
 * ```yaml
 * dashboard:
 *   listen: 127.0.0.1:8090          # loopback by default: expose it on purpose
 *   basic_auth: { username: ops, password_file: /etc/clusterrebootd/dashboard.password }
 *   tls: { cert_file: /etc/clusterrebootd/dashboard.crt, key_file: /etc/clusterrebootd/dashboard.key }
 *   insecure_listen: false          # true: a non-loopback address without basic auth is allowed
 *   max_clients: 32                 # open live streams at once; more get 503
 *   heartbeat_sec: 15               # comment line on idle streams so proxies keep them
 *   min_refresh_ms: 250             # at most one etcd read per this interval (≤ 4 per second)
 * ```
 *
 * Why the loopback rule: the page shows node names, health reasons and the pause reason of the
 * whole fleet. Served on another address it must be protected (basic auth) unless the operator
 * says in so many words that the network is trusted.
 */
import * as v from "valibot";
import { closed } from "./_issues.ts";
import { checkListen } from "./_addresses.ts";
import { bool, checked, defaultingPath, intSchema, problemCheck, str } from "./_fields.ts";

export const DEFAULT_DASHBOARD_LISTEN = "127.0.0.1:8090";
export const DEFAULT_DASHBOARD_MAX_CLIENTS = 32;
export const MAX_DASHBOARD_CLIENTS = 1024;
export const DEFAULT_DASHBOARD_HEARTBEAT_SEC = 15;
/** Bun closes idle connections after at most 255 s; the heartbeat must come well before. */
export const MAX_DASHBOARD_HEARTBEAT_SEC = 120;
export const DEFAULT_DASHBOARD_MIN_REFRESH_MS = 250;
export const MIN_DASHBOARD_REFRESH_MS = 50;
export const MAX_DASHBOARD_REFRESH_MS = 60_000;

/** True for 127.0.0.0/8, ::1 and localhost; false for every other host, and for "" (all interfaces). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host part of a checked `host:port`. */
export function listenHost(listen: string): string {
  return listen.slice(0, listen.lastIndexOf(":"));
}

/**
 * The rule shared by the block and the command's flags: returns the problem, or null. Exposing
 * the page beyond loopback needs basic auth, or `insecure_listen` to waive it.
 */
export function exposureProblem(s: { listen: string; basicAuth: boolean; insecureListen: boolean }): string | null {
  const host = listenHost(s.listen);
  if (isLoopbackHost(host) || s.basicAuth || s.insecureListen) return null;
  const where = host === "" ? "every interface" : host;
  return `${JSON.stringify(s.listen)} listens on ${where}, beyond loopback, without basic auth: set dashboard.basic_auth (or --basic-auth-user and --basic-auth-password-file), or accept an open page with dashboard.insecure_listen: true (--insecure-listen)`;
}

/** A key of a block that needs its partner: `what` go together. */
const partOf = (block: string, other: string, what: string) =>
  v.pipe(str(""), v.check((s: string) => s.trim() !== "", `is required when ${block} is set (${what} go together with ${other})`));
const BasicAuth = closed({
  username: partOf("dashboard.basic_auth", "password_file", "the user name and the password file"),
  password_file: partOf("dashboard.basic_auth", "username", "the user name and the password file"),
});
const Tls = closed({
  cert_file: partOf("dashboard.tls", "key_file", "the server certificate and key"),
  key_file: partOf("dashboard.tls", "cert_file", "the server certificate and key"),
});

const boundedInt = (min: number, max: number, def: number) =>
  v.nullish(v.pipe(intSchema(min, { default: def }), v.maxValue(max, (i) => `must be ≤ ${max}, got ${String(i.input)}`)), def);

const DashboardObject = closed({
  listen: v.nullish(v.pipe(defaultingPath(DEFAULT_DASHBOARD_LISTEN), problemCheck(checkListen)), DEFAULT_DASHBOARD_LISTEN),
  basic_auth: v.nullish(BasicAuth, null),
  tls: v.nullish(Tls, null),
  insecure_listen: bool(false),
  max_clients: boundedInt(1, MAX_DASHBOARD_CLIENTS, DEFAULT_DASHBOARD_MAX_CLIENTS),
  heartbeat_sec: boundedInt(1, MAX_DASHBOARD_HEARTBEAT_SEC, DEFAULT_DASHBOARD_HEARTBEAT_SEC),
  min_refresh_ms: boundedInt(MIN_DASHBOARD_REFRESH_MS, MAX_DASHBOARD_REFRESH_MS, DEFAULT_DASHBOARD_MIN_REFRESH_MS),
});

const exposure = (d: { listen: string; basic_auth: unknown; insecure_listen: boolean }) =>
  exposureProblem({ listen: d.listen, basicAuth: d.basic_auth !== null, insecureListen: d.insecure_listen });

export const DashboardSchema = v.nullish(
  v.pipe(
    checked(DashboardObject),
    v.forward(
      v.partialCheck(
        [["listen"], ["basic_auth"], ["insecure_listen"]],
        (d) => exposure(d) === null,
        (issue) => exposure(issue.input) ?? "",
      ),
      ["listen"],
    ),
  ),
  {},
);
export type DashboardConfig = v.InferOutput<typeof DashboardObject>;

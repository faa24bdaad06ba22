/**
 * The `fleetlock:` block: a FleetLock server (Zincati's reboot-lock protocol) backed by our etcd
 * reboot slots. Wire it into `ConfigObject` as `fleetlock: FleetLockSchema`; absent or null means
 * every default below. Existence of the TLS files is checked where the other files are (load.ts).
 *
 * ```yaml
 * fleetlock:
 *   enabled: true              # `run` also serves FleetLock; `clusterrebootd fleetlock serve` always does
 *   listen: 0.0.0.0:8080       # default 127.0.0.1:8080 (loopback: expose it on purpose)
 *   tls: { cert_file: /etc/clusterrebootd/fleetlock.crt, key_file: /etc/clusterrebootd/fleetlock.key }
 *   max_body_bytes: 4096
 *   groups: { workers: 2, default: 1 }   # per-group limits for FleetLock groups
 *   allow_unknown_groups: false
 * ```
 *
 * Groups and limits are the daemons' (W: one budget): a FleetLock group `g` is served when it is
 * listed in `fleetlock.groups`, in `group_limits`, or is this node's `group`; its limit is
 * `fleetlock.groups[g]`, else `group_limits[g]`, else `max_concurrent_reboots`, and the smallest
 * limit recorded by any current holder still wins (slots/acquire.ts). `allow_unknown_groups`
 * serves every valid group name with the default limit; off by default, because a client that
 * picks a fresh group name would otherwise get a budget of its own (only the global cap bounds it).
 *
 * There is no `default_group`: the protocol makes `client_params.group` mandatory, and Zincati
 * already sends `default` — our default group name — unless told otherwise.
 */
import * as v from "valibot";
import { closed, mapping } from "./_issues.ts";
import { checkListen } from "./_addresses.ts";
import { bool, defaultingPath, expected, intSchema, nameSchema, problemCheck, str } from "./_fields.ts";

export const DEFAULT_FLEETLOCK_LISTEN = "127.0.0.1:8080";
/** Zincati's body is ~100 bytes; a few KiB leave room for pretty-printing and extra fields. */
export const DEFAULT_FLEETLOCK_MAX_BODY_BYTES = 4096;
/** Upper bound: the body is two short strings; anything near this size is hostile. */
export const MAX_FLEETLOCK_BODY_BYTES = 65_536;

/** Both files or no `tls:` block: each names the other in its message. */
const tlsFile = (other: string) =>
  v.pipe(str(""), v.check((s: string) => s.trim() !== "", `is required when fleetlock.tls is set (server certificate and key go together with ${other})`));
const Tls = closed({ cert_file: tlsFile("key_file"), key_file: tlsFile("cert_file") });

export const FleetLockObject = closed({
  enabled: bool(false),
  listen: v.nullish(v.pipe(defaultingPath(DEFAULT_FLEETLOCK_LISTEN), problemCheck(checkListen)), DEFAULT_FLEETLOCK_LISTEN),
  /** Server TLS; null = plain HTTP (put it behind a TLS proxy or keep it on a private network). */
  tls: v.nullish(Tls, null),
  max_body_bytes: v.nullish(
    v.pipe(
      intSchema(64),
      v.maxValue(MAX_FLEETLOCK_BODY_BYTES, (i) => `must be ≤ ${MAX_FLEETLOCK_BODY_BYTES}, got ${String(i.input)}`),
    ),
    DEFAULT_FLEETLOCK_MAX_BODY_BYTES,
  ),
  groups: v.nullish(mapping(v.record(nameSchema, intSchema(1), expected("a mapping of group name to limit"))), () => ({})),
  allow_unknown_groups: bool(false),
  /**
   * A secret path prefix: clients use base_url = "http://host:port/<secret>/" and requests without
   * it get 404 (FleetLock has no client authentication; Zincati can only send a URL). null = none.
   */
  url_secret: v.nullish(
    v.pipe(
      v.string(expected("a string of at least 16 characters of A-Z a-z 0-9 _ -")),
      v.regex(/^[A-Za-z0-9_-]{16,128}$/, (i) => `must be 16-128 characters of A-Z a-z 0-9 _ - (it is a URL path segment), got ${String(i.input).length} characters`),
    ),
    null,
  ),
  /** A lock is bound to the client address that took it: a steady-state from elsewhere does not release it. */
  bind_client_address: bool(true),
});

/** The block as it appears under `fleetlock:` (absent or null = all defaults). */
export const FleetLockSchema = v.nullish(FleetLockObject, {});
export type FleetLockConfig = v.InferOutput<typeof FleetLockObject>;

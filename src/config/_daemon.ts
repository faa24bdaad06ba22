/**
 * Config blocks of the long-running daemon beyond the Go keys: webhook notifications and the
 * deferral while interactive users are logged in.
 */
import * as v from "valibot";
import { closed, mapping } from "./_issues.ts";
import { bool, expected, list, nameSchema, problemCheck, seconds, str } from "./_fields.ts";
import { checkBaseUrl } from "./_addresses.ts";

/**
 * The webhook events, documented in README §Notifications (src/observe/notify.ts sends them).
 * Append only: receivers filter on these names.
 */
export const NOTIFICATION_EVENTS = ["reboot_started", "node_healthy", "blocked", "stale_slot_freed", "reboot_failed", "group_frozen"] as const;

const Webhook = closed({
  url: v.pipe(
    v.string(expected("a URL")),
    problemCheck((s: string) => {
      try {
        const u = new URL(s);
        return u.protocol === "http:" || u.protocol === "https:" ? null : `must be an http(s) URL, got ${JSON.stringify(s)}`;
      } catch {
        return `must be an http(s) URL, got ${JSON.stringify(s)}`;
      }
    }),
  ),
  /** Which events to send; default all. */
  events: list(v.picklist(NOTIFICATION_EVENTS, expected(`one of ${NOTIFICATION_EVENTS.join(", ")}`)), [...NOTIFICATION_EVENTS]),
  timeout_sec: seconds(1, 5),
  /** Extra attempts after the first, with backoff; a notification never blocks a reboot. */
  retries: v.nullish(v.pipe(v.number(expected("an integer")), v.integer(), v.minValue(0, "must be ≥ 0"), v.maxValue(10, "must be ≤ 10")), 3),
  headers: v.nullish(mapping(v.record(v.string(), v.string(expected("a string")), expected("a mapping of header name to value"))), () => ({})),
});

export const NotificationsSchema = v.nullish(
  closed({
    webhooks: list(Webhook, []),
    /** Send `blocked` once a node has needed a reboot but been blocked this long. */
    blocked_threshold_sec: seconds(1, 3600),
    /**
     * Send `reboot_failed` (cause unhealthy_after_boot) once a node back from its reboot has failed
     * its post-boot checks this long (it keeps its slot; its group waits behind it).
     */
    unhealthy_after_boot_sec: seconds(1, 600),
  }),
  () => ({ webhooks: [], blocked_threshold_sec: 3600, unhealthy_after_boot_sec: 600 }),
);

export const InteractiveUsersSchema = v.nullish(
  closed({
    /** Wait while someone is logged in (utmp USER_PROCESS entries), like locksmith and Zincati. */
    defer: bool(false),
    /** Give up waiting after this long and reboot anyway (bounded deferral). */
    max_defer_sec: seconds(1, 3600),
  }),
  () => ({ defer: false, max_defer_sec: 3600 }),
);

/** Where slots come from: our etcd protocol, or a remote FleetLock server (airlock, fleetlock, ours). */
export const LockBackendSchema = v.nullish(v.picklist(["etcd", "fleetlock"], expected("etcd or fleetlock")), "etcd");

export const FleetLockClientSchema = v.nullish(
  closed({
    /** Base URL of the FleetLock server, e.g. http://10.0.0.10:8080/ */
    url: v.pipe(v.string(expected("a URL")), problemCheck(checkBaseUrl)),
    /** FleetLock group; default: this node's `group`. */
    group: v.nullish(nameSchema, null),
    /** Client id; default: node_name. */
    id: v.nullish(nameSchema, null),
    /** Extra CA (PEM) for an https server with a private CA. */
    ca_file: str(""),
    timeout_sec: seconds(1, 30),
  }),
  null,
);

/**
 * Every key of the config file: every key of the Go clusterrebootd config, same meaning and
 * defaults (docs/WEAKNESSES.md §Compatibility: config keys), plus our own keys, each with its type,
 * default and the rules about it alone. The output is the YAML's snake_case shape, fully defaulted,
 * with the etcd namespace, lock key, endpoints and windows parsed.
 *
 * Unknown keys are errors at every level (the loader lists *all* of them, see `_issues.ts`). Rules
 * relating several top-level keys are in `schema.ts`; checks that need the file system or the
 * environment run in `load.ts` after the schema.
 */
import * as v from "valibot";
import { closed, mapping } from "./_issues.ts";
import { checkTimeZone, windowSet } from "../windows/index.ts";
import { endpoint, parsedBy, windowExpression } from "./_parsed.ts";
import { checkHostname, checkListen, normalizeKeyPath } from "./_addresses.ts";
import { Detector, detectorsRules } from "./_detector.ts";
import { bool, checked, defaultingPath, expected, int, intSchema, list, nameSchema, optInt, problemCheck, str, seconds } from "./_fields.ts";
import { AlertmanagerSchema } from "./_alertmanager.ts";
import { FleetLockClientSchema, InteractiveUsersSchema, LockBackendSchema, NotificationsSchema } from "./_daemon.ts";
import { FleetLockSchema } from "./_fleetlock.ts";
import { DashboardSchema } from "./_dashboard.ts";
import { KubernetesSchema, labelKeySchema } from "./_kubernetes.ts";
import { HealthChecksSchema } from "./_checks.ts";

const DEFAULT_LOCK_KEY = "/cluster/clusterrebootd/lock";
/** Every key we write lives under this prefix, so one etcd role covers the daemon (W15). */
const DEFAULT_NAMESPACE = "/clusterrebootd";
const DEFAULT_KILL_SWITCH_FILE = "/etc/clusterrebootd/disable";
const DEFAULT_METRICS_LISTEN = "127.0.0.1:9090";
export const DEFAULT_REBOOT_COMMAND: readonly string[] = [
  "/sbin/shutdown",
  "-r",
  "now",
  "coordinated reboot for ${RC_NODE_NAME}",
];
/** A slot is freed this long after its node went down and never came back. */
const MIN_SLOT_TIMEOUT_SEC = 120;

// --- etcd ---

const keyPath = (def: string) =>
  v.nullish(
    v.pipe(
      v.string(expected("a string")),
      v.transform((s) => (s === "" ? def : s)), // Go: "" means the default
      parsedBy(normalizeKeyPath),
    ),
    def,
  );

const EtcdTlsObject = closed({
  enabled: bool(false),
  ca_file: str(""),
  /** Client certificate and key: both or neither (neither = server-only TLS, W26). */
  cert_file: str(""),
  key_file: str(""),
  /**
   * Go's key, accepted only as false: the etcd client cannot skip verification, and a key that
   * validates but does nothing would leave the operator believing the opposite of what happens.
   */
  insecure_skip_verify: v.nullish(
    v.pipe(
      v.boolean(expected("true or false")),
      problemCheck((b: boolean) =>
        b
          ? "true is not supported: etcd server certificates are always verified; set ca_file to the CA that signed them " +
            "(and server_name if the certificates do not name the endpoints), or remove the key"
          : null,
      ),
    ),
    false,
  ),
  /** TLS name to verify when endpoints are IP addresses (Bun refuses IPs as server names). */
  server_name: v.nullish(
    v.pipe(
      v.string(expected("a string")),
      problemCheck((s: string) => (s === "" ? null : checkHostname(s))),
      v.transform((s): string | null => (s === "" ? null : s)),
    ),
    null,
  ),
});

const blank = (s: string | null) => s === null || s.trim() === "";

const EtcdTls = v.pipe(
  checked(EtcdTlsObject),
  v.forward(
    v.partialCheck(
      [["enabled"], ["ca_file"], ["insecure_skip_verify"]],
      (t) => !t.enabled || !blank(t.ca_file),
      "is required when etcd_tls.enabled is true (the CA that signed the etcd server certificates)",
    ),
    ["ca_file"],
  ),
  // Client certificate and key: both or neither. Each rule leaves out ca_file, so a missing CA
  // does not hide a missing key.
  v.forward(
    v.partialCheck([["enabled"], ["cert_file"], ["key_file"]], (t) => !t.enabled || !blank(t.cert_file) || blank(t.key_file), "is required when key_file is set (client certificate and key go together)"),
    ["cert_file"],
  ),
  v.forward(
    v.partialCheck([["enabled"], ["cert_file"], ["key_file"]], (t) => !t.enabled || !blank(t.key_file) || blank(t.cert_file), "is required when cert_file is set (client certificate and key go together)"),
    ["key_file"],
  ),
);

const set = (s: string | null) => s !== null && s !== "";

// One problem at most: without a username the secrets are not looked at.
const EtcdAuth = v.pipe(
  checked(closed({ username: str(null), password: str(null), password_file: str(null) })),
  v.forward(v.partialCheck([["username"], ["password"], ["password_file"]], (a) => !blank(a.username), "is required when etcd_auth is set"), ["username"]),
  v.partialCheck([["username"], ["password"], ["password_file"]], (a) => blank(a.username) || !set(a.password) || !set(a.password_file), "set exactly one of password and password_file, not both"),
  v.partialCheck(
    [["username"], ["password"], ["password_file"]],
    (a) => blank(a.username) || set(a.password) || set(a.password_file),
    (issue) => `username ${JSON.stringify(issue.input.username)} needs exactly one of password or password_file`,
  ),
  // Consumers test `!== null`; "" was "not set" above too.
  v.transform((a) => ({ username: a.username ?? "", password: a.password || null, password_file: a.password_file || null })),
);

// --- the whole file ---

export const ConfigObject = closed({
  node_name: nameSchema,
  reboot_required_detectors: v.pipe(
    v.array(Detector, expected("a list of detectors")),
    v.minLength(1, "must list at least one detector (the Go daemon refuses an empty list too)"),
    detectorsRules,
  ),
  health_script: v.pipe(
    v.string(expected("an absolute path")),
    v.transform((s) => s.trim()), // Go trims the path
    problemCheck((s: string) =>
      s === "" ? "must not be blank" : s.startsWith("/") ? null : `must be an absolute path, got ${JSON.stringify(s)}`,
    ),
  ),
  health_timeout_sec: seconds(1, 30),
  health_publish_interval_sec: seconds(1, 15),
  check_interval_sec: seconds(1, 60),
  backoff_min_sec: seconds(1, 5),
  backoff_max_sec: seconds(1, 60),
  /** 0 = cooldown disabled (Go semantics, so 0 is valid here). */
  min_reboot_interval_sec: seconds(0, 0),
  lock_key: keyPath(DEFAULT_LOCK_KEY),
  lock_ttl_sec: seconds(1, 90),
  // Required unless lock_backend is fleetlock (rule in schema.ts).
  etcd_endpoints: v.nullish(v.array(endpoint, expected("a list of endpoints")), () => []),
  etcd_namespace: keyPath(DEFAULT_NAMESPACE),
  etcd_request_timeout_sec: seconds(1, 5),
  etcd_tls: v.nullish(EtcdTls, {}),
  etcd_auth: v.nullish(EtcdAuth, null),
  reboot_command: v.nullish(
    v.pipe(
      v.array(v.string(expected("a string")), expected("a list of strings (argv, no shell)")),
      v.minLength(1, "must not be empty: omit the key for the default shutdown command"),
      problemCheck((argv: string[]) => ((argv[0] ?? "x").trim() === "" ? "the first element must name the program to run" : null)),
    ),
    () => [...DEFAULT_REBOOT_COMMAND],
  ),
  cluster_policies: v.nullish(
    closed({
      min_healthy_fraction: v.nullish(
        v.pipe(
          v.number(expected("a number")),
          problemCheck((f: number) => (f > 0 && f <= 1 ? null : `must be > 0 and ≤ 1, got ${f}`)),
        ),
        null,
      ),
      min_healthy_absolute: optInt(0),
      forbid_if_only_fallback_left: bool(false),
      fallback_nodes: list(nameSchema, []),
    }),
    {},
  ),
  windows: v.nullish(
    v.pipe(
      closed({
        deny: list(windowExpression, []),
        allow: list(windowExpression, []),
        /** IANA zone name or "local" (W21: Go always used the process zone). */
        timezone: v.nullish(v.pipe(v.string(expected("a time zone name")), problemCheck(checkTimeZone)), "local"),
      }),
      // The expressions as written (RC_WINDOWS_*, status), and the set the gates evaluate.
      v.transform((w) => ({
        deny: w.deny.map((x) => x.text),
        allow: w.allow.map((x) => x.text),
        timezone: w.timezone,
        set: windowSet(w.timezone, w.deny.map((x) => x.window), w.allow.map((x) => x.window)),
      })),
    ),
    {},
  ),
  kill_switch_file: v.nullish(
    v.pipe(
      defaultingPath(DEFAULT_KILL_SWITCH_FILE),
      problemCheck((s: string) =>
        s.trim() === ""
          ? `must not be blank: a blank path would silently disable the kill switch; omit the key for the default ${DEFAULT_KILL_SWITCH_FILE}`
          : null,
      ),
    ),
    DEFAULT_KILL_SWITCH_FILE,
  ),
  metrics: v.nullish(
    closed({
      enabled: bool(false),
      listen: v.nullish(v.pipe(defaultingPath(DEFAULT_METRICS_LISTEN), problemCheck(checkListen)), DEFAULT_METRICS_LISTEN),
    }),
    {},
  ),
  dry_run: bool(false),
  log_level: v.nullish(v.picklist(["debug", "info", "warn", "error"], expected("one of debug, info, warn, error")), "info"),
  // --- reboot slots (ours) ---
  /** null until finalizeConfig (schema.ts): "default" unless group_from_node_label names where it comes from. */
  group: v.nullish(nameSchema, null),
  /** Take `group` from this label of our Kubernetes node (zone-aware budgets); read at start. */
  group_from_node_label: v.nullish(labelKeySchema, null),
  /** Slot limit of this node's group, unless group_limits overrides it. */
  max_concurrent_reboots: int(1, 1),
  group_limits: v.nullish(mapping(v.record(nameSchema, intSchema(1), expected("a mapping of group name to limit"))), () => ({})),
  global_max_concurrent_reboots: optInt(1),
  reboot_slot_timeout_sec: seconds(
    MIN_SLOT_TIMEOUT_SEC,
    1800,
    "a slot whose node never comes back is freed after this, so it must exceed a slow reboot (firmware, disk checks)",
  ),
  reboot_grace_sec: seconds(1, 300),
  /**
   * A member with no live session or a stale health record counts as down against its group's
   * limit and the global cap (a node that lost power is down without a slot). false: slots only.
   */
  count_down_nodes: bool(true),
  /** Failed reboots (never back, unhealthy past the deadline, did not happen) before the group freezes; 0 = never. */
  max_failed_reboots: int(0, 1),
  /** How long a `run --timer` pass leaves its health record, so peers do not count it down between passes. */
  timer_presence_sec: seconds(60, 900, "peers count a timer node as down once this passes without a pass: make it longer than the timer's interval"),
  max_reboots_per_node: int(1, 3),
  reboot_loop_window_sec: seconds(1, 86400),
  notifications: NotificationsSchema,
  interactive_users: InteractiveUsersSchema,
  fleetlock: FleetLockSchema,
  kubernetes: KubernetesSchema,
  health_checks: HealthChecksSchema,
  lock_backend: LockBackendSchema,
  fleetlock_client: FleetLockClientSchema,
  dashboard: DashboardSchema,
  alertmanager: AlertmanagerSchema,
});

/** The object before the rules of schema.ts and the final shape. */
export type ConfigObjectOutput = v.InferOutput<typeof ConfigObject>;

import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { baseConfig, load, loadData, problemsOf, withKeys } from "./_helpers.ts";

const CA = "/etc/clusterrebootd/ca.pem";
const tls = (t: Record<string, unknown>, more: Record<string, unknown> = {}) =>
  withKeys({ etcd_tls: { enabled: true, ca_file: CA, ...t }, ...more });
const detector = (d: Record<string, unknown>) => withKeys({ reboot_required_detectors: [d] });
const policies = (p: Record<string, unknown>) => withKeys({ cluster_policies: p });
const windows = (w: Record<string, unknown>) => withKeys({ windows: w });
const twoDetectors = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  withKeys({ reboot_required_detectors: [a, b] });

/** [what is wrong, config data, the problem that must be reported: "path: start of message"] */
const BAD: [string, Record<string, unknown>, string][] = [
  // identity
  ["node_name missing", withKeys({ node_name: undefined }), "node_name: is required"],
  ["node_name null", withKeys({ node_name: null }), "node_name: is empty; expected a string"],
  ["node_name with a slash", withKeys({ node_name: "a/b" }), "node_name: must be 1–63 characters of A-Z a-z 0-9 . _ -"],
  ["node_name ..", withKeys({ node_name: ".." }), `node_name: must not be "." or ".."`],
  ["node_name too long", withKeys({ node_name: "n".repeat(64) }), "node_name: must be 1–63 characters"],
  ["node_name a number", withKeys({ node_name: 42 }), "node_name: expected a string, got 42"],
  ["group with ..", withKeys({ group: "../x" }), "group: must be 1–63 characters"],
  // alertmanager silences
  ["alertmanager without url", withKeys({ alertmanager: { matchers: [{ name: "node", value: "n1" }] } }), "alertmanager.url: is required"],
  ["alertmanager url not http", withKeys({ alertmanager: { url: "ftp://am" } }), `alertmanager.url: must be an http:// or https:// URL, got "ftp://am"`],
  ["alertmanager with no matchers", withKeys({ alertmanager: { url: "http://am:9093", matchers: [] } }), "alertmanager.matchers: must list at least one matcher"],
  ["alertmanager matcher with a bad label name", withKeys({ alertmanager: { url: "http://am:9093", matchers: [{ name: "a-b", value: "x" }] } }), "alertmanager.matchers[0].name: must be a label name"],
  ["alertmanager matcher with an empty value", withKeys({ alertmanager: { url: "http://am:9093", matchers: [{ name: "node", value: "" }] } }), "alertmanager.matchers[0].value: must not be empty"],
  ["alertmanager matcher with an unknown placeholder", withKeys({ alertmanager: { url: "http://am:9093", matchers: [{ name: "node", value: "${HOST}" }] } }), "alertmanager.matchers[0]: unknown placeholder $HOST"],
  ["alertmanager matcher with a bad regex", withKeys({ alertmanager: { url: "http://am:9093", matchers: [{ name: "node", value: "(", is_regex: true }] } }), "alertmanager.matchers[0]: value is not a valid regular expression"],
  ["alertmanager timeout above 30", withKeys({ alertmanager: { url: "http://am:9093", timeout_sec: 60 } }), "alertmanager.timeout_sec: must be ≤ 30"],
  ["alertmanager unknown key", withKeys({ alertmanager: { url: "http://am:9093", matcher: [] } }), `alertmanager.matcher: unknown key`],
  ["notifications.unhealthy_after_boot_sec 0", withKeys({ notifications: { unhealthy_after_boot_sec: 0 } }), "notifications.unhealthy_after_boot_sec: must be > 0, got 0"],
  // unknown keys
  ["unknown top-level key", withKeys({ nodename: "x" }), `nodename: unknown key (did you mean "node_name"?)`],
  ["unknown key named like an Object method", withKeys({ toString: 1 }), "toString: unknown key"],
  ["unknown nested key named like an Object method", withKeys({ metrics: { constructor: 1 } }), "metrics.constructor: unknown key"],
  ["unknown nested key", withKeys({ etcd_tls: { enable: true } }), `etcd_tls.enable: unknown key (did you mean "enabled"?)`],
  ["unknown detector key", detector({ type: "file", path: "/x", pth: "/y" }), "reboot_required_detectors[0].pth: unknown key"],
  ["unknown key in metrics", withKeys({ metrics: { port: 9090 } }), "metrics.port: unknown key"],
  // detectors
  ["no detectors", withKeys({ reboot_required_detectors: [] }), "reboot_required_detectors: must list at least one detector"],
  ["detectors not a list", withKeys({ reboot_required_detectors: "file" }), "reboot_required_detectors: expected a list of detectors"],
  ["detector type missing", detector({ path: "/x" }), "reboot_required_detectors[0].type: is required"],
  ["detector type unknown", detector({ type: "script", path: "/x" }), `reboot_required_detectors[0].type: expected "file" or "command", got "script"`],
  ["file detector without path", detector({ type: "file" }), "reboot_required_detectors[0].path: is required for a file detector"],
  ["command detector without cmd", detector({ type: "command" }), "reboot_required_detectors[0].cmd: is required for a command detector"],
  ["command detector with blank argv[0]", detector({ type: "command", cmd: [" "] }), "reboot_required_detectors[0].cmd[0]: must name the program"],
  ["detector timeout 0", detector({ type: "command", cmd: ["x"], timeout_sec: 0 }), `reboot_required_detectors[0].timeout_sec: must be > 0, got 0: in the Go daemon 0 meant "no timeout"`],
  ["detector timeout not an integer", detector({ type: "command", cmd: ["x"], timeout_sec: 1.5 }), "reboot_required_detectors[0].timeout_sec: must be an integer, got 1.5"],
  ["exit code as string", detector({ type: "command", cmd: ["x"], success_exit_codes: ["1"] }), `reboot_required_detectors[0].success_exit_codes[0]: expected an integer exit code, got "1"`],
  ["exit code out of range", detector({ type: "command", cmd: ["x"], success_exit_codes: [256] }), "reboot_required_detectors[0].success_exit_codes[0]: must be an exit code 0–255"],
  ["duplicate detector names", twoDetectors({ name: "a", type: "file", path: "/x" }, { name: "a", type: "file", path: "/y" }), `reboot_required_detectors[1].name: duplicate detector name "a"`],
  ["duplicate default names", twoDetectors({ type: "file", path: "/x" }, { type: "file", path: "/x" }), `reboot_required_detectors[1]: duplicate detector name "file:/x"`],
  // health and timing
  ["relative health_script", withKeys({ health_script: "bin/health" }), `health_script: must be an absolute path, got "bin/health"`],
  ["blank health_script", withKeys({ health_script: " " }), "health_script: must not be blank"],
  ["health_timeout_sec 0", withKeys({ health_timeout_sec: 0 }), "health_timeout_sec: must be > 0, got 0 (omit the key to use the default, 30)"],
  ["health_timeout_sec a string", withKeys({ health_timeout_sec: "30" }), `health_timeout_sec: expected an integer, got "30" (a string)`],
  ["check_interval_sec fractional", withKeys({ check_interval_sec: 2.5 }), "check_interval_sec: must be an integer, got 2.5"],
  ["health_publish_interval_sec negative", withKeys({ health_publish_interval_sec: -1 }), "health_publish_interval_sec: must be > 0, got -1"],
  ["lock_ttl_sec ≤ health_timeout_sec", withKeys({ health_timeout_sec: 60, lock_ttl_sec: 60 }), "lock_ttl_sec: must be greater than health_timeout_sec (60), got 60"],
  ["backoff_max < backoff_min", withKeys({ backoff_min_sec: 10, backoff_max_sec: 5 }), "backoff_max_sec: must be ≥ backoff_min_sec (10), got 5"],
  ["min_reboot_interval_sec negative", withKeys({ min_reboot_interval_sec: -1 }), "min_reboot_interval_sec: must be ≥ 0, got -1"],
  // slots
  ["slot timeout below 120", withKeys({ reboot_slot_timeout_sec: 100 }), "reboot_slot_timeout_sec: must be ≥ 120, got 100: a slot whose node never comes back"],
  ["slot timeout ≤ lock TTL", withKeys({ lock_ttl_sec: 200, reboot_slot_timeout_sec: 200 }), "reboot_slot_timeout_sec: must be greater than lock_ttl_sec (200), got 200: the slot of a rebooting node must outlast a slow reboot"],
  ["grace ≥ slot timeout", withKeys({ reboot_grace_sec: 1800 }), "reboot_grace_sec: must be less than reboot_slot_timeout_sec (1800)"],
  ["max_concurrent_reboots 0", withKeys({ max_concurrent_reboots: 0 }), "max_concurrent_reboots: must be > 0, got 0"],
  ["group_limits bad group name", withKeys({ group_limits: { "rack/a": 2 } }), `group_limits["rack/a"]: must be 1–63 characters`],
  ["group_limits limit 0", withKeys({ group_limits: { "rack-a": 0 } }), "group_limits.rack-a: must be > 0, got 0"],
  ["global cap 0", withKeys({ global_max_concurrent_reboots: 0 }), "global_max_concurrent_reboots: must be > 0, got 0"],
  // zone-aware groups
  ["group label key invalid", withKeys({ group_from_node_label: "topology.kubernetes.io/", kubernetes: {} }), `group_from_node_label: label key "topology.kubernetes.io/" is invalid`],
  ["group label not a string", withKeys({ group_from_node_label: 1, kubernetes: {} }), "group_from_node_label: expected a label key, got 1"],
  ["group label and group", withKeys({ group: "rack-a", group_from_node_label: "topology.kubernetes.io/zone", kubernetes: {} }), `group_from_node_label: conflicts with group ("rack-a")`],
  ["group label without kubernetes", withKeys({ group_from_node_label: "topology.kubernetes.io/zone" }), `group_from_node_label: needs the kubernetes: block`],
  ["max_reboots_per_node 0", withKeys({ max_reboots_per_node: 0 }), "max_reboots_per_node: must be > 0, got 0"],
  // etcd
  ["no endpoints", withKeys({ etcd_endpoints: [] }), "etcd_endpoints: must list at least one etcd endpoint"],
  ["endpoint without port", withKeys({ etcd_endpoints: ["localhost"] }), "etcd_endpoints[0]: missing port"],
  ["endpoint with unknown scheme", withKeys({ etcd_endpoints: ["unix://127.0.0.1:1"] }), `etcd_endpoints[0]: unsupported scheme "unix"`],
  ["endpoint port out of range", withKeys({ etcd_endpoints: ["127.0.0.1:70000"] }), `etcd_endpoints[0]: invalid port "70000"`],
  ["http endpoint with TLS", tls({}, { etcd_endpoints: ["http://127.0.0.1:2379"] }), "etcd_endpoints[0]: \"http://127.0.0.1:2379\" is plain text but etcd_tls.enabled is true"],
  ["https endpoint without TLS", withKeys({ etcd_endpoints: ["https://127.0.0.1:2379"] }), "etcd_endpoints[0]: \"https://127.0.0.1:2379\" needs etcd_tls.enabled: true"],
  ["duplicate endpoint", withKeys({ etcd_endpoints: ["127.0.0.1:2379", "http://127.0.0.1:2379"] }), "etcd_endpoints[1]: duplicate endpoint http://127.0.0.1:2379"],
  ["request timeout ≥ lock TTL", withKeys({ etcd_request_timeout_sec: 90 }), "etcd_request_timeout_sec: must be less than lock_ttl_sec (90), got 90"],
  ["namespace with ..", withKeys({ etcd_namespace: "/a/../b" }), `etcd_namespace: must not contain "." or ".." segments`],
  ["namespace of only a slash", withKeys({ etcd_namespace: "/" }), "etcd_namespace: must name at least one path segment"],
  ["namespace with a space", withKeys({ etcd_namespace: "/my cluster" }), "etcd_namespace: segments may only use A-Z a-z 0-9 . _ -"],
  ["lock_key with an empty segment", withKeys({ lock_key: "/a//lock" }), `lock_key: must not contain empty segments ("//")`],
  ["etcd_tls not a mapping", withKeys({ etcd_tls: true }), "etcd_tls: expected a mapping, got true"],
  ["cluster_policies a list", withKeys({ cluster_policies: [] }), "cluster_policies: expected a mapping, got a list"],
  ["group_limits a list", withKeys({ group_limits: [1] }), "group_limits: expected a mapping, got a list"],
  ["detector entry empty", withKeys({ reboot_required_detectors: [null] }), "reboot_required_detectors[0]: is empty; expected a mapping"],
  ["TLS without CA", tls({ ca_file: "" }), "etcd_tls.ca_file: is required when etcd_tls.enabled is true"],
  ["TLS cert without key", tls({ cert_file: "/etc/clusterrebootd/client.pem" }), "etcd_tls.key_file: is required when cert_file is set"],
  ["TLS CA file missing", tls({ ca_file: "/etc/clusterrebootd/missing.pem" }), "etcd_tls.ca_file: cannot read /etc/clusterrebootd/missing.pem: no such file or directory"],
  ["TLS CA file unreadable", tls({ ca_file: "/etc/clusterrebootd/unreadable.pem" }), "etcd_tls.ca_file: cannot read /etc/clusterrebootd/unreadable.pem: permission denied"],
  ["TLS key not PEM", tls({ cert_file: "/etc/clusterrebootd/client.pem", key_file: "/etc/clusterrebootd/not-pem.txt" }), `etcd_tls.key_file: /etc/clusterrebootd/not-pem.txt contains no PEM block ("-----BEGIN …"); expected a PEM-encoded private key`],
  ["TLS server_name not a DNS name", tls({ server_name: "etcd one" }), "etcd_tls.server_name: expected a DNS name"],
  ["auth without username", withKeys({ etcd_auth: { password: "x" } }), "etcd_auth.username: is required when etcd_auth is set"],
  ["auth without secret", withKeys({ etcd_auth: { username: "u" } }), `etcd_auth: username "u" needs exactly one of password or password_file`],
  ["auth with both secrets", withKeys({ etcd_auth: { username: "u", password: "p", password_file: "/etc/clusterrebootd/etcd-password" } }), "etcd_auth: set exactly one of password and password_file, not both"],
  ["auth password file missing", withKeys({ etcd_auth: { username: "u", password_file: "/nope" } }), "etcd_auth.password_file: cannot read /nope: no such file or directory"],
  // reboot command
  ["empty reboot_command", withKeys({ reboot_command: [] }), "reboot_command: must not be empty"],
  ["unknown placeholder", withKeys({ reboot_command: ["/sbin/shutdown", "-r", "now", "bye ${NODE}"] }), "reboot_command[3]: unknown placeholder $NODE"],
  ["malformed placeholder", withKeys({ reboot_command: ["/sbin/shutdown", "${RC_NODE_NAME"] }), `reboot_command[1]: malformed placeholder "\${RC_NODE_NAME"`],
  // policies
  ["fraction above 1", policies({ min_healthy_fraction: 1.5 }), "cluster_policies.min_healthy_fraction: must be > 0 and ≤ 1, got 1.5"],
  ["fraction 0", policies({ min_healthy_fraction: 0 }), "cluster_policies.min_healthy_fraction: must be > 0 and ≤ 1, got 0"],
  ["absolute negative", policies({ min_healthy_absolute: -1 }), "cluster_policies.min_healthy_absolute: must be ≥ 0, got -1"],
  ["absolute fractional", policies({ min_healthy_absolute: 1.5 }), "cluster_policies.min_healthy_absolute: must be an integer, got 1.5"],
  ["forbid flag as string", policies({ forbid_if_only_fallback_left: "yes" }), `cluster_policies.forbid_if_only_fallback_left: expected true or false, got "yes"`],
  ["fallback node with a slash", policies({ fallback_nodes: ["ok", "a/b"] }), "cluster_policies.fallback_nodes[1]: must be 1–63 characters"],
  // windows
  ["bad deny window", windows({ deny: ["Mon 25:00-26:00"] }), `windows.deny[0]: invalid time "25:00"`],
  ["bad allow window", windows({ allow: ["Tue 22:00-23:00", "whenever"] }), "windows.allow[1]: missing time"],
  ["unknown time zone", windows({ timezone: "Mars/Olympus" }), `windows.timezone: unknown time zone "Mars/Olympus"`],
  // misc
  ["blank kill switch", withKeys({ kill_switch_file: "   " }), "kill_switch_file: must not be blank: a blank path would silently disable the kill switch"],
  ["metrics.listen without port", withKeys({ metrics: { listen: "localhost" } }), "metrics.listen: expected host:port"],
  ["metrics.listen port too big", withKeys({ metrics: { listen: "127.0.0.1:70000" } }), "metrics.listen: expected host:port with port 0–65535"],
  ["metrics.enabled as string", withKeys({ metrics: { enabled: "yes" } }), `metrics.enabled: expected true or false, got "yes"`],
  ["dry_run as number", withKeys({ dry_run: 1 }), "dry_run: expected true or false, got 1"],
  ["unknown log level", withKeys({ log_level: "verbose" }), `log_level: expected one of debug, info, warn, error, got "verbose"`],
];

describe("a bad config is rejected with a problem naming the field path", () => {
  test("the table covers at least 35 distinct cases", () => {
    expect(new Set(BAD.map(([name]) => name)).size).toBe(BAD.length);
    expect(BAD.length).toBeGreaterThanOrEqual(35);
  });

  test.each(BAD)("%s", async (_name, data, expected) => {
    const problems = problemsOf(await loadData(data));
    expect(problems.join("\n")).toContain(expected);
  });
});

describe("problems with the document itself", () => {
  const BAD_TEXT: [string, string, string][] = [
    ["empty file", "", "config: the file is empty (no YAML document)"],
    ["only comments", "# nothing here\n", "config: the file is empty"],
    ["YAML syntax error", "node_name: a\nreboot_required_detectors: [\n  - x\nhealth_script: /x\n", "config: YAML syntax error at line"],
    ["duplicate key", "node_name: a\nnode_name: b\n", "config: YAML syntax error at line 2, column 1: Map keys must be unique"],
    ["two documents", `${stringify(baseConfig())}---\nnode_name: b\n`, "config: found 2 YAML documents, expected one; the second starts at line 9, column 1"],
    ["a list at the root", "- node_name: a\n", "config: the top level must be a mapping of keys (node_name: …), got a list"],
    ["a scalar at the root", "hello\n", "config: the top level must be a mapping of keys (node_name: …), got a single value"],
    ["an unresolved tag", `${stringify(baseConfig())}dry_run: !maybe yes\n`, "config: YAML problem at line 8"],
    ["an undefined alias", `${stringify(baseConfig())}group: *nope\n`, "config: YAML"],
  ];
  test.each(BAD_TEXT)("%s", async (_name, text, expected) => {
    expect(problemsOf(await load(text)).join("\n")).toContain(expected);
  });

  test("a trailing document separator is not a second document", async () => {
    expect((await load(`${stringify(baseConfig())}---\n`)).ok).toBe(true);
  });
});

test("reports every problem of a config at once", async () => {
  const data = withKeys({
    node_name: "a/b",
    typo_key: 1,
    reboot_required_detectors: [
      { type: "command", cmd: ["/bin/true"], timeout_sec: 0, colour: "red" },
      { type: "file" },
    ],
    health_script: "health.sh",
    health_timeout_sec: 100,
    cluster_policies: { min_healthy_fraction: 2, fallback_nodes: [".."] },
    windows: { deny: ["Mon 25:00-26:00"], allow: ["nope"], timezone: "Nowhere/City" },
    etcd_tls: { enabled: true, ca_file: "/etc/clusterrebootd/missing.pem", bogus: 1 },
    etcd_endpoints: ["127.0.0.1"],
    reboot_command: ["/sbin/shutdown", "$WHO"],
    kill_switch_file: " ",
  });
  const problems = problemsOf(await loadData(data));
  const paths = problems.map((p) => p.slice(0, p.indexOf(": ")));
  expect(paths.sort()).toEqual(
    [
      "node_name",
      "typo_key",
      "reboot_required_detectors[0].timeout_sec",
      "reboot_required_detectors[0].colour",
      "reboot_required_detectors[1].path",
      "health_script",
      "lock_ttl_sec", // 90 ≤ health_timeout_sec 100
      "cluster_policies.min_healthy_fraction",
      "cluster_policies.fallback_nodes[0]",
      "windows.deny[0]",
      "windows.allow[0]",
      "windows.timezone",
      "etcd_tls.bogus",
      "etcd_tls.ca_file", // file missing
      "etcd_endpoints[0]",
      "reboot_command[1]",
      "kill_switch_file",
    ].sort(),
  );
});

// Cross-field rules are partialChecks, which skip a key a rule above reported at: the Go default
// lock_ttl_sec: 5 breaks two rules, and both are reported, alone or beside another problem.
test.each([{}, { node_name: "a/b" }, { dry_run: 1 }])("lock_ttl_sec: 5 (Go) reports both rules it breaks, with %j", async (more) => {
  const problems = problemsOf(await loadData(withKeys({ lock_ttl_sec: 5, ...more })));
  expect(problems).toContain(
    "lock_ttl_sec: must be greater than health_timeout_sec (30), got 5: the lease must outlive a health-script run made while holding it, to avoid premature lease expiry",
  );
  expect(problems).toContain(
    "etcd_request_timeout_sec: must be less than lock_ttl_sec (5), got 5: a request allowed to take longer than the lease TTL could outlive our own lease",
  );
});

test("lists every unknown key of one mapping, not just the first", async () => {
  const problems = problemsOf(await loadData(withKeys({ foo: 1, bar: 2, metrics: { a: 1, b: 2 } })));
  expect(problems.filter((p) => p.includes("unknown key"))).toEqual([
    "foo: unknown key",
    "bar: unknown key",
    "metrics.a: unknown key",
    "metrics.b: unknown key",
  ]);
});

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigSchema,
  DEFAULT_REBOOT_COMMAND,
  effectiveLockKey,
  keyPrefix,
  loadConfigFile,
  parseConfigText,
  type Config,
} from "../../../src/config/index.ts";
import { DEFAULT_FILES, HEALTH_SCRIPT, load, loadData, mustLoad, withKeys, type FakeFile } from "./_helpers.ts";

const REPO = join(import.meta.dir, "../../..");
const FIXTURES = join(REPO, "tests/fixtures/config");
const EXAMPLE = join(REPO, "configs/config.example.yaml");

/** Walks a dotted path like "etcd_tls.enabled" in the loaded config. */
const at = (cfg: Config, path: string): unknown =>
  path.split(".").reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], cfg);

describe("defaults of an otherwise minimal config", () => {
  let cfg: Config;
  beforeEach(async () => {
    cfg = mustLoad(await loadData(withKeys({})));
  });

  test.each([
    ["health_timeout_sec", 30],
    ["health_publish_interval_sec", 15],
    ["check_interval_sec", 60],
    ["backoff_min_sec", 5],
    ["backoff_max_sec", 60],
    ["min_reboot_interval_sec", 0],
    ["lock_key", "/cluster/clusterrebootd/lock"],
    ["lock_ttl_sec", 90],
    ["etcd_namespace", "/clusterrebootd"],
    ["etcd_request_timeout_sec", 5],
    ["etcd_tls.enabled", false],
    ["etcd_tls.ca_file", ""],
    ["etcd_tls.cert_file", ""],
    ["etcd_tls.key_file", ""],
    ["etcd_tls.insecure_skip_verify", false],
    ["etcd_tls.server_name", null],
    ["etcd_auth", null],
    ["reboot_command", [...DEFAULT_REBOOT_COMMAND]],
    ["cluster_policies.min_healthy_fraction", null],
    ["cluster_policies.min_healthy_absolute", null],
    ["cluster_policies.forbid_if_only_fallback_left", false],
    ["cluster_policies.fallback_nodes", []],
    ["windows.deny", []],
    ["windows.allow", []],
    ["windows.timezone", "local"],
    ["kill_switch_file", "/etc/clusterrebootd/disable"],
    ["metrics.enabled", false],
    ["metrics.listen", "127.0.0.1:9090"],
    ["dry_run", false],
    ["log_level", "info"],
    ["group", "default"],
    ["max_concurrent_reboots", 1],
    ["group_limits", {}],
    ["global_max_concurrent_reboots", null],
    ["reboot_slot_timeout_sec", 1800],
    ["reboot_grace_sec", 300],
    ["max_reboots_per_node", 3],
    ["reboot_loop_window_sec", 86400],
  ])("%s defaults to %p", (path, expected) => {
    expect(at(cfg, path)).toEqual(expected);
  });

  test("a detector gets Go's default name, no exit codes and a 30 s timeout", () => {
    expect(cfg.reboot_required_detectors).toEqual([
      { name: "file:/var/run/reboot-required", type: "file", path: "/var/run/reboot-required", cmd: [], success_exit_codes: [], timeout_sec: 30 },
    ]);
  });

  test.each([
    ["", { type: "file", path: "/run/reboot-required" }, "file:/run/reboot-required"],
    ["  ", { type: "command", cmd: ["/usr/sbin/needs-restarting", "-r"] }, "command:/usr/sbin/needs-restarting"],
  ])("a blank detector name %p gets Go's default name (Go scenario)", async (name, d, expected) => {
    const c = mustLoad(await loadData(withKeys({ reboot_required_detectors: [{ name, ...d }] })));
    expect(c.reboot_required_detectors[0]?.name).toBe(expected);
  });

  test("endpoints get a scheme: http without TLS", () => {
    expect(cfg.etcd_endpoints).toEqual(["http://127.0.0.1:2379"]);
  });
});

describe("unset versus explicit values", () => {
  test.each([
    ["null means unset", { health_timeout_sec: null, etcd_tls: null, windows: null }, { health_timeout_sec: 30, "etcd_tls.enabled": false, "windows.timezone": "local" }],
    ['"" means the default for lock_key, kill_switch_file and metrics.listen (Go)', { lock_key: "", kill_switch_file: "", metrics: { listen: "" } }, { lock_key: "/cluster/clusterrebootd/lock", kill_switch_file: "/etc/clusterrebootd/disable", "metrics.listen": "127.0.0.1:9090" }],
    ['"" means the default namespace', { etcd_namespace: "" }, { etcd_namespace: "/clusterrebootd" }],
    ["0 is valid where it means disabled", { min_reboot_interval_sec: 0, cluster_policies: { min_healthy_absolute: 0 } }, { min_reboot_interval_sec: 0, "cluster_policies.min_healthy_absolute": 0 }],
    ["the namespace is normalized", { etcd_namespace: "prod/clusterrebootd/" }, { etcd_namespace: "/prod/clusterrebootd" }],
    ["the lock key is normalized", { lock_key: "locks/main/" }, { lock_key: "/locks/main" }],
    ["health_script is trimmed, as in Go", { health_script: ` ${HEALTH_SCRIPT} ` }, { health_script: HEALTH_SCRIPT }],
    ["endpoints get https with TLS", { etcd_tls: { enabled: true, ca_file: "/etc/clusterrebootd/ca.pem" }, etcd_endpoints: ["127.0.0.1:2379", "https://[::1]:2379"] }, { etcd_endpoints: ["https://127.0.0.1:2379", "https://[::1]:2379"] }],
    ["server-only TLS needs no client certificate", { etcd_tls: { enabled: true, ca_file: "/etc/clusterrebootd/ca.pem", server_name: "etcd.example.internal" } }, { "etcd_tls.server_name": "etcd.example.internal" }],
    ["auth with a password file", { etcd_auth: { username: "u", password_file: "/etc/clusterrebootd/etcd-password" } }, { etcd_auth: { username: "u", password: null, password_file: "/etc/clusterrebootd/etcd-password" } }],
    ["placeholders may use RC_* names, $$ and literal $", { reboot_command: ["/bin/echo", "${RC_GROUP} $RC_PHASE $$HOME costs $5"] }, { "reboot_command.1": "${RC_GROUP} $RC_PHASE $$HOME costs $5" }],
    ["TLS files are not read while TLS is off", { etcd_tls: { enabled: false, ca_file: "/nonexistent.pem" } }, { "etcd_tls.ca_file": "/nonexistent.pem" }],
    ["windows accept 24:00 and a zone", { windows: { allow: ["Sat,Sun 00:00-24:00"], timezone: "Europe/Berlin" } }, { "windows.timezone": "Europe/Berlin" }],
    ["group_from_node_label leaves the group unknown (null) until the label is read", { group_from_node_label: "topology.kubernetes.io/zone", kubernetes: {} }, { group: null, group_from_node_label: "topology.kubernetes.io/zone" }],
    ["without group_from_node_label the group defaults to default", { group: null }, { group: "default", group_from_node_label: null }],
    ["metrics may listen on all interfaces or port 0", { metrics: { enabled: true, listen: ":0" } }, { "metrics.listen": ":0" }],
  ] as [string, Record<string, unknown>, Record<string, unknown>][])("%s", async (_name, patch, expected) => {
    const cfg = mustLoad(await loadData(withKeys(patch)));
    for (const [path, value] of Object.entries(expected)) expect([path, at(cfg, path)]).toEqual([path, value]);
  });

  test("placeholders may name variables set in the environment passed in", async () => {
    const text = `node_name: n\nreboot_required_detectors: [{type: file, path: /x}]\nhealth_script: ${HEALTH_SCRIPT}\netcd_endpoints: [127.0.0.1:2379]\nreboot_command: [/sbin/reboot, "$SITE"]\n`;
    expect((await load(text, DEFAULT_FILES, {})).ok).toBe(false);
    expect((await load(text, DEFAULT_FILES, { SITE: "x" })).ok).toBe(true);
  });
});

describe("warnings (the config still loads)", () => {
  const files = (extra: Record<string, FakeFile>) => ({ ...DEFAULT_FILES, ...extra });
  test.each([
    ["health script missing", {}, "/usr/local/bin/other", "health_script: /usr/local/bin/other does not exist"],
    ["health script not executable", { "/hs": { text: "", mode: 0o644 } }, "/hs", "health_script: /hs is not executable"],
    ["health script world-writable", { "/hs": { text: "", mode: 0o777 } }, "/hs", "health_script: /hs is world-writable"],
    ["kill switch present", { "/etc/clusterrebootd/disable": { text: "" } }, HEALTH_SCRIPT, "kill_switch_file: /etc/clusterrebootd/disable is present"],
  ] as [string, Record<string, FakeFile>, string, string][])("%s", async (_name, extra, script, warning) => {
    const r = await loadData(withKeys({ health_script: script }), files(extra));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.warnings.join("\n")).toContain(warning);
  });

  test("a healthy setup has no warnings", async () => {
    const r = await loadData(withKeys({}));
    expect(r.ok && r.warnings).toEqual([]);
  });
});

describe("files on disk", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "config-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("an unreadable config file is one problem naming the path", async () => {
    const path = join(dir, "missing.yaml");
    expect(await loadConfigFile(path)).toEqual({ ok: false, problems: [`config: cannot read ${path}: no such file or directory`] });
  });

  test("loads from disk with the real file system, checking TLS files", async () => {
    const ca = join(dir, "ca.pem");
    const script = join(dir, "health.sh");
    await writeFile(ca, "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
    await writeFile(script, "#!/bin/sh\nexit 0\n");
    await chmod(script, 0o755);
    const cfgPath = join(dir, "config.yaml");
    const text = (tlsCa: string) =>
      `node_name: n\nreboot_required_detectors: [{type: file, path: /x}]\nhealth_script: ${script}\n` +
      `etcd_endpoints: [127.0.0.1:2379]\netcd_tls: {enabled: true, ca_file: ${tlsCa}}\nkill_switch_file: ${join(dir, "disable")}\n`;
    await writeFile(cfgPath, text(ca));
    const ok = await loadConfigFile(cfgPath, { env: {} });
    expect(ok.ok && ok.warnings).toEqual([]);
    await writeFile(cfgPath, text(join(dir, "nope.pem")));
    expect(await loadConfigFile(cfgPath, { env: {} })).toEqual({
      ok: false,
      problems: [`etcd_tls.ca_file: cannot read ${join(dir, "nope.pem")}: no such file or directory`],
    });
  });
});

describe("fixtures and the example config", () => {
  test("the reconstructed Go example loads unchanged, namespace not doubled", async () => {
    const cfg = mustLoad(await parseConfigText(await readFile(join(FIXTURES, "go-example.yaml"), "utf8"), { env: {} }));
    expect(keyPrefix(cfg)).toBe("/prod/clusterrebootd");
    expect(effectiveLockKey(cfg)).toBe("/prod/clusterrebootd/lock");
    expect(cfg.health_timeout_sec).toBe(45);
    expect(cfg.etcd_tls.enabled).toBe(false);
    expect(cfg.reboot_required_detectors).toEqual([
      { name: "debian-reboot-required", type: "file", path: "/var/run/reboot-required", cmd: [], success_exit_codes: [], timeout_sec: 30 },
      { name: "rhel-needs-restarting", type: "command", path: "", cmd: ["/usr/sbin/needs-restarting", "-r"], success_exit_codes: [1], timeout_sec: 10 },
    ]);
    expect(cfg.windows).toEqual({ deny: ["Fri 18:00-Mon 08:00"], allow: ["Tue-Thu 22:00-04:00", "* 23:00-06:00"], timezone: "local" });
    expect(cfg.metrics).toEqual({ enabled: true, listen: "127.0.0.1:9090" });
  });

  test("good-*.yaml fixtures load; bad-*.yaml fixtures report their `# expect:` problems", async () => {
    const names = (await readdir(FIXTURES)).filter((n) => n.endsWith(".yaml"));
    expect(names.filter((n) => n.startsWith("bad-")).length).toBeGreaterThanOrEqual(4);
    for (const name of names) {
      const r = await loadConfigFile(join(FIXTURES, name), { env: {} });
      const text = await readFile(join(FIXTURES, name), "utf8");
      const expects = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1] ?? "");
      if (name.startsWith("bad-")) {
        expect([name, r.ok]).toEqual([name, false]);
        expect(expects.length).toBeGreaterThan(0);
        for (const e of expects) expect(r.ok ? "" : r.problems.join("\n")).toContain(e);
      } else {
        expect([name, r.ok ? "ok" : r.problems]).toEqual([name, "ok"]);
      }
    }
  });

  test("configs/config.example.yaml loads", async () => {
    const r = await loadConfigFile(EXAMPLE, { env: {} });
    expect(r.ok ? "ok" : r.problems).toBe("ok");
  });

  test("configs/config.example.yaml mentions every key of the schema", async () => {
    const text = await readFile(EXAMPLE, "utf8");
    const missing = schemaKeys(ConfigSchema).filter((k) => !new RegExp(`^[\\s#-]*${k}:`, "m").test(text));
    expect(missing).toEqual([]);
  });
});

/** All key names of the schema, at every level. */
function schemaKeys(schema: unknown): string[] {
  type Parts = { type?: string; entries?: Record<string, unknown>; wrapped?: unknown; item?: unknown; value?: unknown };
  const s = schema as Parts;
  if ((s.type === "nullish" || s.type === "optional") && s.wrapped !== undefined) return schemaKeys(s.wrapped);
  if (s.type === "array") return schemaKeys(s.item);
  if (s.type === "record") return schemaKeys(s.value);
  if (s.entries === undefined) return [];
  return Object.entries(s.entries).flatMap(([k, sub]) => [k, ...schemaKeys(sub)]);
}

describe("alertmanager", () => {
  test("absent: null; with only a url: the node's own targets, created_by clusterrebootd, 3 s", async () => {
    expect(mustLoad(await loadData(withKeys({}))).alertmanager).toBeNull();
    expect(mustLoad(await loadData(withKeys({ alertmanager: { url: "http://am.monitoring:9093" } }))).alertmanager).toEqual({
      url: "http://am.monitoring:9093",
      matchers: [{ name: "instance", value: "${NODE_NAME}(:[0-9]+)?", is_regex: true, is_equal: true }],
      created_by: "clusterrebootd",
      timeout_sec: 3,
      headers: {},
    });
  });
});

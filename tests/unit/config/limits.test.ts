/**
 * Values that used to pass validation and then misbehave: durations a timer cannot hold, config
 * and TLS paths naming FIFOs, devices or huge files, insecure_skip_verify (validated, never applied),
 * and the trust check wired into the loader.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { ConfigSchema, loadConfigFile, MAX_TIMER_SEC, parseConfigText } from "../../../src/config/index.ts";
import { fakeTrust } from "../../fakes/trust.ts";
import { DEFAULT_FILES, fakeFs, HEALTH_SCRIPT, loadData, mustLoad, problemsOf, withKeys } from "./_helpers.ts";
import { stringify } from "yaml";

/** Where each duration lives, as a config patch around a value. */
const DURATIONS: Record<string, (n: number) => Record<string, unknown>> = {
  health_timeout_sec: (n) => ({ health_timeout_sec: n, lock_ttl_sec: MAX_TIMER_SEC }),
  health_publish_interval_sec: (n) => ({ health_publish_interval_sec: n }),
  check_interval_sec: (n) => ({ check_interval_sec: n }),
  backoff_min_sec: (n) => ({ backoff_min_sec: n, backoff_max_sec: MAX_TIMER_SEC }),
  backoff_max_sec: (n) => ({ backoff_max_sec: n }),
  min_reboot_interval_sec: (n) => ({ min_reboot_interval_sec: n }),
  lock_ttl_sec: (n) => ({ lock_ttl_sec: n, reboot_slot_timeout_sec: MAX_TIMER_SEC }),
  etcd_request_timeout_sec: (n) => ({ etcd_request_timeout_sec: n, lock_ttl_sec: MAX_TIMER_SEC, reboot_slot_timeout_sec: MAX_TIMER_SEC }),
  reboot_slot_timeout_sec: (n) => ({ reboot_slot_timeout_sec: n }),
  reboot_grace_sec: (n) => ({ reboot_grace_sec: n, reboot_slot_timeout_sec: MAX_TIMER_SEC }),
  reboot_loop_window_sec: (n) => ({ reboot_loop_window_sec: n }),
  timer_presence_sec: (n) => ({ timer_presence_sec: n }),
  "reboot_required_detectors[0].timeout_sec": (n) => ({ reboot_required_detectors: [{ type: "command", cmd: ["/bin/true"], timeout_sec: n }] }),
  "notifications.webhooks[0].timeout_sec": (n) => ({ notifications: { webhooks: [{ url: "https://hooks.example/x", timeout_sec: n }] } }),
  "notifications.blocked_threshold_sec": (n) => ({ notifications: { blocked_threshold_sec: n } }),
  "notifications.unhealthy_after_boot_sec": (n) => ({ notifications: { unhealthy_after_boot_sec: n } }),
  "alertmanager.timeout_sec": (n) => ({ alertmanager: { url: "http://127.0.0.1:9093", timeout_sec: n } }),
  "interactive_users.max_defer_sec": (n) => ({ interactive_users: { max_defer_sec: n } }),
  "fleetlock_client.timeout_sec": (n) => ({ lock_backend: "fleetlock", fleetlock_client: { url: "http://127.0.0.1:8080/", timeout_sec: n } }),
  "kubernetes.request_timeout_sec": (n) => ({ kubernetes: { request_timeout_sec: n } }),
  "kubernetes.drain.timeout_sec": (n) => ({ kubernetes: { drain: { timeout_sec: n } } }),
  "kubernetes.drain.grace_period_sec": (n) => ({ kubernetes: { drain: { grace_period_sec: n } } }),
  "health_checks[0].timeout_sec": (n) => ({ health_checks: [{ type: "http", url: "http://127.0.0.1/health", timeout_sec: n }] }),
  "dashboard.heartbeat_sec": (n) => ({ dashboard: { heartbeat_sec: n } }),
};
/** Keys with a bound of their own, tighter than the timer's (their message names that bound). */
const OWN_BOUND = new Set(["dashboard.heartbeat_sec", "alertmanager.timeout_sec"]);

/** Every `*_sec` key of the schema, by walking it (array items as [0]), so a new one cannot be missed. */
function durationKeys(schema: unknown, path = ""): string[] {
  type S = { type: string; kind?: string; entries?: Record<string, unknown>; wrapped?: unknown; item?: unknown; pipe?: S[]; options?: S[] };
  let s = schema as S;
  for (;;) {
    if ((s.type === "nullish" || s.type === "optional") && s.wrapped) s = s.wrapped as S;
    // A pipe carries its first schema's parts; a mapping guard (`unknown` first) wraps the real one last.
    else if (s.type === "unknown" && s.pipe) s = s.pipe.filter((x) => x.kind === "schema").at(-1)!;
    else break;
  }
  if (s.type === "array" && s.item) return durationKeys(s.item, `${path}[0]`);
  if (s.type === "variant" && s.options) return [...new Set(s.options.flatMap((o) => durationKeys(o, path)))];
  if (s.type !== "object_with_rest" || !s.entries) return [];
  return Object.entries(s.entries).flatMap(([k, sub]) => {
    const p = path === "" ? k : `${path}.${k}`;
    return k.endsWith("_sec") ? [p] : durationKeys(sub, p);
  });
}

describe("durations are bounded by what a timer can hold", () => {
  test("the bound is 2^31-1 ms in whole seconds", () => {
    expect(MAX_TIMER_SEC).toBe(2_147_483);
  });

  test("the table below covers every *_sec key of the schema", () => {
    expect(durationKeys(ConfigSchema).sort()).toEqual(Object.keys(DURATIONS).sort());
  });

  for (const [field, patch] of Object.entries(DURATIONS)) {
    test(`${field}: ${MAX_TIMER_SEC} passes, ${MAX_TIMER_SEC + 1} is refused naming the field and the bound`, async () => {
      if (OWN_BOUND.has(field)) return void expect(problemsOf(await loadData(withKeys(patch(MAX_TIMER_SEC + 1)))).some((p) => p.startsWith(`${field}: must be ≤`))).toBe(true);
      const ok = await loadData(withKeys(patch(MAX_TIMER_SEC)));
      // Cross-field rules (grace < slot timeout, …) may still object; the bound itself must not.
      if (!ok.ok) expect(ok.problems.filter((p) => p.includes("longest a timer can wait"))).toEqual([]);
      const problems = problemsOf(await loadData(withKeys(patch(MAX_TIMER_SEC + 1))));
      expect(problems).toContain(`${field}: must be ≤ 2147483 s (about 24.8 days, the longest a timer can wait), got 2147484`);
    });
  }

  test("valibot alone rejects the issue's example, 3,000,000 s", () => {
    expect(v.safeParse(ConfigSchema, { ...withKeys({ check_interval_sec: 3_000_000 }) }).success).toBe(false);
  });
});

describe("etcd_tls.insecure_skip_verify", () => {
  test("true is refused: the etcd client always verifies, so the key cannot mean what it says", async () => {
    const problems = problemsOf(await loadData(withKeys({ etcd_tls: { enabled: true, insecure_skip_verify: true } })));
    expect(problems.some((p) => p.startsWith("etcd_tls.insecure_skip_verify: true is not supported: etcd server certificates are always verified"))).toBe(true);
    // And it no longer excuses a missing CA.
    const noCa = problemsOf(await loadData(withKeys({ etcd_tls: { enabled: true } })));
    expect(noCa).toContain("etcd_tls.ca_file: is required when etcd_tls.enabled is true (the CA that signed the etcd server certificates)");
  });

  test("false (Go's default) is still accepted", async () => {
    const cfg = mustLoad(await loadData(withKeys({ etcd_tls: { enabled: true, ca_file: "/etc/clusterrebootd/ca.pem", insecure_skip_verify: false } })));
    expect(cfg.etcd_tls.insecure_skip_verify).toBe(false);
  });
});

describe("files the loader reads are regular and bounded", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "crd-limits-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const mkfifo = (p: string) => expect(spawnSync(["mkfifo", p]).exitCode).toBe(0);

  test("a FIFO as the config is refused at once (it used to hang)", async () => {
    const fifo = join(dir, "config.yaml");
    mkfifo(fifo);
    const started = Date.now();
    expect(await loadConfigFile(fifo, { env: {} })).toEqual({
      ok: false,
      problems: [`config: cannot read ${fifo}: not a regular file (a FIFO, device, socket or directory); point it at a regular file`],
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("/dev/zero as the config is refused without reading it", async () => {
    const r = await loadConfigFile("/dev/zero", { env: {} });
    expect(r).toEqual({ ok: false, problems: ["config: cannot read /dev/zero: not a regular file (a FIFO, device, socket or directory); point it at a regular file"] });
  });

  test("a config larger than 4 MiB is refused", async () => {
    const big = join(dir, "big.yaml");
    await writeFile(big, `# ${"x".repeat(4 * 1024 * 1024)}\n`);
    expect(await loadConfigFile(big, { env: {} })).toEqual({ ok: false, problems: [`config: cannot read ${big}: larger than 4 MiB; this is not a configuration file`] });
  });

  test("a FIFO as a TLS file is a problem, not a hang", async () => {
    const fifo = join(dir, "ca.pem");
    mkfifo(fifo);
    const r = await parseConfigText(stringify(withKeys({ etcd_tls: { enabled: true, ca_file: fifo } })), { env: {} });
    expect(problemsOf(r)).toContain(`etcd_tls.ca_file: cannot read ${fifo}: not a regular file (a FIFO, device, socket or directory); point it at a regular file`);
  });
});

describe("the trust check runs inside the loader", () => {
  const hostile = {
    "/usr": { type: "dir" as const },
    "/usr/local": { type: "dir" as const },
    "/usr/local/bin": { type: "dir" as const },
    [HEALTH_SCRIPT]: { type: "file" as const, uid: 65534, mode: 0o100777 },
    "/opt": { type: "dir" as const, mode: 0o40777 },
    "/opt/detect": { type: "file" as const },
  };
  const data = withKeys({ reboot_required_detectors: [{ type: "command", cmd: ["/opt/detect"] }], reboot_command: ["/opt/detect", "reboot"] });

  test("as root: the health script, the detector's executable and reboot_command are each refused with the fix", async () => {
    const r = await parseConfigText(stringify(data), { ...fakeFs(DEFAULT_FILES), env: {}, trust: fakeTrust(hostile) });
    const problems = problemsOf(r);
    expect(problems).toContain(
      `health_script: refusing ${HEALTH_SCRIPT} as root: it is owned by uid 65534, not root and is world-writable (mode 0777), so others could change what root runs; fix: chown root:root ${HEALTH_SCRIPT}; chmod go-w ${HEALTH_SCRIPT}`,
    );
    expect(problems.some((p) => p.startsWith("reboot_required_detectors[0].cmd[0]: refusing /opt/detect as root: /opt is a world-writable directory"))).toBe(true);
    expect(problems.some((p) => p.startsWith("reboot_command[0]: refusing /opt/detect as root: /opt is a world-writable directory"))).toBe(true);
  });

  test("not root: the same config loads", async () => {
    const r = await parseConfigText(stringify(data), { ...fakeFs(DEFAULT_FILES), env: {}, trust: fakeTrust(hostile, { root: false }) });
    expect(r.ok).toBe(true);
  });

  test("the config file itself: owned by nobody, mode 0666, is refused as root, with the content's problems too", async () => {
    const files = { ...DEFAULT_FILES, "/etc/c.yaml": { text: stringify(withKeys({ check_interval_sec: 3_000_000 })) } };
    const tree = { ...hostile, [HEALTH_SCRIPT]: { type: "file" as const }, "/etc": { type: "dir" as const }, "/etc/c.yaml": { type: "file" as const, uid: 65534, mode: 0o100666 } };
    const problems = problemsOf(await loadConfigFile("/etc/c.yaml", { ...fakeFs(files), env: {}, trust: fakeTrust(tree) }));
    expect(problems).toEqual([
      "config: refusing /etc/c.yaml as root: it is owned by uid 65534, not root and is world-writable (mode 0666), so others could change what root reads; fix: chown root:root /etc/c.yaml; chmod go-w /etc/c.yaml",
      "check_interval_sec: must be ≤ 2147483 s (about 24.8 days, the longest a timer can wait), got 3000000",
    ]);
  });

  test("TLS keys and the kubeconfig are judged as files root reads", async () => {
    const tree = { ...hostile, [HEALTH_SCRIPT]: { type: "file" as const }, "/etc": { type: "dir" as const }, "/etc/clusterrebootd": { type: "dir" as const, uid: 1000 }, "/etc/clusterrebootd/client-key.pem": { type: "file" as const }, "/etc/rancher": { type: "dir" as const }, "/etc/rancher/k3s": { type: "dir" as const }, "/etc/rancher/k3s/k3s.yaml": { type: "file" as const, mode: 0o100666 } };
    const cfg = withKeys({
      etcd_tls: { enabled: true, ca_file: "/etc/clusterrebootd/ca.pem", cert_file: "/etc/clusterrebootd/client.pem", key_file: "/etc/clusterrebootd/client-key.pem" },
      etcd_endpoints: ["https://127.0.0.1:2379"],
      kubernetes: {},
    });
    const problems = problemsOf(await parseConfigText(stringify(cfg), { ...fakeFs(DEFAULT_FILES), env: {}, trust: fakeTrust(tree) }));
    expect(problems.some((p) => p.startsWith("etcd_tls.key_file: refusing /etc/clusterrebootd/client-key.pem as root: /etc/clusterrebootd is a directory owned by uid 1000"))).toBe(true);
    expect(problems.some((p) => p.startsWith("kubernetes.kubeconfig: refusing /etc/rancher/k3s/k3s.yaml as root: it is world-writable"))).toBe(true);
  });
});

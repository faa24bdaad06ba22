/**
 * The `health_checks:` and `kubernetes:` schemas, read the way the config loader reads them
 * (same issue formatting and unknown-key walk), until schema.ts wires them in.
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { CHECK_PHASES, HealthChecksSchema, kubernetesChecksProblems, parsePassIf } from "../../../src/config/_checks.ts";
import { closed, fallbackMessage, issueProblems } from "../../../src/config/_issues.ts";
import { DEFAULT_KUBECONFIG, kubernetesFileWarnings, KubernetesSchema, labelSelectorProblem } from "../../../src/config/_kubernetes.ts";

/** What the loader would do with these two top-level keys. */
const Schema = closed({ kubernetes: KubernetesSchema, health_checks: HealthChecksSchema });

function load(input: Record<string, unknown>): { ok: true; value: v.InferOutput<typeof Schema> } | { ok: false; problems: string[] } {
  const r = v.safeParse(Schema, input, { message: fallbackMessage });
  return r.success ? { ok: true, value: r.output } : { ok: false, problems: issueProblems(r.issues) };
}
const mustLoad = (input: Record<string, unknown>) => {
  const r = load(input);
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.value;
};
const problems = (input: Record<string, unknown>) => {
  const r = load(input);
  if (r.ok) throw new Error("expected problems");
  return r.problems;
};

describe("kubernetes block", () => {
  test("absent is null; {} takes every default", () => {
    expect(mustLoad({}).kubernetes).toBeNull();
    expect(mustLoad({ kubernetes: {} }).kubernetes).toEqual({
      kubeconfig: DEFAULT_KUBECONFIG,
      context: null,
      node_name: null,
      request_timeout_sec: 10,
      drain: { enabled: true, timeout_sec: 600, grace_period_sec: null, delete_emptydir_data: false, evict_unmanaged_pods: false, pod_selector: "", on_timeout: "abort" },
    });
  });

  test.each([
    [{ kubeconfig: "k3s.yaml" }, 'kubernetes.kubeconfig: must be an absolute path or "in-cluster", got "k3s.yaml"'],
    [{ node_name: "Pi_03" }, "kubernetes.node_name: must be a Kubernetes node name"],
    [{ drain: { on_timeout: "ignore" } }, 'kubernetes.drain.on_timeout: expected "abort" or "force"'],
    [{ drain: { timeout_sec: 0 } }, "kubernetes.drain.timeout_sec: must be > 0, got 0 (omit the key to use the default, 600)"],
    [{ drain: { pod_selector: "app in (a" } }, "kubernetes.drain.pod_selector: unbalanced parentheses"],
    [{ drain: { grace_perod_sec: 5 } }, 'kubernetes.drain.grace_perod_sec: unknown key (did you mean "grace_period_sec"?)'],
  ])("%j is reported as %s", (block, message) => {
    expect(problems({ kubernetes: block }).join("\n")).toContain(message);
  });

  test.each([
    ["", null],
    ["app=web", null],
    ["app==web,tier!=cache", null],
    ["environment in (production, qa),!legacy,track", null],
    ["app.kubernetes.io/name notin (a,b)", null],
    ["app=", null],
    ["app=web,", "empty requirement"],
    ["app=we b", "cannot parse requirement"],
    ["-app=web", "label key"],
    ["app=" + "x".repeat(64), "label value"],
    ["Example.com/app=x", "prefix"],
  ])("label selector %j", (sel, problem) => {
    const p = labelSelectorProblem(sel);
    if (problem === null) expect(p).toBeNull();
    else expect(p).toContain(problem);
  });
});

describe("health_checks", () => {
  test("each type gets its defaults and a name", () => {
    const checks = mustLoad({
      health_checks: [
        { type: "http", url: "http://127.0.0.1:30000/health" },
        { type: "prometheus", url: "http://127.0.0.1:9090", query: "up == 0", pass_if: "== 0" },
        { type: "prometheus", url: "http://127.0.0.1:9090", alerts: {} },
        { type: "kubernetes_nodes_ready" },
        { type: "kubernetes_pods", selector: "app=backup" },
        { type: "longhorn" },
        { type: "etcd_quorum" },
      ],
    }).health_checks;
    const all = [...CHECK_PHASES];
    expect(checks).toEqual([
      { type: "http", name: "http:http://127.0.0.1:30000/health", timeout_sec: 10, phases: all, url: "http://127.0.0.1:30000/health", expect_status: [200], body_regex: null, ca_file: null, insecure_skip_verify: false },
      { type: "prometheus", name: "prometheus:up == 0", timeout_sec: 10, phases: all, url: "http://127.0.0.1:9090", ca_file: null, insecure_skip_verify: false, mode: "query", query: "up == 0", pass_if: { op: "==", value: 0 }, on_empty: "fail" },
      { type: "prometheus", name: "prometheus:alerts", timeout_sec: 10, phases: all, url: "http://127.0.0.1:9090", ca_file: null, insecure_skip_verify: false, mode: "alerts", alerts: { firing_only: true, match_labels: {}, ignore_alertnames: "^(Watchdog|InfoInhibitor)$", only_alertnames: null } },
      { type: "kubernetes_nodes_ready", name: "kubernetes_nodes_ready", timeout_sec: 10, phases: all, selector: "", min_ready: null },
      { type: "kubernetes_pods", name: "kubernetes_pods", timeout_sec: 10, phases: all, selector: "app=backup", namespace: null },
      { type: "longhorn", name: "longhorn", timeout_sec: 10, phases: all, namespace: "longhorn-system", ignore_volumes: [] },
      {
        type: "etcd_quorum", name: "etcd_quorum", timeout_sec: 10, phases: all, endpoint: "https://127.0.0.1:2379",
        ca_file: "/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt", cert_file: "/var/lib/rancher/k3s/server/tls/etcd/client.crt",
        key_file: "/var/lib/rancher/k3s/server/tls/etcd/client.key", server_name: "localhost",
      },
    ]);
  });

  test("a plain-http etcd endpoint needs no TLS files", () => {
    const [c] = mustLoad({ health_checks: [{ type: "etcd_quorum", endpoint: "http://etcd-1.internal:2379" }] }).health_checks;
    expect(c).toMatchObject({ ca_file: null, cert_file: null, key_file: null, server_name: null });
  });

  test.each([
    [{ type: "http" }, "health_checks[0].url: is required for a http check"],
    [{ type: "http", url: "ftp://x/" }, "health_checks[0].url: must be an http:// or https:// URL"],
    [{ type: "http", url: "http://x/", query: "up" }, "health_checks[0].query: does not apply to a http check (its keys: url, expect_status, body_regex, ca_file, insecure_skip_verify)"],
    [{ type: "http", url: "http://x/", body_regex: "(" }, "health_checks[0].body_regex: is not a valid regular expression"],
    [{ type: "http", url: "http://x/", expect_status: [99] }, "health_checks[0].expect_status[0]: must be ≥ 100"],
    [{ type: "http", url: "http://x/", timeout_sec: 0 }, "health_checks[0].timeout_sec: must be > 0"],
    [{ type: "http", url: "http://x/", phases: ["pre-reboot"] }, "health_checks[0].phases[0]: expected monitor, pre-lock, post-lock, heartbeat, post-boot"],
    [{ type: "http", url: "http://x/", tiemout_sec: 3 }, 'health_checks[0].tiemout_sec: unknown key (did you mean "timeout_sec"?)'],
    [{ type: "prometheus", url: "http://p/" }, "health_checks[0]: a prometheus check needs exactly one of query (with pass_if) or alerts"],
    [{ type: "prometheus", url: "http://p/", query: "up" }, "health_checks[0].pass_if: is required with query"],
    [{ type: "prometheus", url: "http://p/", query: "up", pass_if: "about 3" }, 'health_checks[0].pass_if: expected a comparison such as "< 0.05"'],
    [{ type: "prometheus", url: "http://p/", alerts: {}, on_empty: "pass" }, "health_checks[0].on_empty: only applies to query"],
    [{ type: "prometheus", url: "http://p/", alerts: { severity: "critical" } }, "health_checks[0].alerts.severity: unknown key"],
    [{ type: "kubernetes_pods" }, "health_checks[0].selector: is required for a kubernetes_pods check"],
    [{ type: "kubernetes_pods", selector: "" }, "health_checks[0].selector: must not be empty"],
    [{ type: "kubernetes_nodes_ready", min_ready: 0 }, "health_checks[0].min_ready: must be > 0"],
    [{ type: "etcd_quorum", cert_file: "/c.crt" }, "health_checks[0].key_file: cert_file and key_file go together"],
    [{ type: "etcd_quorum", ca_file: "ca.crt" }, "health_checks[0].ca_file: must be an absolute path"],
    [{ type: "longhorn", url: "http://x/" }, "health_checks[0].url: does not apply to a longhorn check"],
    [{ type: "ping" }, 'health_checks[0].type: expected "http", "prometheus"'],
  ])("%j is reported as %s", (check, message) => {
    expect(problems({ health_checks: [check] }).join("\n")).toContain(message);
  });

  test("names must be unique", () => {
    const p = problems({ health_checks: [{ type: "longhorn" }, { type: "longhorn", namespace: "storage" }] });
    expect(p).toContain('health_checks[1]: duplicate check name "longhorn" (also health_checks[0]); set a unique name');
  });

  test.each([
    ["< 0.05", { op: "<", value: 0.05 }],
    [">=3", { op: ">=", value: 3 }],
    ["!= -1e-3", { op: "!=", value: -0.001 }],
    ["<", 'expected a comparison such as "< 0.05"'],
    ["= 1", 'expected a comparison such as "< 0.05"'],
  ])("pass_if %j", (s, expected) => {
    const r = parsePassIf(s);
    if (typeof expected === "string") expect(String(r)).toContain(expected);
    else expect(r).toEqual(expected as never);
  });

  test("kubernetes checks need the kubernetes block (top-level rule for the config owner)", () => {
    const checks = [{ type: "http" }, { type: "longhorn" }];
    expect(kubernetesChecksProblems({ kubernetes: null, health_checks: checks })).toEqual([
      { path: ["health_checks", 1, "type"], message: expect.stringContaining("a longhorn check needs the kubernetes: block") },
    ]);
    expect(kubernetesChecksProblems({ kubernetes: {}, health_checks: checks })).toEqual([]);
  });

  test("files the integration will read are warned about at load time when missing", async () => {
    const cfg = mustLoad({ kubernetes: {}, health_checks: [{ type: "etcd_quorum" }, { type: "http", url: "https://x/", ca_file: "/etc/ca.pem" }] });
    const present = new Set(["/etc/ca.pem", "/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt"]);
    const readFile = async (p: string) => {
      if (present.has(p)) return "x";
      throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    };
    expect(await kubernetesFileWarnings(cfg, readFile)).toEqual([
      "kubernetes.kubeconfig: /etc/rancher/k3s/k3s.yaml does not exist (yet); what needs it fails (and blocks reboots) until it can be read",
      "health_checks[0].cert_file: /var/lib/rancher/k3s/server/tls/etcd/client.crt does not exist (yet); what needs it fails (and blocks reboots) until it can be read",
      "health_checks[0].key_file: /var/lib/rancher/k3s/server/tls/etcd/client.key does not exist (yet); what needs it fails (and blocks reboots) until it can be read",
    ]);
    expect(await kubernetesFileWarnings({ kubernetes: { kubeconfig: "in-cluster" } }, readFile)).toEqual([]);
  });
});

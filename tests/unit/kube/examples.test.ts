/**
 * The k3s example configs load: the keys the config loader already knows through the loader
 * itself, the `kubernetes:` and `health_checks:` blocks through their schemas (works before and
 * after schema.ts wires them in), with the example health scripts present and syntactically valid.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as v from "valibot";
import { parse, stringify } from "yaml";
import { HealthChecksSchema, kubernetesChecksProblems } from "../../../src/config/_checks.ts";
import { KubernetesSchema } from "../../../src/config/_kubernetes.ts";
import { parseConfigText } from "../../../src/config/index.ts";
import { drainOptionsFromConfig } from "../../../src/kube/index.ts";

const REPO = join(import.meta.dir, "../../..");
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

async function loadExample(file: string) {
  const doc = parse(await Bun.file(join(REPO, "configs", file)).text()) as Record<string, unknown>;
  const { kubernetes, health_checks, ...rest } = doc;
  const base = await parseConfigText(stringify(rest), {
    env: {},
    readFile: async (path) => (path.endsWith(".pem") || path.endsWith(".crt") || path.endsWith(".key") ? PEM : ""),
    stat: async () => ({ kind: "present", mode: 0o100755, uid: 0, isFile: true, isDirectory: false }),
  });
  if (!base.ok) throw new Error(`${file}:\n${base.problems.join("\n")}`);
  const k = v.safeParse(KubernetesSchema, kubernetes);
  const checks = v.safeParse(HealthChecksSchema, health_checks);
  if (!k.success) throw new Error(`${file} kubernetes: ${v.summarize(k.issues)}`);
  if (!checks.success) throw new Error(`${file} health_checks: ${v.summarize(checks.issues)}`);
  expect(kubernetesChecksProblems({ kubernetes: k.output, health_checks: checks.output })).toEqual([]);
  return { base: base.config, kubernetes: k.output!, checks: checks.output };
}

describe("example configs", () => {
  test("3-node k3s control plane with embedded etcd", async () => {
    const c = await loadExample("k3s-control-plane.yaml");
    expect(c.base.etcd_endpoints).toEqual(["https://127.0.0.1:2379"]);
    expect(c.base.etcd_tls).toMatchObject({ server_name: "localhost", ca_file: "/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt" });
    expect(c.kubernetes.kubeconfig).toBe("/etc/rancher/k3s/k3s.yaml");
    expect(drainOptionsFromConfig(c.kubernetes)).toMatchObject({ timeoutMs: 900_000, onTimeout: "abort", deleteEmptyDirData: true });
    expect(c.checks.map((x) => `${x.name}:${x.type}`)).toEqual([
      "etcd-quorum:etcd_quorum",
      "nodes-ready:kubernetes_nodes_ready",
      "longhorn:longhorn",
      "critical-alerts:prometheus",
    ]);
    expect(c.checks[0]).toMatchObject({ endpoint: "https://127.0.0.1:2379", cert_file: "/var/lib/rancher/k3s/server/tls/etcd/client.crt", server_name: "localhost" });
  });

  test("13-node Pi cluster with Longhorn", async () => {
    const c = await loadExample("k3s-pi-longhorn.yaml");
    expect(c.base.group_limits).toEqual({ workers: 2, "control-plane": 1 });
    expect(drainOptionsFromConfig(c.kubernetes)).toMatchObject({ podSelector: "app notin (csi-attacher,csi-provisioner)" });
    expect(c.checks.filter((x) => x.type === "http")).toHaveLength(3);
    expect(c.checks.find((x) => x.name === "error-rate")).toMatchObject({ mode: "query", pass_if: { op: "<", value: 0.05 }, on_empty: "pass" });
  });

  test.each(["k3s-node.sh", "holm-services.sh"])("health script %s is executable POSIX sh", async (name) => {
    const path = join(REPO, "configs/health", name);
    const file = Bun.file(path);
    expect((await file.stat()).mode & 0o111).toBe(0o111);
    const proc = Bun.spawn(["sh", "-n", path], { stderr: "pipe" });
    expect(await proc.exited).toBe(0);
  });
});

/**
 * A kept slot is kept in every mode (issue 22): a `run --timer` pass (the real CLI, a process that
 * ends) cordons, its drain gives up, the uncordon fails against the test API server — the slot
 * must still be in etcd after the process has exited (on its own lease, not the revoked session),
 * and the next timer pass undoes the cordon before releasing it.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { etcdctl, waitFor } from "../support/etcd.ts";
import { startFakeApiServer, unschedulable, type FakeApiServer } from "../support/fake-apiserver.ts";
import { useFleets } from "../support/fleets.ts";

const fleets = useFleets({ sharedEtcd: true });
let fake: FakeApiServer;
beforeEach(async () => {
  fake = await startFakeApiServer();
});
afterEach(() => fake.stop());

const kubeconfig = (server: string, token: string) =>
  ["apiVersion: v1", "kind: Config", `clusters: [{name: t, cluster: {server: ${JSON.stringify(server)}}}]`, `users: [{name: t, user: {token: ${JSON.stringify(token)}}}]`, "contexts: [{name: t, context: {cluster: t, user: t}}]", "current-context: t", ""].join("\n");

test("a --timer pass whose uncordon failed leaves its slot in etcd; the next pass uncordons, then releases", async () => {
  const ns = "/crd-timer-kept";
  fake.addNode("n1");
  fake.addPod({ name: "web-1", node: "n1", labels: { app: "web" } });
  fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
  const f = await fleets.create({
    nodes: [{ name: "n1", group: "g" }],
    config: { etcd_namespace: ns, kubernetes: { kubeconfig: "__KUBECONFIG__", drain: { enabled: true, timeout_sec: 3, on_timeout: "abort" } } },
  });
  const path = join(f.dir, "kubeconfig");
  await writeFile(path, kubeconfig(fake.url, fake.token ?? ""), { mode: 0o600 });
  const n1 = f.node("n1");
  await writeFile(n1.configPath, (await Bun.file(n1.configPath).text()).replace("__KUBECONFIG__", path));
  n1.requireReboot();

  // The pass cordons; the PDB refuses every eviction; meanwhile the API server stops taking writes.
  const pass = n1.cli(["run", "--timer", "--json"]);
  await waitFor(() => unschedulable(fake, "n1"), { timeoutMs: 20_000, what: "the cordon" });
  fake.fail({ method: "PATCH", path: /\/nodes\//, status: 503, times: 10_000 });
  const r = await pass;
  expect(r.exitCode).toBe(3);
  const report = JSON.parse(r.stdout) as { outcome: string; message: string };
  expect(report.outcome).toBe("drain_blocked");
  expect(report.message).toContain("uncordoning n1 failed, so the slot is kept");
  expect(report.message).not.toContain("slot released");

  // The process is gone; its session was revoked. The slot is still there, on its own lease.
  const kv = (JSON.parse(await etcdctl(fleets.cluster, ["get", `${ns}/slots/g/n1`, "-w", "json"])) as { kvs?: { value: string; lease?: number }[] }).kvs?.[0];
  expect(kv).toBeDefined();
  const rec = JSON.parse(Buffer.from(kv!.value, "base64").toString()) as { phase: string; deadline?: string; reason?: string };
  expect(rec.phase).toBe("preparing");
  expect(rec.deadline).toBeDefined();
  expect(rec.reason).toContain("uncordoning n1 failed");
  expect(unschedulable(fake, "n1")).toBe(true);

  // The next pass (the API server is back): uncordon first, then the slot goes.
  fake.clearFailures();
  const next = await n1.cli(["run", "--timer", "--json"]);
  const doc = JSON.parse(next.stdout) as { outcome: string; message: string };
  expect(doc.message).toContain("node uncordoned; released the slot kept");
  expect(unschedulable(fake, "n1")).toBe(false);
  expect((await etcdctl(fleets.cluster, ["get", `${ns}/slots/g/n1`, "--print-value-only"])).trim()).toBe("");
}, 60_000);

/**
 * Drain against the fake API server: what is evicted and skipped, PDBs that refuse for a while,
 * the drain timeout with abort and with force, and the drain's refusals.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { PRIOR_ANNOTATION, STARTED_ANNOTATION, STATE_ANNOTATION } from "../../src/kube/_node.ts";
import { annotationsOf, drainOpts, drive, harness, NODE, seedNode, startFakeApiServer, unschedulable, type FakeApiServer } from "../support/fake-apiserver.ts";

let fake: FakeApiServer;
beforeEach(async () => {
  fake = await startFakeApiServer();
  seedNode(fake);
});
afterEach(() => fake.stop());

const names = (pods: { namespace: string; name: string }[]) => pods.map((p) => `${p.namespace}/${p.name}`).sort();

describe("drain", () => {
  test("cordons, evicts the app pods and skips DaemonSet, mirror and finished pods", async () => {
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    if (r.kind !== "drained") throw new Error(`expected drained, got ${JSON.stringify(r)}`);
    expect(names(r.evicted)).toEqual(["default/web-1", "holm/api-1"]);
    expect(r.skipped.map((s) => `${s.name}:${s.why}`).sort()).toEqual(["backup-28911:finished", "kube-vip-pi-03:mirror", "svclb-traefik-x:daemonset"]);
    expect(r.forced).toEqual([]);
    expect(names(fake.evictions(201).map((e) => ({ namespace: e.path.split("/")[4]!, name: e.path.split("/")[6]! })))).toEqual(["default/web-1", "holm/api-1"]);
    expect(fake.podNames(NODE).sort()).toEqual(["default/backup-28911", "kube-system/kube-vip-pi-03", "kube-system/svclb-traefik-x"]);
    expect(fake.podNames("pi-04")).toEqual(["default/web-2"]);
    expect(unschedulable(fake)).toBe(true);
    const a = annotationsOf(fake);
    expect(a[STATE_ANNOTATION]).toBe("draining");
    expect(a[PRIOR_ANNOTATION]).toBe("false");
    expect(a[STARTED_ANNOTATION]).toBe(new Date(h.clock.now() - r.durationMs).toISOString());
  });

  test("cordons with a strategic merge patch guarded by the resourceVersion it read", async () => {
    const h = harness(fake);
    await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    const patch = fake.requests.find((r) => r.method === "PATCH")!;
    expect(patch.contentType).toBe("application/strategic-merge-patch+json");
    expect(patch.body).toMatchObject({ spec: { unschedulable: true }, metadata: { resourceVersion: expect.any(String) } });
    // Like a real kube-apiserver: the cordon sets spec.unschedulable only; the taint is the node
    // controller's business, later, so nothing of ours may rely on it.
    expect(fake.node(NODE)!.spec).toEqual({ unschedulable: true });
  });

  test("a PDB's 429 keeps the server's cause (the PDB by name) in the reason, the timeout log and the result", async () => {
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity, desiredHealthy: 1, currentHealthy: 2 });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ timeoutMs: 10_000 })), 1_000);
    if (r.kind !== "timeout") throw new Error(`expected timeout, got ${r.kind}`);
    const cause = "The disruption budget web-pdb needs 1 healthy pods and has 2 currently";
    expect(r.remaining).toEqual([{ namespace: "default", name: "web-1", reason: expect.stringContaining(cause) }]);
    const refused = h.log.records.find((x) => x.event === "drain_eviction_refused");
    expect(String(refused?.fields["reason"])).toContain(cause);
    const timeout = h.log.records.find((x) => x.event === "drain_timeout");
    expect(JSON.stringify(timeout?.fields["remaining"])).toContain(cause);
  });

  test("two PDBs over one pod: the 500 (which has no reason field) is reported with its message", async () => {
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: 0 });
    fake.addPdb({ name: "web-pdb-2", selector: { app: "web" }, refusals: 0 });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ timeoutMs: 5_000 })), 1_000);
    if (r.kind !== "timeout") throw new Error(`expected timeout, got ${r.kind}`);
    expect(r.remaining).toEqual([{ namespace: "default", name: "web-1", reason: "500: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support." }]);
  });

  test("a Pending pod is evicted at once: the API server does not consult its PDB", async () => {
    fake.addPod({ name: "web-pending", node: NODE, labels: { app: "web" }, phase: "Pending" });
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ timeoutMs: 10_000 })), 1_000);
    if (r.kind !== "timeout") throw new Error(`expected timeout, got ${r.kind}`);
    expect(names(r.remaining)).toEqual(["default/web-1"]); // the Running one is still held by the PDB
    expect(fake.podNames(NODE)).not.toContain("default/web-pending");
  });

  test("a PDB that refuses three times is retried with growing backoff, then the pod leaves", async () => {
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: 3 });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ retryMinMs: 1_000, retryMaxMs: 8_000 })));
    expect(r.kind).toBe("drained");
    expect(fake.evictions(429)).toHaveLength(3);
    expect(fake.evictions(201)).toHaveLength(2);
    // Backoff after the refusals: 1 s, 2 s, 4 s; then 1 s polls: one list still shows the evicted
    // pod terminating, the next one finds it gone.
    expect(r.durationMs).toBe(1_000 + 2_000 + 4_000 + 1_000 + 1_000);
    expect(h.log.records.filter((x) => x.event === "drain_eviction_refused")).toHaveLength(3);
  });

  test("on timeout with abort: reports the pods left with the PDB's reason and uncordons", async () => {
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ timeoutMs: 30_000 })), 1_000);
    if (r.kind !== "timeout") throw new Error(`expected timeout, got ${r.kind}`);
    expect(r.remaining).toEqual([{ namespace: "default", name: "web-1", reason: expect.stringContaining("disruption budget: Cannot evict pod") }]);
    expect(r.durationMs).toBeGreaterThanOrEqual(30_000);
    expect(r.durationMs).toBeLessThan(31_000);
    expect(r.restored).toEqual({ kind: "restored", uncordoned: true, hadState: true });
    expect(unschedulable(fake)).toBe(false);
    expect(annotationsOf(fake)).toEqual({});
    expect(fake.podNames(NODE)).toContain("default/web-1");
  });

  test("on timeout with force: deletes what is left (UID precondition) and reports drained", async () => {
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ timeoutMs: 30_000, onTimeout: "force", gracePeriodSec: 5 })), 1_000);
    if (r.kind !== "drained") throw new Error(`expected drained, got ${r.kind}`);
    expect(names(r.forced)).toEqual(["default/web-1"]);
    expect(r.leftBehind).toEqual([]);
    const del = fake.requests.find((x) => x.method === "DELETE")!;
    expect(del.body).toMatchObject({ gracePeriodSeconds: 5, preconditions: { uid: expect.any(String) } });
    expect(fake.podNames(NODE)).not.toContain("default/web-1");
    expect(unschedulable(fake)).toBe(true);
  });

  test("pods already terminating are waited for, not evicted again", async () => {
    fake.terminatingLists = 3;
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    expect(r.kind).toBe("drained");
    expect(fake.evictions()).toHaveLength(2);
  });

  test("the grace period is passed to the Eviction API when configured", async () => {
    const h = harness(fake);
    await drive(h.clock, h.kube.drain(NODE, drainOpts({ gracePeriodSec: 15 })));
    expect(fake.evictions(201).map((e) => e.body)).toEqual([
      expect.objectContaining({ apiVersion: "policy/v1", kind: "Eviction", deleteOptions: { gracePeriodSeconds: 15 } }),
      expect.objectContaining({ deleteOptions: { gracePeriodSeconds: 15 } }),
    ]);
  });

  test("a pod selector limits the drain to matching pods", async () => {
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ podSelector: "app in (web)" })));
    if (r.kind !== "drained") throw new Error(r.kind);
    expect(names(r.evicted)).toEqual(["default/web-1"]);
    expect(fake.podNames(NODE)).toContain("holm/api-1");
  });

  test("transient API errors while listing pods are retried until the drain succeeds", async () => {
    fake.fail({ method: "GET", path: /\/api\/v1\/pods$/, status: 503, times: 2 });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    expect(r.kind).toBe("drained");
    expect(h.log.records.filter((x) => x.event === "drain_list_failed")).toHaveLength(2);
  });
});

describe("drain refusals", () => {
  test.each([
    ["emptyDir data", { emptyDir: true }, {}, "uses emptyDir volume scratch"],
    ["an unmanaged pod", { owner: null }, {}, "has no controller"],
  ] as const)("refuses to drain a node with %s, evicts nothing and uncordons", async (_what, pod, opts, why) => {
    fake.addPod({ name: "special", node: NODE, ...pod });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts(opts)));
    if (r.kind !== "failed") throw new Error(`expected failed, got ${r.kind}`);
    expect(r.reason).toContain(`default/special ${why}`);
    expect(fake.evictions()).toHaveLength(0);
    expect(r.restored).toMatchObject({ kind: "restored", uncordoned: true });
    expect(unschedulable(fake)).toBe(false);
  });

  test.each([
    ["delete_emptydir_data", { emptyDir: true }, { deleteEmptyDirData: true }],
    ["evict_unmanaged_pods", { owner: null }, { evictUnmanagedPods: true }],
  ] as const)("%s lets such a pod be evicted", async (_what, pod, opts) => {
    fake.addPod({ name: "special", node: NODE, ...pod });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts(opts)));
    expect(r.kind).toBe("drained");
    expect(fake.podNames(NODE)).not.toContain("default/special");
  });

  test("a 403 on eviction fails at once with a hint about the permission", async () => {
    fake.fail({ method: "POST", path: /eviction$/, status: 403 });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    if (r.kind !== "failed") throw new Error(r.kind);
    expect(r.reason).toContain("pods/eviction");
    expect(unschedulable(fake)).toBe(false);
  });

  test("a node that does not exist fails with a clear reason", async () => {
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain("no-such-node", drainOpts()));
    expect(r).toMatchObject({ kind: "failed", reason: "node no-such-node not found in the cluster", restored: { kind: "not-found" } });
  });

  test("a wrong token fails with the API server's 401", async () => {
    const h = harness(fake, "wrong-token");
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    if (r.kind !== "failed") throw new Error(r.kind);
    expect(r.reason).toContain("401 Unauthorized");
  });

  test("an API server that never lists the pods fails the drain even with on_timeout force", async () => {
    fake.fail({ method: "GET", path: /\/api\/v1\/pods$/, status: 503, times: Infinity });
    const h = harness(fake);
    const r = await drive(h.clock, h.kube.drain(NODE, drainOpts({ timeoutMs: 10_000, onTimeout: "force" })), 1_000);
    if (r.kind !== "failed") throw new Error(r.kind);
    expect(r.reason).toContain("could not list the pods on pi-03 before the drain timeout: 503");
    expect(fake.requests.filter((x) => x.method === "DELETE")).toHaveLength(0);
    expect(unschedulable(fake)).toBe(false);
  });

  test("an aborted signal interrupts the drain and undoes the cordon", async () => {
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
    const h = harness(fake);
    const ctl = new AbortController();
    const p = h.kube.drain(NODE, drainOpts(), ctl.signal);
    await h.clock.untilSleeping();
    ctl.abort();
    const r = await p;
    expect(r).toMatchObject({ kind: "interrupted", restored: { kind: "restored", uncordoned: true } });
    expect(unschedulable(fake)).toBe(false);
  });
});

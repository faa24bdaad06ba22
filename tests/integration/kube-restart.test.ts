/**
 * State on the node, not in memory: a daemon that crashes mid-drain is replaced by a new process
 * that finishes or undoes the drain; uncordon happens only if we cordoned; annotations; and the
 * two ways of authenticating (k3s.yaml client certificates, in-cluster service account) over TLS.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube, createKubeApi, inClusterLoader, kubeconfigLoader } from "../../src/kube/index.ts";
import { PRIOR_ANNOTATION, STATE_ANNOTATION } from "../../src/kube/_node.ts";
import { createFs } from "../../src/platform/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { annotationsOf, drainOpts, drive, harness, NODE, seedNode, startFakeApiServer, unschedulable, type FakeApiServer } from "../support/fake-apiserver.ts";
import { makeTlsMaterial, type TlsMaterial } from "../support/tls.ts";

let fake: FakeApiServer;
afterEach(() => fake.stop());

describe("crash mid-drain, then a restart", () => {
  beforeEach(async () => {
    fake = await startFakeApiServer();
    seedNode(fake);
    fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
  });

  /** The first daemon gets as far as cordoning and evicting api-1, then dies while web-1's PDB refuses. */
  async function crashMidDrain(): Promise<void> {
    const first = harness(fake);
    void first.kube.drain(NODE, drainOpts());
    for (let i = 0; i < 3; i++) {
      await first.clock.untilSleeping();
      await first.clock.advance(1_000);
    }
    await first.clock.untilSleeping();
    // "Crash": the process is gone; its promise never settles and nothing ran a cleanup.
    expect(unschedulable(fake)).toBe(true);
    expect(fake.podNames(NODE)).toContain("default/web-1");
  }

  test("the new process reads the state from the node annotations", async () => {
    await crashMidDrain();
    const state = await harness(fake).kube.readState(NODE);
    expect(state).toMatchObject({ kind: "ok", state: "draining", cordonedByUs: true, unschedulable: true, drainStartedAt: expect.any(String) });
  });

  test("restore undoes it: uncordoned, our annotations gone", async () => {
    await crashMidDrain();
    const r = await harness(fake).kube.restore(NODE);
    expect(r).toEqual({ kind: "restored", uncordoned: true, hadState: true });
    expect(unschedulable(fake)).toBe(false);
    expect(annotationsOf(fake)).toEqual({});
  });

  test("drain again finishes it, keeping the original prior state, so restore still uncordons", async () => {
    await crashMidDrain();
    fake.setPdbRefusals("web-pdb", 0);
    const second = harness(fake);
    const r = await drive(second.clock, second.kube.drain(NODE, drainOpts()));
    if (r.kind !== "drained") throw new Error(r.kind);
    expect(r.evicted.map((p) => p.name)).toEqual(["web-1"]);
    expect(second.log.records.find((x) => x.event === "drain_cordoned")?.fields).toMatchObject({ resumed: true, was_unschedulable: false });
    expect(annotationsOf(fake)[PRIOR_ANNOTATION]).toBe("false");
    expect(await second.kube.restore(NODE)).toEqual({ kind: "restored", uncordoned: true, hadState: true });
    expect(unschedulable(fake)).toBe(false);
  });
});

describe("restore and annotations", () => {
  beforeEach(async () => {
    fake = await startFakeApiServer();
    seedNode(fake);
  });

  test("a node an operator had cordoned stays cordoned after our drain and restore", async () => {
    fake.addNode("pi-05", { unschedulable: true });
    fake.addPod({ name: "db-1", node: "pi-05" });
    const h = harness(fake);
    expect((await drive(h.clock, h.kube.drain("pi-05", drainOpts()))).kind).toBe("drained");
    expect(annotationsOf(fake, "pi-05")[PRIOR_ANNOTATION]).toBe("true");
    expect(await h.kube.restore("pi-05")).toEqual({ kind: "restored", uncordoned: false, hadState: true });
    expect(unschedulable(fake, "pi-05")).toBe(true);
    expect(annotationsOf(fake, "pi-05")).toEqual({});
  });

  test("restore of a node we never touched changes nothing, and restore is idempotent", async () => {
    const h = harness(fake);
    expect(await h.kube.restore(NODE)).toEqual({ kind: "restored", uncordoned: false, hadState: false });
    expect(fake.requests.filter((r) => r.method === "PATCH")).toHaveLength(0);
    await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    expect((await h.kube.restore(NODE)).kind).toBe("restored");
    expect(await h.kube.restore(NODE)).toEqual({ kind: "restored", uncordoned: false, hadState: false });
  });

  test("a node uncordoned by someone else meanwhile is not touched again, annotations are still cleared", async () => {
    const h = harness(fake);
    await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    await h.api.patchNode(NODE, { spec: { unschedulable: false } }, "merge");
    expect(await h.kube.restore(NODE)).toEqual({ kind: "restored", uncordoned: false, hadState: true });
    expect(annotationsOf(fake)).toEqual({});
  });

  test("a write conflict (409) is re-read and retried", async () => {
    const h = harness(fake);
    await drive(h.clock, h.kube.drain(NODE, drainOpts()));
    fake.fail({ method: "PATCH", path: /nodes/, status: 409, times: 2 });
    expect(await h.kube.restore(NODE)).toMatchObject({ kind: "restored", uncordoned: true });
  });

  test("restore reports an unreachable API server instead of throwing", async () => {
    const h = harness(fake);
    await fake.stop();
    const r = await h.kube.restore(NODE);
    expect(r.kind).toBe("failed");
  });

  test.each(["draining", "rebooting", "verifying"] as const)("annotate sets state %s with a merge patch, and null removes it", async (state) => {
    const h = harness(fake);
    expect(await h.kube.annotate(NODE, state)).toEqual({ kind: "ok" });
    expect(annotationsOf(fake)[STATE_ANNOTATION]).toBe(state);
    expect(fake.requests.at(-1)!.contentType).toBe("application/merge-patch+json");
    expect(await h.kube.readState(NODE)).toMatchObject({ kind: "ok", state, cordonedByUs: false });
    expect(await h.kube.annotate(NODE, null)).toEqual({ kind: "ok" });
    expect(annotationsOf(fake)).toEqual({});
  });

  test("annotating or reading a missing node is a result, not a throw", async () => {
    const h = harness(fake);
    expect((await h.kube.annotate("ghost", "rebooting")).kind).toBe("failed");
    expect(await h.kube.readState("ghost")).toEqual({ kind: "not-found" });
  });
});

describe("authentication over TLS", () => {
  let dir: string;
  let tls: TlsMaterial;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "crd-kube-"));
    tls = await makeTlsMaterial(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const b64 = (b: Buffer) => b.toString("base64");

  test("a k3s-style kubeconfig (embedded CA, client certificate and key; server by IP) works as is", async () => {
    fake = await startFakeApiServer({ tls, token: null });
    seedNode(fake);
    const path = join(dir, "k3s.yaml");
    await writeFile(path, k3sYaml(fake.url, b64(tls.ca), b64(tls.clientCert), b64(tls.clientKey)));
    const clock = new FakeClock();
    const api = createKubeApi({ load: kubeconfigLoader(path, null, createFs()), clock, timeoutMs: 5_000 });
    const kube = createKube({ api, clock });
    expect((await drive(clock, kube.drain(NODE, drainOpts()))).kind).toBe("drained");
    expect((await kube.restore(NODE)).kind).toBe("restored");
  });

  test("without a client certificate the TLS server refuses us and we report it", async () => {
    fake = await startFakeApiServer({ tls, token: null });
    seedNode(fake);
    const path = join(dir, "k3s.yaml");
    await writeFile(path, k3sYaml(fake.url, b64(tls.ca), null, null));
    const api = createKubeApi({ load: kubeconfigLoader(path, null, createFs()), clock: new FakeClock(), timeoutMs: 5_000 });
    expect((await api.getNode(NODE)).kind).toBe("error");
  });

  test("in-cluster: service-account token and CA from the standard files, server from the environment", async () => {
    fake = await startFakeApiServer({ tls, token: "sa-token", requireClientCert: false });
    seedNode(fake);
    const sa = join(dir, "sa");
    await Bun.write(join(sa, "token"), "sa-token\n");
    await Bun.write(join(sa, "ca.crt"), tls.ca);
    const env = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: new URL(fake.url).port };
    const api = createKubeApi({ load: inClusterLoader(env, createFs(), sa), clock: new FakeClock(), timeoutMs: 5_000 });
    const r = await api.getNode(NODE);
    expect(r.kind).toBe("ok");
  });
});

function k3sYaml(server: string, ca: string, cert: string | null, key: string | null): string {
  return [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${ca}`,
    `    server: ${server}`,
    "  name: default",
    "contexts:",
    "- context:",
    "    cluster: default",
    "    user: default",
    "  name: default",
    "current-context: default",
    "kind: Config",
    "preferences: {}",
    "users:",
    "- name: default",
    "  user:",
    ...(cert ? [`    client-certificate-data: ${cert}`, `    client-key-data: ${key}`] : ["    {}"]),
    "",
  ].join("\n");
}

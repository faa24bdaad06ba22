/**
 * Kubernetes nodes behind FleetLock: pre-reboot of a Zincati client mapped to its node (by the
 * app-specific machine id) drains it before the grant — `draining` meanwhile, 200 only once
 * drained — and steady-state uncordons it. Real etcd for the slots, the fake API server for Kubernetes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { appSpecificId, createKubeHooks } from "../../src/fleetlock/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { makeKeys } from "../../src/slots/index.ts";
import { startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";
import { drainOpts, harness, startFakeApiServer, unschedulable, type FakeApiServer } from "../support/fake-apiserver.ts";
import { call, startTestServer, type TestServer } from "../unit/fleetlock/_harness.ts";

const MACHINE_ID = "3d1219c7c4c5404aaa1f6d2a48adfda4";
// What `systemd-id128 machine-id -a de35106b6ec24688b63afddaa156679b` prints on that machine.
const ZINCATI_ID = "975228d46dc94622b9bbe16671e2b58d";

let cluster: EtcdCluster;
let gw: EtcdGateway;
let fake: FakeApiServer;
let srv: TestServer;
let n = 0;

beforeAll(async () => {
  cluster = await startEtcd();
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
});
afterAll(async () => {
  await gw?.close();
  await cluster?.stop();
});
beforeEach(async () => {
  fake = await startFakeApiServer();
  fake.addNode("fcos-1", { machineID: MACHINE_ID });
  fake.addNode("fcos-2");
  fake.addPod({ name: "web-1", node: "fcos-1", labels: { app: "web" } });
});
afterEach(async () => {
  await srv?.server.stop();
  fake.stop();
});

function serve(o: { pdbRefusals?: number; timeoutMs?: number } = {}) {
  if (o.pdbRefusals) fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: o.pdbRefusals });
  // Real clock here: the drain's backoff (1 s, 2 s, …) runs for real, bounded by the drain timeout.
  const h = harness(fake);
  const kube = { ...h.kube };
  const hooks = createKubeHooks({ kube, api: h.api, drain: drainOpts({ timeoutMs: o.timeoutMs ?? 60_000 }), log: memoryLogger(), answerWithinMs: 200 });
  srv = startTestServer(gw, makeKeys(`/flk${n++}`), { hooks });
  return h;
}

test("the app-specific id matches systemd's", () => {
  expect(appSpecificId(MACHINE_ID)).toBe(ZINCATI_ID);
});

test("pre-reboot drains the client's node first, grants only once drained; steady-state uncordons", async () => {
  const h = serve();
  // The harness's fake clock drives the drain's sleeps: advance it while we poll.
  const ticker = setInterval(() => void h.clock.advance(1_000), 20);
  try {
    const first = await call(srv.server.url, "pre", ZINCATI_ID, "default");
    expect([200, 423]).toContain(first.status);
    const granted = await waitFor(async () => {
      const r = await call(srv.server.url, "pre", ZINCATI_ID, "default");
      if (r.status === 423) expect(r.kind).toBe("draining");
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 15_000, intervalMs: 50, what: "grant after drain" });
    expect(granted.status).toBe(200);
    expect(unschedulable(fake, "fcos-1")).toBe(true);
    expect(fake.podNames("fcos-1")).not.toContain("default/web-1");
    expect(unschedulable(fake, "fcos-2")).toBe(false);
    const steady = await call(srv.server.url, "steady", ZINCATI_ID, "default");
    expect(steady.status).toBe(200);
    expect(unschedulable(fake, "fcos-1")).toBe(false);
  } finally {
    clearInterval(ticker);
  }
});

test("a PDB that never yields: the grant fails (never 200), the node is uncordoned and the slot freed", async () => {
  const h = serve({ pdbRefusals: Infinity, timeoutMs: 3_000 });
  let ticker: ReturnType<typeof setInterval> | undefined = setInterval(() => void h.clock.advance(1_000), 20);
  try {
    const kinds = new Set<string>();
    const failed = await waitFor(async () => {
      const r = await call(srv.server.url, "pre", ZINCATI_ID, "default");
      expect(r.status).not.toBe(200);
      kinds.add(`${r.status} ${r.kind}`);
      return r.kind === "drain_blocked" ? r : undefined;
    }, { timeoutMs: 15_000, intervalMs: 50, what: "grant refused after the drain timed out" });
    // One refusal class throughout (423): never a 500 for a drain a PDB blocks.
    expect([...kinds].every((k) => k.startsWith("423 "))).toBe(true);
    expect(failed.value).toContain("timed out");
    clearInterval(ticker);
    ticker = undefined;
    expect(unschedulable(fake, "fcos-1")).toBe(false);
    // Zincati retries: inside the hold-off the node is not cordoned again, and the answer stays.
    const patches = () => fake.requests.filter((r) => r.method === "PATCH" && r.path.endsWith("/nodes/fcos-1")).length;
    const before = patches();
    for (let i = 0; i < 3; i++) expect(await call(srv.server.url, "pre", ZINCATI_ID, "default")).toMatchObject({ status: 423, kind: "drain_blocked" });
    expect(patches()).toBe(before);
    // The slot was freed: another client of the group gets it.
    const other = await call(srv.server.url, "pre", "fcos-2", "default");
    expect([200, 423]).toContain(other.status);
  } finally {
    if (ticker) clearInterval(ticker);
  }
});

test("an id that maps to no node is refused", async () => {
  serve();
  const r = await call(srv.server.url, "pre", "0123456789abcdef0123456789abcdef", "default");
  expect(r).toMatchObject({ status: 423, kind: "drain_blocked" });
  expect(r.value).toContain("no Kubernetes node");
});

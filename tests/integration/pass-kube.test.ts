/**
 * The orchestrator with Kubernetes: drain under the slot, annotations through the reboot,
 * uncordon before the slot is released, a PDB that blocks the drain, and a cordon left behind by
 * a crashed daemon. Real etcd for the slots; the fake API server of tests/support for Kubernetes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSession } from "../../src/slots/index.ts";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { STATE_ANNOTATION } from "../../src/kube/_node.ts";
import { nodeKube, runPass } from "../../src/orchestrate/index.ts";
import { noopMetrics } from "../../src/observe/index.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { waitFor } from "../support/wait.ts";
import { createFs } from "../../src/platform/index.ts";
import { makeKeys, readClusterState, type Keys } from "../../src/slots/index.ts";
import { FakeHost } from "../fakes/host.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { startEtcd, type EtcdCluster } from "../support/etcd.ts";
import { passingHealth, testPlan } from "../support/plan.ts";
import { annotationsOf, drainOpts, drive, harness, NODE, seedNode, startFakeApiServer, unschedulable, type FakeApiServer } from "../support/fake-apiserver.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;
let dir: string;
let fake: FakeApiServer;
let keys: Keys;
let n = 0;

beforeAll(async () => {
  cluster = await startEtcd();
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
  dir = await mkdtemp(join(tmpdir(), "crd-pk-"));
});
afterAll(async () => {
  await gw?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  keys = makeKeys(`/pk${n++}`);
  fake = await startFakeApiServer();
  seedNode(fake);
});
afterEach(() => fake.stop());

async function coordinator(opts: { requireReboot?: boolean; drain?: Partial<ReturnType<typeof drainOpts>>; host?: FakeHost } = {}) {
  const h = harness(fake);
  const host = opts.host ?? new FakeHost({ bootId: "boot-1" });
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const plan = testPlan({
    node: NODE,
    detectors: [{ name: "flag", type: "file", path: opts.requireReboot === false ? join(dir, "absent") : dir }],
    slotTimeoutSec: 120,
  });
  const session = await openSession(gw, keys, { node: NODE, group: "g", fallback: false, pid: 1, bootId: await host.bootId() }, { ttlSec: 5, nowMs: h.clock.now() });
  const ports = { clock: h.clock, runner, host, fs: createFs(), log: h.log };
  const co = etcdCoordinator({
    plan, health: passingHealth, etcd: { gw, keys }, session, ports,
    kube: nodeKube({ kube: h.kube, api: h.api, node: NODE, drain: drainOpts(opts.drain) }, { log: h.log, metrics: noopMetrics }),
  });
  return { co, runner, host, clock: h.clock, session };
}

test("drain under the slot, 'rebooting' through the reboot, uncordon before the slot is released", async () => {
  const a = await coordinator();
  const r1 = await drive(a.clock, runPass(a.co, "run"));
  expect(r1.outcome.kind).toBe("rebooting");
  expect(r1.drain?.kind).toBe("drained");
  expect(unschedulable(fake)).toBe(true);
  expect(annotationsOf(fake)[STATE_ANNOTATION]).toBe("rebooting");
  expect(fake.podNames(NODE)).not.toContain("default/web-1");
  await a.session.close({ revoke: false });

  a.host.reboot();
  const b = await coordinator({ requireReboot: false, host: a.host });
  const r2 = await drive(b.clock, runPass(b.co, "run"));
  expect(r2.outcome.kind).toBe("post_boot_released");
  expect(unschedulable(fake)).toBe(false);
  expect(annotationsOf(fake)[STATE_ANNOTATION]).toBeUndefined();
  expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
  await b.session.close({ revoke: true });
});

test("a PDB that never allows the eviction: drain_blocked, node uncordoned, slot released, no reboot", async () => {
  fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
  const a = await coordinator({ drain: { timeoutMs: 5_000, onTimeout: "abort" } });
  const r = await drive(a.clock, runPass(a.co, "run"));
  expect(r.outcome.kind).toBe("drain_blocked");
  expect(r.outcome.message).toContain("web-1");
  expect(a.runner.argvs).toEqual([]);
  expect(unschedulable(fake)).toBe(false);
  expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
  await a.session.close({ revoke: true });
});

test("the uncordon fails when the drain gives up: the slot is kept, never freed with the node cordoned; the next pass frees both", async () => {
  fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
  const a = await coordinator({ drain: { timeoutMs: 5_000, onTimeout: "abort" } });
  const pass = runPass(a.co, "run");
  await waitFor(() => unschedulable(fake), { timeoutMs: 5_000, what: "the cordon" });
  // The API server goes away while the drain waits on the PDB: every node write now fails.
  fake.fail({ method: "PATCH", path: /\/nodes\//, status: 503, times: 1_000 });
  const r = await drive(a.clock, pass);
  expect(r.outcome.kind).toBe("drain_blocked");
  expect(r.outcome.message).toContain("slot is kept");
  expect(a.runner.argvs).toEqual([]);
  expect(unschedulable(fake)).toBe(true);
  expect((await readClusterState(gw, keys)).slots.map((s) => s.record?.phase)).toEqual(["preparing"]);
  // Back again: the next pass finds its preparing slot, uncordons, and only then frees it.
  fake.clearFailures();
  const r2 = await drive(a.clock, runPass(a.co, "run"));
  expect(r2.outcome.kind).toBe("no_action");
  expect(r2.outcome.message).toContain("node uncordoned; released the slot kept");
  expect(unschedulable(fake)).toBe(false);
  expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
  await a.session.close({ revoke: true });
});

test("a cordon left by a crashed daemon (no slot any more) is undone by the next pass", async () => {
  fake.addPdb({ name: "web-pdb", selector: { app: "web" }, refusals: Infinity });
  const crashed = harness(fake);
  void crashed.kube.drain(NODE, drainOpts()); // cordons, then waits on the PDB forever: the "crash"
  await crashed.clock.untilSleeping();
  expect(unschedulable(fake)).toBe(true);
  const a = await coordinator({ requireReboot: false });
  const r = await drive(a.clock, runPass(a.co, "run"));
  expect(r.outcome.kind).toBe("no_action");
  expect(unschedulable(fake)).toBe(false);
  expect(annotationsOf(fake)[STATE_ANNOTATION]).toBeUndefined();
  await a.session.close({ revoke: true });
});

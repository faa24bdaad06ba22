/**
 * lock_backend: fleetlock — a coordinator pass whose lock is a remote FleetLock server (here our
 * own, on a real etcd): pre-reboot before the command, the lock held through the reboot, released
 * by steady-state once the node is healthy again; refusals map to our outcomes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { createFleetLockClient } from "../../src/fleetlock/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { remoteLock } from "../../src/fleetlock/index.ts";
import { runPass } from "../../src/orchestrate/index.ts";
import { remoteCoordinator } from "../support/coordinator.ts";
import { createFs } from "../../src/platform/index.ts";
import { makeKeys, readClusterState } from "../../src/slots/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeHost } from "../fakes/host.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { startEtcd, type EtcdCluster } from "../support/etcd.ts";
import { passingHealth, testPlan } from "../support/plan.ts";
import { startTestServer, type TestServer } from "../unit/fleetlock/_harness.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;
let server: TestServer;
let dir: string;
const keys = makeKeys("/clusterrebootd");

beforeAll(async () => {
  cluster = await startEtcd();
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
  server = startTestServer(gw, keys);
  dir = await mkdtemp(join(tmpdir(), "crd-flc-"));
});
afterAll(async () => {
  await server?.server.stop();
  await gw?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function node(name: string) {
  const flag = join(dir, `${name}-reboot-required`);
  await writeFile(flag, "");
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const plan = testPlan({ node: name, group: "default", detectors: [{ name: "flag", type: "file", path: flag }], slotTimeoutSec: 120, rebootGraceMs: 1000 });
  const co = remoteCoordinator({
    plan, health: passingHealth,
    ports: { clock: new FakeClock(), runner, host: new FakeHost(), fs: createFs(), log: memoryLogger() },
    client: createFleetLockClient({ baseUrl: server.server.url, timeoutMs: 3000 }), id: name, group: "default",
  });
  return { co, runner, flag };
}

const holders = async () => (await readClusterState(gw, keys)).slots.map((s) => `${s.node}:${s.record?.holder}`);

test("a client-mode node takes the remote lock, keeps it through the reboot, and releases it when healthy", async () => {
  const a = await node("flc-a");
  const b = await node("flc-b");
  const ra = await runPass(a.co, "run");
  expect(ra.outcome.kind).toBe("rebooting");
  expect(a.runner.argvs).toEqual([["/sbin/reboot-sim"]]);
  expect(await holders()).toEqual(["flc-a:fleetlock"]);

  // The other node is refused while a holds the group's only slot.
  const rb = await runPass(b.co, "run");
  expect(rb.outcome.kind).toBe("lock_unavailable");
  expect(rb.outcome.message).toContain("failed_lock_semaphore_full");
  expect(b.runner.argvs).toEqual([]);

  // "Reboot": the detector clears; the next healthy pass reports steady-state and frees the slot.
  await rm(a.flag);
  expect((await runPass(a.co, "run")).outcome.kind).toBe("no_action");
  expect(await holders()).toEqual([]);
  expect((await runPass(b.co, "run")).outcome.kind).toBe("rebooting");
  await rm(b.flag);
  await runPass(b.co, "run");
  expect(await holders()).toEqual([]);
});

test("status in client mode never calls the server", async () => {
  const c = await node("flc-c");
  const r = await runPass(c.co, "status");
  expect(r.outcome.kind).toBe("lock_skipped");
  expect(await holders()).toEqual([]);
});

test("an unreachable server is a runtime error, never a reboot", async () => {
  const d = await node("flc-d");
  const r = await runPass({ ...d.co, lock: remoteLock(createFleetLockClient({ baseUrl: "http://127.0.0.1:9/", timeoutMs: 1000 }), "flc-d", "default") }, "run");
  expect(r.outcome.kind).toBe("runtime_error");
  expect(r.outcome.message).toContain("unreachable");
  expect(d.runner.argvs).toEqual([]);
});

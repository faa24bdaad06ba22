/**
 * The budget under identity and state faults (issue 12), against real etcd: a cloned machine with
 * our node name, etcd recreated while a node is down, unreadable records, a FleetLock server
 * configured above the daemons' limit, a daemon frozen between fence and command, and a node that
 * boots with its kill switch present.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { memoryLogger, type Notifier } from "../../src/observe/index.ts";
import { runPass, type Plan } from "../../src/orchestrate/index.ts";
import { createFs, realPorts } from "../../src/platform/index.ts";
import { createEtcdBackend, createFleetLockHandler } from "../../src/fleetlock/index.ts";
import { forgetNode, IdentityConflictError, makeKeys, openSession, readClusterState, tryAcquireSlot, type Keys } from "../../src/slots/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeHost } from "../fakes/host.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { startEtcd } from "../support/etcd.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { passingHealth, testPlan } from "../support/plan.ts";
import { call, hexId, startTestServer, testSettings } from "../unit/fleetlock/_harness.ts";
import { openHealthySession } from "../support/session.ts";

let n = 0;
const NOW = Date.UTC(2025, 0, 6, 12, 0, 0);

const fx = etcdFixture("ident");

const fresh = () => makeKeys(`/ident${n++}`);

async function node(o: { keys: Keys; gw?: EtcdGateway; name?: string; machine?: string; host?: FakeHost; clock?: FakeClock; plan?: Partial<Plan>; notifier?: Notifier }) {
  const name = o.name ?? "n1";
  const g = o.gw ?? fx.gw;
  const host = o.host ?? new FakeHost({ bootId: "boot-1" });
  if (o.machine) host.machineIdValue = o.machine;
  if (!o.host) {
    host.stateDirValue = await mkdtemp(join(fx.dir, "state-"));
  }
  const clock = o.clock ?? new FakeClock(NOW);
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const log = memoryLogger();
  const plan = testPlan({
    node: name,
    detectors: [{ name: "always", type: "file", path: fx.dir }],
    killSwitchFile: join(fx.dir, `kill-${name}-${n}`),
    machineId: await host.machineId(),
    baseEnv: { RC_NODE_NAME: name, RC_BOOT_ID: await host.bootId() },
    ...o.plan,
  });
  const session = await openHealthySession(g, o.keys, { node: name, group: "g", fallback: false, pid: 1, bootId: await host.bootId(), machineId: await host.machineId(), limit: plan.limit, globalCap: plan.globalCap }, { ttlSec: 5, nowMs: clock.now() });
  const co = etcdCoordinator({ plan, ports: { clock, runner, host, fs: createFs(), log }, health: passingHealth, etcd: { gw: g, keys: o.keys }, session, ...(o.notifier ? { notifier: o.notifier } : {}) });
  return { co, host, clock, runner, log, session };
}

test("a cloned machine with our node name never takes the other machine's slot as its own", async () => {
  const keys = fresh();
  const a = await node({ keys, machine: "a".repeat(32) });
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  await a.session.close({ revoke: true }); // A is down now, its slot lives on
  // B: another machine (another machine id), the same node_name, a different boot id.
  const hostB = new FakeHost({ bootId: "boot-b" });
  hostB.machineIdValue = "b".repeat(32);
  await expect(openSession(fx.gw, keys, { node: "n1", group: "g", fallback: false, pid: 2, bootId: "boot-b", machineId: hostB.machineIdValue }, { ttlSec: 5, nowMs: NOW })).rejects.toBeInstanceOf(IdentityConflictError);
  // Even if it got a session (a race at start), a pass refuses instead of "finishing" A's reboot.
  const bSession = await openSession(fx.gw, keys, { node: "n1", group: "g", fallback: false, pid: 2, bootId: "boot-b" }, { ttlSec: 5, nowMs: NOW });
  const b = etcdCoordinator({ ...(await node({ keys: fresh(), host: hostB })).co, etcd: { gw: fx.gw, keys }, session: bSession });
  const r = await runPass({ ...b, plan: { ...b.plan, machineId: hostB.machineIdValue } }, "run");
  expect(r.outcome.kind).toBe("identity_conflict");
  expect(r.outcome.message).toContain("a".repeat(32));
  const slots = (await readClusterState(fx.gw, keys)).slots;
  expect(slots.map((s) => [s.record?.phase, s.record?.machine_id])).toEqual([["rebooting", "a".repeat(32)]]);
  await bSession.close({ revoke: true });
});

test("a clone whose acquire finds the original's fresh slot (after its own read) does not free it", async () => {
  const keys = fresh();
  const lease = await fx.gw.grantLease(30, { keepAlive: true });
  const b = await node({ keys, machine: "b".repeat(32) });
  // The original (machine a) takes its slot while the clone runs its pre-lock health check:
  // after the clone's view, before its acquire (the chaos run found exactly this window).
  const clone = {
    ...b.co,
    health: {
      async run(phase: Parameters<typeof passingHealth.run>[0], vars: Parameters<typeof passingHealth.run>[1]) {
        if (phase === "pre-lock")
          await tryAcquireSlot(fx.gw, keys, { node: "n1", group: "g", limit: 1, globalCap: null, holder: "daemon", pid: 7, bootId: "boot-a", leaseId: lease.id, nowIso: new Date(NOW).toISOString(), machineId: "a".repeat(32) });
        return passingHealth.run(phase, vars);
      },
    },
  };
  const r = await runPass(clone, "run");
  expect(r.outcome.kind).toBe("identity_conflict");
  const slots = (await readClusterState(fx.gw, keys)).slots;
  expect(slots.map((s) => [s.record?.phase, s.record?.machine_id])).toEqual([["preparing", "a".repeat(32)]]);
  expect(b.log.records.some((x) => x.event === "slot_recovered")).toBe(false);
  await lease.revoke();
  await b.session.close({ revoke: true });
});

test("an unreadable member or reboot-history record blocks, naming the key and the fix", async () => {
  const keys = fresh();
  const a = await node({ keys });
  await fx.gw.txn([], [{ kind: "put", key: keys.member("ghost"), value: "{not json" }]);
  const r = await runPass(a.co, "run");
  expect(r.outcome.kind).toBe("health_blocked");
  expect(r.outcome.message).toContain(keys.member("ghost"));
  expect(r.outcome.message).toContain("forget ghost");
  await fx.gw.txn([], [{ kind: "delete", key: keys.member("ghost") }, { kind: "put", key: keys.reboots("n1"), value: JSON.stringify({ node: "n1", history: "yesterday" }) }]);
  const r2 = await runPass(a.co, "run");
  expect(r2.outcome.kind).toBe("health_blocked");
  expect(r2.outcome.message).toContain("unlock n1 --reset-history");
  expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
  await a.session.close({ revoke: true });
});

test("a FleetLock server configured above the daemons' limit never grants beyond it", async () => {
  const keys = fresh();
  // The server reads health records on the real clock: the daemon's must be fresh on it too.
  const d = await node({ keys, name: "d1", plan: { limit: 1 }, clock: new FakeClock(Date.now()) });
  const server = startTestServer(fx.gw, keys, { settings: testSettings({ limitFor: () => 3 }) });
  try {
    const url = server.server.url;
    expect((await call(url, "pre", hexId(1), "g")).status).toBe(200);
    const second = await call(url, "pre", hexId(2), "g");
    expect(second).toMatchObject({ status: 423, kind: "failed_lock_semaphore_full" });
    expect(second.value).toContain("1 of 1");
  } finally {
    await server.server.stop();
    await d.session.close({ revoke: true });
  }
});

test("a daemon frozen between the fence and the command past the slot's deadline does not reboot", async () => {
  const keys = fresh();
  // The freeze (SIGSTOP, a hung disk) happens right after the fence, while announcing the reboot:
  // wall time jumps past the slot's deadline before the process runs again.
  const fake = new FakeClock(NOW);
  let frozenMs = 0;
  const clock = Object.assign(Object.create(fake) as FakeClock, { now: () => fake.now() + frozenMs, sleep: fake.sleep.bind(fake) });
  const notifier: Notifier = { notify: (event) => void (event === "reboot_started" && (frozenMs = 61_000)), idle: async () => {} };
  const a = await node({ keys, clock, notifier, plan: { slotTimeoutSec: 60 } });
  const r = await runPass(a.co, "run");
  expect(r.outcome.kind).toBe("runtime_error");
  expect(r.outcome.message).toContain("deadline");
  expect(a.runner.argvs).toEqual([]);
  await a.session.close({ revoke: true });
});

test("a node that boots with its kill switch present still finishes its post-boot release", async () => {
  const keys = fresh();
  const a = await node({ keys });
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  await a.session.close({ revoke: false });
  a.host.reboot();
  await writeFile(a.co.plan.killSwitchFile, "");
  const b = await node({ keys, host: a.host });
  const r = await runPass({ ...b.co, plan: { ...b.co.plan, killSwitchFile: a.co.plan.killSwitchFile } }, "run");
  expect(r.outcome.kind).toBe("post_boot_released");
  expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
  // Nothing disruptive: the next pass stops at the kill switch.
  const again = await runPass({ ...b.co, plan: { ...b.co.plan, killSwitchFile: a.co.plan.killSwitchFile } }, "run");
  expect(again.outcome.kind).toBe("kill_switch_active");
  await b.session.close({ revoke: true });
});

test("etcd recreated while a node is down: peers hold back, the returning node takes its slot again", async () => {
  const keys = makeKeys("/clusterrebootd");
  const other = await startEtcd();
  const gw2 = await connectEtcd({ endpoints: other.endpoints, requestTimeoutMs: 3000 });
  try {
    const a = await node({ keys, gw: fx.gw, name: "a" });
    const peer = await node({ keys, gw: fx.gw, name: "p" });
    expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
    expect((await runPass(peer.co, "run")).outcome.kind).toBe("lock_unavailable"); // sees cluster 1
    // etcd is recreated (a new cluster, empty) while a is down: the peer now talks to it.
    const peer2 = await node({ keys, gw: gw2, name: "p", host: peer.host, clock: peer.clock });
    const held = await runPass({ ...peer2.co, memory: peer.co.memory }, "run");
    expect(held.outcome.kind).toBe("paused");
    expect(held.outcome.message).toContain("cluster id changed");
    expect((await readClusterState(gw2, keys)).slots).toHaveLength(0);
    // a comes back (new boot id), connected to the new cluster: its marker re-creates the slot.
    a.host.reboot();
    const back = await node({ keys, gw: gw2, name: "a", host: a.host, clock: a.clock, plan: { detectors: [] } });
    const r = await runPass(back.co, "run");
    expect(r.outcome.kind).toBe("post_boot_released");
    expect(back.log.records.some((x) => x.event === "slot_recreated")).toBe(true);
    // The operator acknowledges once every node is back; the peer may go.
    await gw2.txn([], [{ kind: "put", key: keys.resetAck, value: JSON.stringify({ cluster_id: (await gw2.snapshot([], [])).clusterId, by: "test", at: new Date(NOW).toISOString() }) }]);
    const go = await runPass({ ...peer2.co, memory: peer.co.memory }, "run");
    expect(go.outcome.kind).toBe("rebooting");
    for (const x of [a, peer, peer2, back]) await x.session.close({ revoke: true }).catch(() => {});
  } finally {
    await gw2.close();
    await other.stop();
  }
});

describe("FleetLock clients cannot free each other's slots", () => {
  const post = (path: string, id: string) =>
    new Request(`http://127.0.0.1${path}`, { method: "POST", headers: { "fleet-lock-protocol": "true" }, body: JSON.stringify({ client_params: { id, group: "g" } }) });

  test("a lock is bound to the address that took it; a steady-state from another address does not release it", async () => {
    const keys = fresh();
    const handler = createFleetLockHandler({ backend: createEtcdBackend({ gw: fx.gw, keys, platform: realPorts(), log: memoryLogger(), settings: testSettings() }) });
    expect((await handler(post("/v1/pre-reboot", hexId(1)), "127.0.0.1")).status).toBe(200);
    const foreign = await handler(post("/v1/steady-state", hexId(1)), "127.0.0.2");
    expect(foreign.status).toBe(409);
    expect((await readClusterState(fx.gw, keys)).slots.map((s) => s.node)).toEqual([hexId(1)]);
    // Nor can it ride on the lock with a pre-reboot.
    expect((await handler(post("/v1/pre-reboot", hexId(1)), "127.0.0.2")).status).toBe(409);
    expect((await handler(post("/v1/steady-state", hexId(1)), "127.0.0.1")).status).toBe(200);
    expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
  });

  test("with url_secret, requests without the secret prefix get 404; with it they work", async () => {
    const keys = fresh();
    const secret = "s3cret-path-0123456789";
    const handler = createFleetLockHandler({ urlSecret: secret, backend: createEtcdBackend({ gw: fx.gw, keys, platform: realPorts(), log: memoryLogger(), settings: testSettings() }) });
    expect((await handler(post("/v1/pre-reboot", hexId(2)), "127.0.0.1")).status).toBe(404);
    expect((await handler(post("/wrong-secret-0000000000/v1/pre-reboot", hexId(2)), "127.0.0.1")).status).toBe(404);
    expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
    expect((await handler(post(`/${secret}/v1/pre-reboot`, hexId(2)), "127.0.0.1")).status).toBe(200);
    expect((await handler(post(`/${secret}/v1/steady-state`, hexId(2)), "127.0.0.1")).status).toBe(200);
  });
});

test("a name whose member record belongs to another machine is refused until forgotten; the same board reinstalled is not", async () => {
  const keys = fresh();
  const id = (machineId: string, hardwareId: string) => ({ node: "n1", group: "g", fallback: false, pid: 1, bootId: "b", machineId, hardwareId });
  // Machine X had the name; it is down now (no live record, no slot: say its failed reboot was
  // turned into a failure and the group resumed). Its member record still names it.
  const x = await openSession(fx.gw, keys, id("a".repeat(32), "dmi:board-x"), { ttlSec: 5, nowMs: NOW });
  await x.close({ revoke: true });
  const other = await openSession(fx.gw, keys, id("b".repeat(32), "dmi:board-y"), { ttlSec: 5, nowMs: NOW }).catch((e: unknown) => e);
  expect(other).toBeInstanceOf(IdentityConflictError);
  expect(String(other)).toContain(`the member record ${keys.member("n1")}`);
  expect(String(other)).toContain("clusterrebootd forget n1");
  // The same board with a fresh /etc/machine-id (reinstalled): the same machine.
  const reinstalled = await openSession(fx.gw, keys, id("c".repeat(32), "dmi:board-x"), { ttlSec: 5, nowMs: NOW });
  await reinstalled.close({ revoke: true });
  // The operator forgets the old machine: the replacement may take the name.
  await forgetNode(fx.gw, keys, "n1");
  const replacement = await openSession(fx.gw, keys, id("b".repeat(32), "dmi:board-y"), { ttlSec: 5, nowMs: NOW });
  await replacement.close({ revoke: true });
});

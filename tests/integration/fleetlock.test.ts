/**
 * FleetLock on the real etcd slots: the protocol's semantics, the shared budget with daemons, the
 * daemon's gates (pause, cooldown, windows, health policy), identity conflicts, the hooks, and
 * slot lifetimes (slot timeout lease, refresh by a recursive lock).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import type { FleetLockHooks } from "../../src/fleetlock/index.ts";
import { makeKeys, readClusterState, releaseSlot, tryAcquireSlot, type Keys } from "../../src/slots/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";
import { call, hexId, startTestServer, testSettings, type TestServer } from "../unit/fleetlock/_harness.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;
const servers: TestServer[] = [];
let ns = 0;
const freshKeys = (): Keys => makeKeys(`/fl${Date.now()}-${ns++}`);
const A = hexId(0xa);
const B = hexId(0xb);

beforeAll(async () => {
  cluster = await startEtcd();
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.server.stop(true)));
});
afterAll(async () => {
  await gw?.close();
  await cluster?.stop();
});

function serve(keys: Keys, o: Parameters<typeof startTestServer>[2] = {}): string {
  const s = startTestServer(gw, keys, o);
  servers.push(s);
  return s.server.url;
}

const daemonReq = (node: string, group: string, leaseId: string) => ({
  node, group, limit: 1, globalCap: null, holder: "daemon" as const, pid: 1, bootId: "b", leaseId, nowIso: new Date().toISOString(),
});

describe("protocol on etcd slots", () => {
  test("pre-reboot takes P/slots/<group>/<id> (holder fleetlock, rebooting, deadline) on a lease of the slot timeout", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    expect((await call(url, "pre", A, "default")).status).toBe(200);
    const state = await readClusterState(gw, keys);
    expect(state.slots.map((s) => s.key)).toEqual([`${keys.prefix}/slots/default/${A}`]);
    const rec = state.slots[0]!.record!;
    expect(rec).toMatchObject({ node: A, group: "default", holder: "fleetlock", phase: "rebooting", limit: 1, pid: 4242 });
    expect(Date.parse(rec.deadline!) - Date.now()).toBeGreaterThan(110_000);
    const ttl = await gw.leaseTtl(state.slots[0]!.lease);
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  test("a recursive pre-reboot succeeds and keeps the same slot", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    await call(url, "pre", A, "default");
    const before = (await readClusterState(gw, keys)).slots[0]!;
    const again = await call(url, "pre", A, "default");
    expect(again.status).toBe(200);
    expect(again.value).toContain("already locked");
    expect((await readClusterState(gw, keys)).slots.map((s) => s.createRevision)).toEqual([before.createRevision]);
  });

  test("steady-state releases; by a non-holder or repeated it is a no-op success", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    await call(url, "pre", A, "default");
    expect((await call(url, "steady", B, "default")).status).toBe(200);
    expect((await readClusterState(gw, keys)).slots.length).toBe(1);
    expect((await call(url, "steady", A, "default")).status).toBe(200);
    expect((await call(url, "steady", A, "default")).status).toBe(200);
    expect((await readClusterState(gw, keys)).slots.length).toBe(0);
    expect((await call(url, "pre", B, "default")).status).toBe(200);
  });

  test("FleetLock clients and daemons share one budget", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    const lease = await gw.grantLease(30, { keepAlive: true });
    const d = await tryAcquireSlot(gw, keys, daemonReq("node-1", "default", lease.id));
    if (d.kind !== "acquired") throw new Error(d.kind);
    const full = await call(url, "pre", A, "default");
    expect(full).toMatchObject({ status: 423, kind: "failed_lock_semaphore_full" });
    // Refusals to a client never name other holders (a FleetLock client learns only counts).
    expect(full.value).not.toContain("node-1");
    expect(full.value).toContain("1 of 1");
    await releaseSlot(gw, keys, d.slot, { cooldownSec: 0, nowMs: Date.now(), node: "node-1" });
    expect((await call(url, "pre", A, "default")).status).toBe(200);
    expect((await tryAcquireSlot(gw, keys, daemonReq("node-1", "default", lease.id))).kind).toBe("full");
    await lease.revoke();
  });

  test("the global cap counts FleetLock slots of every group", async () => {
    const keys = freshKeys();
    const url = serve(keys, { settings: testSettings({ globalCap: 1 }) });
    expect((await call(url, "pre", A, "workers")).status).toBe(200);
    expect(await call(url, "pre", B, "other")).toMatchObject({ status: 423, kind: "failed_lock_semaphore_full" });
  });

  test("a group the server does not serve is refused", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    expect(await call(url, "pre", A, "nosuch")).toMatchObject({ status: 400, kind: "unknown_group" });
    expect(await call(url, "steady", A, "nosuch")).toMatchObject({ status: 400, kind: "unknown_group" });
  });
});

describe("the daemon's gates apply", () => {
  test.each([
    ["pause", async (keys: Keys) => void (await gw.txn([], [{ kind: "put", key: keys.pause, value: JSON.stringify({ reason: "maint", by: "op", at: new Date().toISOString() }) }])), "paused"],
    ["cooldown", async (keys: Keys) => void (await gw.txn([], [{ kind: "put", key: keys.cooldown("default"), value: "{}" }])), "cooldown"],
    ["an unhealthy node", async (keys: Keys) => void (await gw.txn([], [{ kind: "put", key: keys.health("node-9"), value: JSON.stringify({ node: "node-9", group: "default", healthy: false, phase: "heartbeat", reason: "exit 1", checked_at: new Date().toISOString(), boot_id: "b", pid: 1, seq: 1 }) }])), "health_blocked"],
  ])("%s refuses with 423 and leaves no slot", async (_n, arrange, kind) => {
    const keys = freshKeys();
    const url = serve(keys);
    await arrange(keys);
    expect(await call(url, "pre", A, "default")).toMatchObject({ status: 423, kind });
    expect((await readClusterState(gw, keys)).slots.length).toBe(0);
  });

  test("a deny window refuses with 423 window_closed", async () => {
    const keys = freshKeys();
    const url = serve(keys, { settings: testSettings({ deny: ["00:00-24:00"] }) });
    expect(await call(url, "pre", A, "default")).toMatchObject({ status: 423, kind: "window_closed" });
  });

  test("releasing a granted slot starts the group cooldown; a never-granted one does not", async () => {
    const keys = freshKeys();
    const hooks: FleetLockHooks = { beforeGrant: async (id) => ({ kind: id === A ? "draining" : "ready" }), afterRelease: async () => {} };
    const url = serve(keys, { settings: testSettings({ cooldownSec: 60 }), hooks });
    expect(await call(url, "pre", A, "default")).toMatchObject({ status: 423, kind: "draining" });
    await call(url, "steady", A, "default"); // never granted: nobody rebooted, no cooldown
    expect((await call(url, "pre", B, "default")).status).toBe(200);
    await call(url, "steady", B, "default");
    expect(await call(url, "pre", A, "default")).toMatchObject({ status: 423, kind: "cooldown" });
  });

  test("a pause that appears while granting (inside the hook) stops the grant and frees the slot", async () => {
    const keys = freshKeys();
    const hooks: FleetLockHooks = {
      beforeGrant: async () => (await gw.txn([], [{ kind: "put", key: keys.pause, value: "{}" }]), { kind: "ready" }),
      afterRelease: async () => {},
    };
    const url = serve(keys, { hooks });
    expect(await call(url, "pre", A, "default")).toMatchObject({ status: 423, kind: "paused" });
    expect((await readClusterState(gw, keys)).slots.length).toBe(0);
  });
});

describe("identity", () => {
  test("an id that names a clusterrebootd node is refused (the daemon finds its slot by name)", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    await gw.txn([], [{ kind: "put", key: keys.member("node-1"), value: JSON.stringify({ node: "node-1", group: "default", fallback: false, first_seen: new Date().toISOString() }) }]);
    expect(await call(url, "pre", "node-1", "default")).toMatchObject({ status: 409, kind: "id_conflict" });
  });

  test("an id holding a slot in one group cannot lock another", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    await call(url, "pre", A, "workers");
    expect(await call(url, "pre", A, "default")).toMatchObject({ status: 409, kind: "id_conflict" });
  });

  test("steady-state never frees a daemon's slot of the same name", async () => {
    const keys = freshKeys();
    const url = serve(keys);
    const lease = await gw.grantLease(30, { keepAlive: true });
    await tryAcquireSlot(gw, keys, daemonReq("node-2", "default", lease.id));
    expect((await call(url, "steady", "node-2", "default")).status).toBe(200);
    expect((await readClusterState(gw, keys)).slots.map((s) => s.node)).toEqual(["node-2"]);
    await lease.revoke();
  });
});

describe("hooks", () => {
  test("draining keeps the slot reserved (preparing); the next pre-reboot grants once ready", async () => {
    const keys = freshKeys();
    let answer: "draining" | "ready" = "draining";
    const released: boolean[] = [];
    const url = serve(keys, { hooks: { beforeGrant: async () => ({ kind: answer }), afterRelease: async (_id, i) => void released.push(i.released) } });
    expect(await call(url, "pre", A, "default")).toMatchObject({ status: 423, kind: "draining" });
    expect((await readClusterState(gw, keys)).slots.map((s) => s.record?.phase)).toEqual(["preparing"]);
    expect(await call(url, "pre", B, "default")).toMatchObject({ status: 423, kind: "failed_lock_semaphore_full" });
    answer = "ready";
    expect((await call(url, "pre", A, "default")).status).toBe(200);
    expect((await readClusterState(gw, keys)).slots.map((s) => s.record?.phase)).toEqual(["rebooting"]);
    await call(url, "steady", A, "default");
    await call(url, "steady", A, "default");
    expect(released).toEqual([true, false]);
  });

  test("a failed or throwing beforeGrant frees the slot and answers hook_failed", async () => {
    const keys = freshKeys();
    const url = serve(keys, { hooks: { beforeGrant: async () => { throw new Error("evictions refused"); }, afterRelease: async () => {} } });
    const r = await call(url, "pre", A, "default");
    expect(r).toMatchObject({ status: 500, kind: "hook_failed" });
    expect(r.value).toContain("evictions refused");
    expect((await readClusterState(gw, keys)).slots.length).toBe(0);
  });

  test("a throwing afterRelease answers hook_failed; the retry runs it again and succeeds", async () => {
    const keys = freshKeys();
    let fail = true;
    const url = serve(keys, { hooks: { beforeGrant: async () => ({ kind: "ready" }), afterRelease: async () => { if (fail) throw new Error("uncordon failed"); } } });
    await call(url, "pre", A, "default");
    expect(await call(url, "steady", A, "default")).toMatchObject({ status: 500, kind: "hook_failed" });
    expect((await readClusterState(gw, keys)).slots.length).toBe(0); // released before the hook ran
    fail = false;
    expect((await call(url, "steady", A, "default")).status).toBe(200);
  });
});

describe("lifetimes", () => {
  test("a client that never comes back loses its slot after the slot timeout", async () => {
    const keys = freshKeys();
    const url = serve(keys, { settings: testSettings({ slotTimeoutSec: 2 }) });
    expect((await call(url, "pre", A, "default")).status).toBe(200);
    expect((await call(url, "pre", B, "default")).status).toBe(423);
    await waitFor(async () => (await call(url, "pre", B, "default")).status === 200, { timeoutMs: 8000, intervalMs: 200, what: "the slot lease to expire" });
  });

  test("a recursive pre-reboot past half the timeout moves the slot to a fresh lease", async () => {
    const keys = freshKeys();
    const clock = new FakeClock(Date.now());
    const url = serve(keys, { clock });
    await call(url, "pre", A, "default");
    const first = (await readClusterState(gw, keys)).slots[0]!;
    await clock.advance(30_000); // a quarter: no refresh
    await call(url, "pre", A, "default");
    expect((await readClusterState(gw, keys)).slots[0]!.lease).toBe(first.lease);
    await clock.advance(40_000); // past half
    expect((await call(url, "pre", A, "default")).status).toBe(200);
    const after = (await readClusterState(gw, keys)).slots[0]!;
    expect(after.lease).not.toBe(first.lease);
    expect(after.createRevision).toBe(first.createRevision);
    expect(Date.parse(after.record!.deadline!)).toBe(clock.now() + 120_000);
  });
});

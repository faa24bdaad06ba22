/**
 * runPass over the fake lock backend (no etcd): the order of the lock calls, what the report says,
 * what the loop memory remembers, and what is left on disk — for a daemon, a FleetLock client node
 * and the FleetLock server's grant.
 */
import { describe, expect, test } from "bun:test";
import { noLock, outcome, runPass } from "../../../src/orchestrate/index.ts";
import { passiveSession } from "../../../src/slots/index.ts";
import { exited, FakeRunner } from "../../fakes/runner.ts";
import { asFleetLockClient, asServer, evaluation, healthRecord, iso, slotEntry, state, T0, world } from "./_world.ts";

const MARKER = "/state/rebooting-n1.json";
const KEY = "/fake/slots/g/n1";

describe("a daemon that needs a reboot", () => {
  test("takes a slot, re-checks under it, fences, notes where it goes, runs the command", async () => {
    const w = world();
    w.lock.on("fence", (slot) => ({ kind: "fenced" as const, slot: { ...slot, phase: "rebooting", deadline: iso(T0 + 3_600_000) } }));
    const r = await runPass(w.co, "run");
    expect(r.outcome).toEqual({ kind: "rebooting", message: "reboot command issued; slot held through the reboot" });
    expect(w.lock.methods).toEqual(["view", "sweep", "view", "acquire", "view", "fence"]);
    expect(w.lock.args("acquire")[0]).toEqual([{ reason: "detectors: reboot-required" }]);
    const [, info] = w.lock.args("fence")[0]!;
    expect(info.bootId).toBe("boot-2");
    expect(info.reboots).toEqual({ node: "n1", history: [iso(T0)], last_reboot_at: iso(T0), boot_id_before: "boot-2" });
    expect(r.slot).toEqual({ key: KEY, phase: "rebooting", attempts: 1, deadline: iso(T0 + 3_600_000) });
    expect(r.command).toEqual(["/sbin/reboot-sim"]);
    expect(r.rebootCommand).toEqual({ ok: true });
    expect(w.runner.argvs).toEqual([["/sbin/reboot-sim"]]);
    expect(w.health.phases).toEqual(["pre-lock", "post-lock"]);
    expect(w.fs.json(MARKER)).toEqual({ slot: KEY, group: "g", boot_id: "boot-2", deadline: iso(T0 + 3_600_000), cluster_id: "cluster-a", at: iso(T0) });
    expect(w.notified).toEqual(["reboot_started"]);
  });

  test("the command runs as the command gate expanded it on the view under the slot, not expanded again", async () => {
    const w = world({ rebootCommand: ["/sbin/reboot-sim", "--size=$RC_CLUSTER_SIZE"] });
    const members = (n: number) => state((s) => { for (let i = 0; i < n; i++) s.members.set(`m${i}`, { node: `m${i}` } as never); });
    let views = 0;
    // Two members on the views before the slot, three on the one under it (a node joined meanwhile).
    w.lock.on("view", () => (++views >= 3 ? members(3) : members(2)));
    w.lock.on("fence", (slot) => ({ kind: "fenced" as const, slot: { ...slot, phase: "rebooting", deadline: iso(T0 + 3_600_000) } }));
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("rebooting");
    expect(views).toBe(3);
    expect(r.command).toEqual(["/sbin/reboot-sim", "--size=3"]);
    expect(w.runner.argvs).toEqual([["/sbin/reboot-sim", "--size=3"]]);
  });

  test("the slot's deadline passed before the command (a stopped process): no reboot", async () => {
    const w = world();
    w.lock.on("fence", (slot) => ({ kind: "fenced" as const, slot: { ...slot, phase: "rebooting", deadline: iso(T0) } }));
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("runtime_error");
    expect(w.runner.calls).toEqual([]);
    expect(w.fs.files.has(MARKER)).toBe(false);
  });

  test("a failing reboot command keeps the slot and is reported", async () => {
    const w = world();
    const runner = new FakeRunner(w.clock).on(["/sbin/reboot-sim"], exited(2));
    const r = await runPass({ ...w.co, ports: { ...w.co.ports, runner } }, "run");
    expect(r.outcome).toEqual({ kind: "rebooting", message: "reboot command failed (exit 2); keeping the slot until the post-boot checks" });
    expect(r.rebootCommand).toEqual({ ok: false, error: "exit 2" });
    expect(w.lock.methods).not.toContain("release");
    expect(w.metrics.counters.get("reboots_total{result=failed}")).toBe(1);
  });

  test("--once: everything checked under the slot, then the slot is given back without a cooldown", async () => {
    const w = world();
    const r = await runPass(w.co, "once");
    expect(r.outcome).toEqual({ kind: "ready", message: "reboot prerequisites satisfied (--once: slot released, command not run)" });
    expect(w.lock.args("release")[0]![1]).toEqual({ cooldown: false, nowMs: T0 });
    expect(r.slot).toEqual({ key: KEY, phase: "released", attempts: 1, released: true });
    expect(w.runner.calls).toEqual([]);
    expect(w.lock.slots.size).toBe(0);
  });

  test("a dry run fences and releases like a real reboot (with the cooldown), never running the command", async () => {
    const w = world({ dryRun: true });
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("ready");
    expect(w.lock.methods.slice(-2)).toEqual(["fence", "release"]);
    expect(w.lock.args("release")[0]![1].cooldown).toBe(true);
    expect(r.slot).toEqual({ key: KEY, phase: "released", attempts: 1, released: true });
    expect(w.runner.calls).toEqual([]);
    expect(w.kube.calls).toEqual(["restoreLeftovers", "restore: dry run"]);
    expect(w.log.records.find((x) => x.event === "slot_released")?.fields).toEqual({ slot: KEY, result: "released", reason: "dry_run" });
  });
});

describe("under the slot", () => {
  test("a pause that appears meanwhile: uncordon, give the slot back (no cooldown), never fence", async () => {
    const w = world();
    w.lock.on("view", state(), state(), state((s) => (s.pausePresent = true)));
    const r = await runPass(w.co, "run");
    expect(r.outcome).toEqual({ kind: "paused", message: "cluster paused after the slot was taken" });
    expect(w.lock.methods).toEqual(["view", "sweep", "view", "acquire", "view", "release"]);
    expect(r.slot).toEqual({ key: KEY, phase: "released", attempts: 1, released: true });
    expect(w.kube.calls).toContain("restore: slot released without reboot");
  });

  test("the uncordon fails: the slot is kept on its own lease and the outcome says until when", async () => {
    const w = world();
    w.kube.restoreResults = [false];
    w.health.byPhase.set("post-lock", "blocked");
    w.lock.on("keep", (slot) => ({ ...slot, deadline: iso(T0 + 60_000) }));
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("drain_blocked");
    expect(r.outcome.message).toContain(`so the slot is kept (until ${iso(T0 + 60_000)} at most)`);
    expect(w.lock.methods).not.toContain("release");
    expect(r.slot).toEqual({ key: KEY, phase: "preparing", attempts: 1, released: false, deadline: iso(T0 + 60_000) });
    expect(w.lock.slots.get(KEY)?.deadline).toBe(iso(T0 + 60_000));
  });

  test("a drain that does not finish: given back, and the loop remembers it (runPass applies the gate's change)", async () => {
    const w = world();
    w.kube.drains = true;
    w.kube.drainResults = [{ kind: "blocked", message: "PDB web", durationMs: 9000 }];
    const r = await runPass(w.co, "run");
    expect(r.outcome.message).toBe("drain of k-n1 did not finish (PDB web); node uncordoned, slot released");
    expect(w.co.memory.drainFailures.get("n1")).toEqual({ atMs: T0, message: "PDB web" });
    const again = await runPass(w.co, "run");
    expect(again.outcome.kind).toBe("drain_blocked");
    expect(w.lock.args("acquire")).toHaveLength(1);
  });

  test("the fence finds the slot lost: no command, the node uncordoned, nothing given back", async () => {
    const w = world();
    w.lock.on("fence", { kind: "lost", outcome: outcome("runtime_error", "reboot slot lost") });
    const r = await runPass(w.co, "run");
    expect(r.outcome).toEqual({ kind: "runtime_error", message: "reboot slot lost" });
    expect(w.kube.calls.at(-1)).toBe("restore: slot lost before the reboot command");
    expect(w.lock.methods).not.toContain("release");
    expect(w.runner.calls).toEqual([]);
  });

  test("the fence refuses (cooldown started meanwhile): the slot is given back", async () => {
    const w = world();
    w.lock.on("fence", { kind: "refused", outcome: outcome("cooldown_active", "group cooldown started right before the reboot; not rebooting") });
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("cooldown_active");
    expect(w.lock.methods.at(-1)).toBe("release");
  });

  test("an error under the slot gives it back, then the pass throws", async () => {
    const w = world();
    w.lock.on("fence", () => {
      throw new Error("etcd unavailable");
    });
    await expect(runPass(w.co, "run")).rejects.toThrow("etcd unavailable");
    expect(w.lock.methods.at(-1)).toBe("release");
    expect(w.lock.slots.size).toBe(0);
  });
});

describe("before the slot", () => {
  test("a refusal leaves the queue and takes no slot; status does not touch the queue", async () => {
    const w = world();
    w.lock.state = state((s) => s.cooldowns.set("g", { record: undefined, lease: "1" }));
    expect((await runPass(w.co, "run")).outcome.kind).toBe("cooldown_active");
    expect(w.lock.methods).toEqual(["view", "sweep", "view", "leave"]);
    w.lock.calls.length = 0;
    await runPass({ ...w.co, session: passiveSession }, "status");
    expect(w.lock.methods).toEqual(["view", "view"]);
  });

  test("budget full: our place in line and the holders are reported", async () => {
    const w = world();
    const other = slotEntry({ phase: "rebooting" }, "n2");
    w.lock.state = state(undefined, [other]);
    w.lock.on("acquire", { kind: "refused", outcome: outcome("lock_unavailable", "2nd in line", { holders: ["n2"] }), queue: { position: 1, length: 2, ahead: "t/1" } });
    const r = await runPass(w.co, "run");
    expect(r.outcome.message).toBe("2nd in line");
    expect(r.queue).toEqual({ position: 1, length: 2, ahead: "t/1" });
    expect(r.holders).toEqual([other]);
    expect(r.slotsInUse).toEqual({ g: 1 });
  });

  test("interactive users: the deferral start is remembered by the loop through runPass", async () => {
    const w = world({ deferForUsers: true });
    w.host.users = ["alice@pts/0"];
    expect((await runPass(w.co, "run")).outcome.kind).toBe("users_logged_in");
    expect(w.co.memory.deferredSince).toBe(T0);
    w.host.users = [];
    await runPass(w.co, "run");
    expect(w.co.memory.deferredSince).toBeUndefined();
  });

  test("status (a read-only session) decides on the full view and writes nothing", async () => {
    const w = world();
    const r = await runPass({ ...w.co, session: passiveSession }, "status");
    expect(r.outcome.kind).toBe("ready");
    expect(r.dryRun).toBe(true);
    expect(w.lock.methods).toEqual(["view", "view", "wouldAcquire"]);
    expect(w.published).toEqual([]);
    expect(w.fs.writes).toEqual([]);
    expect(w.kube.calls).toEqual([]);
  });

  test("--skip-lock: no view, the lock says it was skipped", async () => {
    const w = world();
    const r = await runPass({ ...w.co, mode: "local", lock: noLock } as never, "status");
    expect(r.outcome).toEqual({ kind: "lock_skipped", message: "lock acquisition skipped (--skip-lock)" });
  });

  test("slots past their deadline are swept first, and the view read again", async () => {
    const w = world();
    w.lock.on("sweep", [{ slot: "/t/slots/g/n2", node: "n2", group: "g", phase: "rebooting", deadline: iso(T0 - 1), reason: "never_returned", froze: false, failures: 1, limit: 2 }]);
    await runPass(w.co, "run");
    expect(w.lock.methods.slice(0, 3)).toEqual(["view", "sweep", "view"]);
    expect(w.log.records.find((x) => x.event === "reboot_failed_recorded")?.fields).toMatchObject({ failed_node: "n2", reason: "never_returned" });
  });

  test("etcd lost its data (another cluster id): the pass remembers the hold and starts no reboot; the identity is persisted", async () => {
    const w = world();
    w.co.memory.etcd = { clusterId: "cluster-0", maxRevision: 5, persistedAtMs: T0, loaded: true };
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("paused");
    expect(w.co.memory.etcd.clusterId).toBe("cluster-a");
    expect(w.co.memory.etcd.hold).toMatchObject({ clusterId: "cluster-a", untilMs: T0 + 60_000 });
    expect(w.fs.json("/state/etcd-identity.json")).toMatchObject({ cluster_id: "cluster-a", max_revision: 10 });
    expect(w.lock.methods).not.toContain("acquire");
  });
});

describe("nothing to do", () => {
  test("a daemon: healthy and idle; the lock is asked (etcd: nothing to give back)", async () => {
    const w = world();
    w.detectors.next = evaluation({ clear: ["kernel"] });
    const r = await runPass(w.co, "run");
    expect(r.outcome).toEqual({ kind: "no_action", message: "no detectors require a reboot" });
    expect(w.lock.methods).toEqual(["view", "sweep", "idle", "leave"]);
  });

  test("a FleetLock client gives back its lock by steady-state; a refusal of it is the outcome; status asks nothing", async () => {
    const w = world();
    w.detectors.next = evaluation({ clear: ["kernel"] });
    const co = asFleetLockClient(w);
    w.lock.on("idle", { kind: "ok", said: "steady-state reported" }, { kind: "refused", outcome: outcome("runtime_error", "FleetLock server unreachable: ECONNREFUSED") });
    expect((await runPass(co, "run")).outcome).toEqual({ kind: "no_action", message: "no detectors require a reboot (steady-state reported)" });
    expect((await runPass(co, "run")).outcome.message).toBe("FleetLock server unreachable: ECONNREFUSED");
    w.lock.calls.length = 0;
    expect((await runPass(co, "status")).outcome.message).toBe("no detectors require a reboot");
    expect(w.lock.methods).toEqual(["view"]);
  });
});

describe("a FleetLock client node that needs a reboot", () => {
  test("no view and no marker: the server's grant, then the command; the lock's own words in the outcome", async () => {
    const w = world();
    const co = asFleetLockClient(w);
    const r = await runPass(co, "run");
    expect(r.outcome.message).toBe("reboot command issued; the FleetLock server holds our lock through the reboot");
    expect(w.lock.methods).toEqual(["view", "acquire", "view", "fence"]);
    expect(w.lock.args("fence")[0]![1]).toEqual({ bootId: "boot-2", nowMs: T0 });
    expect(w.fs.files.has(MARKER)).toBe(false);
    expect(w.published).toEqual([]);
  });
});

describe("the FleetLock server's grant", () => {
  const grantWorld = () => {
    const w = world({ rebootCommand: [] });
    w.lock.kind = "etcd";
    return w;
  };

  test("a new grant: gates under the slot, fenced without a boot id or history, answered 'granted'", async () => {
    const w = grantWorld();
    const r = await runPass(asServer(w), "grant");
    expect(r.outcome).toEqual({ kind: "rebooting", message: "granted" });
    expect(w.lock.args("fence")[0]![1]).toEqual({ bootId: "", nowMs: T0, state: state() });
    expect(w.runner.calls).toEqual([]);
    expect(w.kube.calls).toEqual([]);
  });

  test("a recursive grant renews the lease and says so; a slot freed meanwhile is a retry", async () => {
    const w = grantWorld();
    w.lock.state = state(undefined, [slotEntry({ holder: "fleetlock", phase: "rebooting" })]);
    w.lock.on("renew", { kind: "renewed", deadline: iso(T0 + 600_000) }, { kind: "lost" });
    const r = await runPass(asServer(w), "grant");
    expect(r.outcome).toEqual({ kind: "rebooting", message: "already locked by this id" });
    expect(r.slot).toEqual({ key: "/t/slots/g/n1", phase: "rebooting", recursive: true, deadline: iso(T0 + 600_000) });
    expect(w.log.records.find((x) => x.event === "fleetlock_refreshed")?.fields.deadline).toBe(iso(T0 + 600_000));
    expect((await runPass(asServer(w), "grant")).outcome).toEqual({ kind: "lock_unavailable", message: "the slot was freed while refreshing it; retry", retry: true });
  });

  test("a grant still preparing (drain running) resumes under the slot; the id of a node is refused", async () => {
    const w = grantWorld();
    w.lock.state = state(undefined, [slotEntry({ holder: "fleetlock", phase: "preparing" })]);
    const r = await runPass(asServer(w), "grant");
    expect(r.outcome.message).toBe("granted");
    expect(w.lock.methods).toEqual(["view", "sweep", "view", "fence"]);
    const named = grantWorld();
    named.lock.state = state((s) => s.members.set("n1", { node: "n1", group: "g", fallback: false, first_seen: iso(T0) }));
    named.lock.state.health.set("n1", healthRecord("n1", true));
    expect((await runPass(asServer(named), "grant")).outcome.kind).toBe("identity_conflict");
  });
});

/**
 * Every gate on its own, over fakes (no etcd): what it answers, the facts and memory change it
 * returns, and that it writes neither the report nor the loop memory itself.
 */
import { describe, expect, test } from "bun:test";
import * as gates from "../../../src/orchestrate/gates.ts";
import type { Gate, GateCtx, Step } from "../../../src/orchestrate/gate.ts";
import { newMemory, type Coordinator, type PassMode } from "../../../src/orchestrate/index.ts";
import { remember } from "../../../src/orchestrate/context.ts";
import { parseWindows } from "../../../src/windows/index.ts";
import { asServer, evaluation, healthRecord, iso, slotEntry, state, T0, world, type World } from "./_world.ts";

const { BEFORE_SLOT, UNDER_SLOT } = gates;

function ctx(w: World, o: Partial<GateCtx> & { co?: Coordinator } = {}): GateCtx {
  return { co: w.co, mode: "run", signal: undefined, state: state(), stage: "before", attempts: 0, ...o };
}

/** Runs a gate and checks it left the loop memory as it found it (changes are returned, not made). */
async function run(gate: Gate, g: GateCtx): Promise<Step> {
  const before = JSON.stringify({ ...g.co.memory, drainFailures: [...g.co.memory.drainFailures] });
  const s = await gate.run(g);
  expect(JSON.stringify({ ...g.co.memory, drainFailures: [...g.co.memory.drainFailures] })).toBe(before);
  return s;
}

const kind = (s: Step) => (s.kind === "continue" ? "continue" : `${s.kind}:${s.outcome.kind}`);

test("every gate is in a list, and the lists run the gates in the documented order", () => {
  const all = Object.values(gates).filter((v): v is Gate => typeof v === "object" && v !== null && "run" in v && "name" in v);
  const listed = new Set([...BEFORE_SLOT.local, ...BEFORE_SLOT.cluster, ...BEFORE_SLOT.full, ...UNDER_SLOT]);
  expect(all.filter((gt) => !listed.has(gt)).map((gt) => gt.name)).toEqual([]);
  expect(BEFORE_SLOT.cluster.map((gt) => gt.name)).toEqual(["etcd_reset", "pause", "frozen", "window", "detectors"]);
  expect(UNDER_SLOT.map((gt) => gt.name)).toEqual(["etcd_reset", "kill_switch", "pause", "frozen", "records", "identity", "loop_guard", "policy", "detectors", "health", "drain", "window", "command"]);
});

describe("kill switch", () => {
  test("absent: continue, counted as inactive before the slot", async () => {
    const w = world();
    const s = await run(gates.killSwitch, ctx(w));
    expect(s).toEqual({ kind: "continue", facts: { killSwitch: { path: "/etc/kill", active: false } } });
    expect(w.metrics.counters.get("kill_switch_checks_total{stage=pre-lock,result=inactive}")).toBe(1);
  });
  test("present: refused; under the slot the message and the metric say so", async () => {
    const w = world();
    w.fs.files.set("/etc/kill", "");
    expect(kind(await run(gates.killSwitch, ctx(w)))).toBe("stop:kill_switch_active");
    const s = await run(gates.killSwitch, ctx(w, { stage: "under" }));
    expect(s.kind === "stop" && s.outcome.message).toBe("kill switch /etc/kill present after lock");
    expect(w.metrics.counters.get("kill_switch_checks_total{stage=post-lock,result=active}")).toBe(1);
  });
  test("a stat error counts as present (refuse rather than guess)", async () => {
    const w = world();
    w.fs.statErrors.set("/etc/kill", "EACCES");
    expect(kind(await run(gates.killSwitch, ctx(w)))).toBe("stop:kill_switch_active");
  });
  test("no kill switch configured: nothing is read", async () => {
    const w = world({ killSwitchFile: "" });
    w.fs.statErrors.set("", "would fail");
    expect(await run(gates.killSwitch, ctx(w))).toEqual({ kind: "continue" });
  });
});

describe("pause and frozen", () => {
  test("pause present: refused with who paused and why; an unreadable pause still pauses", async () => {
    const w = world();
    const by = { reason: "maintenance", by: "ops", at: iso(T0) };
    const s = await run(gates.pause, ctx(w, { state: state((st) => ((st.pausePresent = true), (st.pause = by))) }));
    expect(s).toEqual({ kind: "stop", outcome: { kind: "paused", message: "cluster paused by ops: maintenance" }, facts: { paused: by } });
    const u = await run(gates.pause, ctx(w, { stage: "under", state: state((st) => (st.pausePresent = true)) }));
    expect(u).toEqual({ kind: "stop", outcome: { kind: "paused", message: "cluster paused after the slot was taken" }, facts: {} });
  });
  test("no view (FleetLock client): the server decides, the gate passes", async () => {
    const w = world();
    expect((await run(gates.pause, ctx(w, { state: undefined }))).kind).toBe("continue");
    expect((await run(gates.frozen, ctx(w, { state: undefined }))).kind).toBe("continue");
  });
  test("only our group's freeze refuses", async () => {
    const w = world();
    expect((await run(gates.frozen, ctx(w, { state: state((st) => st.frozen.set("other", { record: undefined })) }))).kind).toBe("continue");
    expect(kind(await run(gates.frozen, ctx(w, { state: state((st) => st.frozen.set("g", { record: undefined })) })))).toBe("stop:group_frozen");
  });
});

describe("window", () => {
  const windows = (deny: string[], allow: string[]) => {
    const p = parseWindows({ deny, allow, timezone: "UTC" });
    if (!p.ok) throw new Error(p.errors.join());
    return p.windows;
  };
  test("no windows: allowed without evaluating", async () => {
    const w = world();
    expect(await run(gates.window, ctx(w))).toEqual({ kind: "continue" });
    expect(w.metrics.total("window_evaluations_total")).toBe(0);
  });
  test("deny window and outside the allow windows refuse; under the slot the message says it was re-checked", async () => {
    const w = world({ windows: windows(["Mon 11:00-13:00"], []) });
    const s = await run(gates.window, ctx(w, { stage: "under" }));
    expect(kind(s)).toBe("stop:window_denied");
    expect(s.kind === "stop" && s.outcome.message).toContain("(re-checked under the slot)");
    const o = world({ windows: windows([], ["Tue 01:00-02:00"]) });
    expect(kind(await run(gates.window, ctx(o)))).toBe("stop:window_outside_allow");
    expect(o.metrics.counters.get("window_evaluations_total{result=outside_allow}")).toBe(1);
  });
  test("inside an allow window: continue with the decision; a pending request may ignore windows", async () => {
    const w = world({ windows: windows([], ["Mon 11:00-13:00"]) });
    const s = await run(gates.window, ctx(w));
    expect(s.kind === "continue" && s.facts?.window?.kind).toBe("allowed");
    const closed = world({ windows: windows(["Mon 00:00-23:59"], []) });
    closed.co.ignoreWindow = async () => true;
    expect(await run(gates.window, ctx(closed))).toEqual({ kind: "continue" });
  });
});

describe("detectors", () => {
  test("a reboot required: continue with the evaluation, reboot_required 1", async () => {
    const w = world();
    const s = await run(gates.detectors, ctx(w));
    expect(s.kind).toBe("continue");
    expect(s.facts?.preDetectors?.requiresReboot).toBe(true);
    expect(w.metrics.gauges.get("reboot_required")).toBe(1);
    expect(w.health.runs).toEqual([]);
  });
  test("an erroring detector is a runtime error (and leaves reboot_required alone)", async () => {
    const w = world();
    w.detectors.next = evaluation({ errors: ["kernel"] });
    const s = await run(gates.detectors, ctx(w));
    expect(s.kind === "stop" && s.outcome).toEqual({ kind: "runtime_error", message: "detector evaluation failed: kernel: exit 127" });
    expect(w.metrics.gauges.has("reboot_required")).toBe(false);
  });
  test("nothing required: the monitor health run, published; healthy is idle (the gate gives nothing back itself)", async () => {
    const w = world();
    w.detectors.next = evaluation({ clear: ["kernel"] });
    const s = await run(gates.detectors, ctx(w));
    expect(s.kind === "idle" && s.outcome).toEqual({ kind: "no_action", message: "no detectors require a reboot" });
    expect(s.facts?.health?.map((h) => h.phase)).toEqual(["monitor"]);
    expect(w.published).toEqual([{ healthy: true, phase: "monitor" }]);
    expect(w.lock.methods).toEqual([]);
  });
  test("nothing required but unhealthy: health_blocked; status publishes nothing", async () => {
    const w = world();
    w.detectors.next = evaluation({ clear: ["kernel"] });
    w.health.next = "blocked";
    expect(kind(await run(gates.detectors, ctx(w, { mode: "status" })))).toBe("stop:health_blocked");
    expect(w.published).toEqual([]);
  });
  test("under the slot: cleared detectors end the attempt, errors are runtime errors", async () => {
    const w = world();
    w.detectors.next = evaluation({ clear: ["kernel"] });
    const s = await run(gates.detectors, ctx(w, { stage: "under" }));
    expect(kind(s)).toBe("stop:recheck_cleared");
    expect(s.facts?.postDetectors).toBe(w.detectors.next);
    w.detectors.next = evaluation({ errors: ["kernel"] });
    expect(kind(await run(gates.detectors, ctx(w, { stage: "under" })))).toBe("stop:runtime_error");
    w.detectors.next = evaluation({ required: ["kernel"] });
    expect((await run(gates.detectors, ctx(w, { stage: "under" }))).kind).toBe("continue");
    expect(w.metrics.counters.get("detector_evaluations_total{phase=post-lock,result=requires}")).toBe(1);
  });
});

describe("etcd reset hold", () => {
  const hold = { reason: "etcd's cluster id changed", clusterId: "cluster-b", atMs: T0 - 60_000, untilMs: T0 + 3_600_000 };
  test("no hold: continue", async () => {
    expect(await run(gates.etcdReset, ctx(world()))).toEqual({ kind: "continue" });
  });
  test("held: no new slot, the hold gauge set", async () => {
    const w = world();
    w.co.memory.etcd.hold = { ...hold };
    const s = await run(gates.etcdReset, ctx(w));
    expect(kind(s)).toBe("stop:paused");
    expect(s.kind === "stop" && s.outcome.message).toContain("resume --etcd-reset");
    expect(w.metrics.gauges.get("etcd_reset_hold")).toBe(1);
    expect(w.co.memory.etcd.hold).toEqual(hold);
  });
  test("acknowledged for this cluster, or the slot timeout passed: the gate asks to lift the hold", async () => {
    const w = world();
    w.co.memory.etcd.hold = { ...hold };
    const ack = state((st) => (st.resetAck = { cluster_id: "cluster-b", by: "ops", at: iso(T0) }));
    expect(await run(gates.etcdReset, ctx(w, { state: ack }))).toEqual({ kind: "continue", remember: { kind: "etcd-hold-lifted", hold } });
    expect(w.log.records.find((r) => r.event === "etcd_reset_acknowledged")?.fields.by).toBe("ops");
    const other = state((st) => (st.resetAck = { cluster_id: "cluster-a", by: "ops", at: iso(T0) }));
    expect((await run(gates.etcdReset, ctx(w, { state: other }))).kind).toBe("stop");
    await w.clock.advance(3_600_000);
    expect((await run(gates.etcdReset, ctx(w))).remember).toEqual({ kind: "etcd-hold-lifted", hold });
  });
});

describe("cluster gates on the full view", () => {
  test("loop guard: max_reboots_per_node reboots within the window refuse; older ones do not count", async () => {
    const w = world({ maxRebootsPerNode: 2 });
    const reboots = (times: number[]) => state((st) => st.reboots.set("n1", { node: "n1", history: times.map(iso) }));
    expect((await run(gates.loopGuard, ctx(w, { state: reboots([T0 - 90_000_000, T0 - 3_600_000]) }))).kind).toBe("continue");
    const s = await run(gates.loopGuard, ctx(w, { state: reboots([T0 - 7_200_000, T0 - 3_600_000]) }));
    expect(kind(s)).toBe("stop:reboot_loop_guard");
    expect(s.kind === "stop" && s.outcome.message).toContain("clusterrebootd unlock n1 --reset-history");
  });
  test("policy: an unhealthy peer blocks, a healthy one passes; the verdict and peers are facts", async () => {
    const w = world();
    const ok = await run(gates.policy, ctx(w, { state: state((st) => st.health.set("n2", healthRecord("n2", true))) }));
    expect(ok.kind === "continue" && ok.facts?.policy?.kind).toBe("allowed");
    const bad = await run(gates.policy, ctx(w, { stage: "under", state: state((st) => st.health.set("n2", healthRecord("n2", false, { reason: "disk" }))) }));
    expect(kind(bad)).toBe("stop:health_blocked");
    expect(bad.facts?.peers?.map((p) => p.status)).toEqual(["unhealthy"]);
    expect(w.metrics.counters.get("cluster_health_checks_total{phase=post-lock,result=unhealthy}")).toBe(1);
  });
  test("cooldown: the group's cooldown refuses and says who started it", async () => {
    const w = world();
    const s = await run(gates.cooldown, ctx(w, { state: state((st) => st.cooldowns.set("g", { record: { node: "n2", group: "g", released_at: iso(T0), duration_sec: 300 }, lease: "9" })) }));
    expect(s.kind === "stop" && s.outcome.message).toBe(`reboot cooldown active for group g (started by n2 at ${iso(T0)})`);
    expect(s.facts?.cooldown).toEqual({ node: "n2", releasedAt: iso(T0), durationSec: 300 });
    expect((await run(gates.cooldown, ctx(w, { state: state((st) => st.cooldowns.set("other", { record: undefined, lease: "9" })) }))).kind).toBe("continue");
  });
  test("unreadable records block and name the fix for each", async () => {
    const w = world();
    const s = await run(gates.records, ctx(w, { state: state((st) => st.unreadable.push("/t/reboots/n2", "/t/members/n3")) }));
    expect(s.kind === "stop" && s.outcome.message).toContain("clusterrebootd unlock n2 --reset-history; clusterrebootd forget n3 --force");
    expect(w.log.records.map((r) => r.event)).toEqual(["unreadable_record"]);
  });
  test("identity: a FleetLock id that is a node name is refused by the server; daemons skip the gate", async () => {
    const w = world();
    const named = state((st) => st.health.set("n1", healthRecord("n1", true)));
    expect((await run(gates.identity, ctx(w, { state: named }))).kind).toBe("continue");
    expect(kind(await run(gates.identity, ctx(w, { co: asServer(w), mode: "grant", state: named })))).toBe("stop:identity_conflict");
    expect((await run(gates.identity, ctx(w, { co: asServer(w), mode: "grant" }))).kind).toBe("continue");
  });
});

describe("health", () => {
  test("before the slot: pre-lock phase, lock not held; a failure refuses", async () => {
    const w = world();
    const s = await run(gates.health, ctx(w));
    expect(s.kind === "continue" && s.facts?.health?.[0]?.phase).toBe("pre-lock");
    expect(w.health.runs[0]?.vars).toEqual({ lockHeld: false, lockAttempts: 0, lockEnabled: true });
    w.health.next = "timeout";
    const b = await run(gates.health, ctx(w));
    expect(b.kind === "stop" && b.outcome.message).toBe("health script blocked reboot before lock (timed out after 2s)");
  });
  test("under the slot: post-lock phase with the attempts; --skip-lock says the lock is not enabled", async () => {
    const w = world();
    w.health.next = "blocked";
    const s = await run(gates.health, ctx(w, { stage: "under", attempts: 3 }));
    expect(s.kind === "stop" && s.outcome.message).toBe("health script blocked reboot under lock (exit 1)");
    expect(w.health.runs[0]).toEqual({ phase: "post-lock", vars: { lockHeld: true, lockAttempts: 3, lockEnabled: true } });
    w.lock.kind = "none";
    await run(gates.health, ctx(w, { mode: "status" }));
    expect(w.health.runs[1]?.vars.lockEnabled).toBe(false);
    expect(w.published.map((p) => p.phase)).toEqual(["post-lock"]);
  });
});

describe("users", () => {
  test("only a pass that may reboot, and only with defer_for_users", async () => {
    const w = world({ deferForUsers: true });
    w.host.users = ["alice@pts/0"];
    expect(await run(gates.users, ctx(w, { mode: "once" }))).toEqual({ kind: "continue" });
    expect(await run(gates.users, ctx(world(), { mode: "run" }))).toEqual({ kind: "continue" });
  });
  test("users logged in: deferred since the first time seen, for at most max_defer; the start is returned, not stored", async () => {
    const w = world({ deferForUsers: true, maxDeferMs: 600_000 });
    w.host.users = ["alice@pts/0"];
    const first = await run(gates.users, ctx(w));
    expect(first).toEqual({ kind: "stop", outcome: { kind: "users_logged_in", message: "deferring reboot: alice@pts/0 logged in (0s of at most 600s)" }, remember: { kind: "users-deferring", since: T0 } });
    w.co.memory.deferredSince = T0;
    await w.clock.advance(300_000);
    const later = await run(gates.users, ctx(w));
    expect(later.kind === "stop" && later.outcome.message).toContain("(300s of at most 600s)");
    expect(later.remember).toEqual({ kind: "users-deferring", since: T0 });
    await w.clock.advance(300_000);
    expect(await run(gates.users, ctx(w))).toEqual({ kind: "continue", remember: { kind: "users-deferring", since: T0 } });
    expect(w.log.records.find((r) => r.event === "deferral_expired")?.fields).toEqual({ users: ["alice@pts/0"], waited_s: 600 });
  });
  test("nobody logged in: the deferral is forgotten", async () => {
    const w = world({ deferForUsers: true });
    w.co.memory.deferredSince = T0 - 1000;
    expect(await run(gates.users, ctx(w))).toEqual({ kind: "continue", remember: { kind: "users-deferring", since: undefined } });
  });
});

describe("drain hold-off and drain", () => {
  test("hold-off: a drain that failed waits the check interval, then the failure is forgotten", async () => {
    const w = world({ checkIntervalMs: 60_000 });
    w.kube.drains = true;
    expect(await run(gates.drainHoldoff, ctx(w))).toEqual({ kind: "continue" });
    w.co.memory.drainFailures.set("n1", { atMs: T0 - 20_000, message: "PDB" });
    const s = await run(gates.drainHoldoff, ctx(w));
    expect(s.kind === "stop" && s.outcome).toEqual({ kind: "drain_blocked", message: "the last drain of k-n1 did not finish (PDB); next attempt in 40s" });
    await w.clock.advance(40_000);
    expect(await run(gates.drainHoldoff, ctx(w))).toEqual({ kind: "continue", remember: { kind: "drain-holdoff-over", node: "n1", failure: { atMs: T0 - 20_000, message: "PDB" } } });
  });
  test("hold-off without a drain configured: nothing to wait for", async () => {
    const w = world();
    w.co.memory.drainFailures.set("n1", { atMs: T0, message: "PDB" });
    expect(await run(gates.drainHoldoff, ctx(w))).toEqual({ kind: "continue" });
  });
  test("drain: only run and grant passes drain; a dry run says it would", async () => {
    const w = world();
    w.kube.drains = true;
    expect(await run(gates.drain, ctx(w, { mode: "once", stage: "under" }))).toEqual({ kind: "continue" });
    expect(w.kube.calls).toEqual([]);
    const dry = world({ dryRun: true });
    dry.kube.drains = true;
    expect(await run(gates.drain, ctx(dry, { stage: "under" }))).toEqual({ kind: "continue" });
    expect(dry.kube.calls).toEqual([]);
    expect(dry.log.records.map((r) => r.event)).toEqual(["would_drain"]);
  });
  test("drain: drained is a fact; pending holds the slot; blocked refuses and asks to remember the failure", async () => {
    const w = world();
    w.kube.drains = true;
    w.kube.drainResults = [{ kind: "drained", durationMs: 1500, evicted: 2, forced: 0 }, { kind: "pending" }, { kind: "blocked", message: "PDB web", durationMs: 9000 }];
    expect(await run(gates.drain, ctx(w, { stage: "under" }))).toEqual({ kind: "continue", facts: { drain: { kind: "drained", durationMs: 1500 } } });
    expect(kind(await run(gates.drain, ctx(w, { stage: "under", mode: "grant" })))).toBe("hold:draining");
    const b = await run(gates.drain, ctx(w, { stage: "under" }));
    expect(b).toEqual({
      kind: "stop",
      outcome: { kind: "drain_blocked", message: "drain of k-n1 did not finish (PDB web)" },
      facts: { drain: { kind: "blocked", durationMs: 9000, message: "PDB web" } },
      remember: { kind: "drain-failed", node: "n1", atMs: T0, message: "PDB web" },
    });
  });
});

describe("command", () => {
  test("expanded before taking a slot; unknown placeholders refuse; a grant runs none", async () => {
    const w = world({ rebootCommand: ["/sbin/shutdown", "-r", "${RC_NODE_NAME}"] });
    expect(await run(gates.command, ctx(w))).toEqual({ kind: "continue", facts: { command: ["/sbin/shutdown", "-r", "n1"] } });
    const bad = world({ rebootCommand: ["/sbin/reboot", "${NOPE}"] });
    expect(kind(await run(gates.command, ctx(bad)))).toBe("stop:runtime_error");
    expect(await run(gates.command, ctx(bad, { mode: "grant" as PassMode }))).toEqual({ kind: "continue" });
  });
});

test("a gate's facts never carry an outcome, and the memory of a fresh coordinator is untouched by all of them", async () => {
  const w = world({ deferForUsers: true });
  w.host.users = ["bob@tty1"];
  w.kube.drains = true;
  w.kube.drainResults = [{ kind: "blocked", message: "PDB", durationMs: 1 }];
  w.co.memory = newMemory();
  for (const gate of [...BEFORE_SLOT.local, ...BEFORE_SLOT.cluster, ...BEFORE_SLOT.full, ...UNDER_SLOT]) {
    const s = await run(gate, ctx(w, { state: state(undefined, [slotEntry({ phase: "preparing" }, "n2")]) }));
    expect(s.facts && "outcome" in s.facts).toBeFalsy();
  }
  expect(w.co.memory).toEqual(newMemory());
});

test("remember: a gate's change applies to the record it judged, never to one put there since", () => {
  const m = newMemory();
  const judged = { reason: "r", clusterId: "c", atMs: 1, untilMs: 2 };
  m.etcd.hold = { ...judged };
  remember(m, { kind: "etcd-hold-lifted", hold: judged });
  expect(m.etcd.hold).toEqual(judged);
  remember(m, { kind: "etcd-hold-lifted", hold: m.etcd.hold! });
  expect(m.etcd.hold).toBeUndefined();
  remember(m, { kind: "drain-failed", node: "n1", atMs: 5, message: "PDB" });
  remember(m, { kind: "drain-holdoff-over", node: "n1", failure: { atMs: 5, message: "PDB" } });
  expect(m.drainFailures.get("n1")).toEqual({ atMs: 5, message: "PDB" });
  remember(m, { kind: "drain-holdoff-over", node: "n1", failure: m.drainFailures.get("n1")! });
  expect(m.drainFailures.size).toBe(0);
  remember(m, { kind: "users-deferring", since: 7 });
  expect(m.deferredSince).toBe(7);
});

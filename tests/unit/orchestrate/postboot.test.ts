/**
 * The post-boot path (a slot of our own at the start of a pass) against the fake lock backend:
 * which port calls it makes in which case, what it reports, and what it leaves on disk. No etcd:
 * the coordinator's gateway throws on any use.
 */
import { describe, expect, test } from "bun:test";
import { afterBoot } from "../../../src/orchestrate/_postboot.ts";
import { runPass } from "../../../src/orchestrate/index.ts";
import { iso, slotEntry, slotRecord, state, T0, world, type World } from "./_world.ts";

const MARKER = "/state/rebooting-n1.json";
const POST = "/run/crd/post-reboot.json";

/** Our slot in the view (fenced before the reboot, boot id boot-1; this boot is boot-2). */
function ownSlot(w: World, over: Parameters<typeof slotEntry>[0] = {}) {
  const own = slotEntry(over);
  w.lock.state = state(undefined, [own]);
  w.lock.slots.set(own.key, { key: own.key, group: own.group, phase: own.record?.phase ?? "unknown", entry: own });
  return own;
}

describe("back after the reboot", () => {
  test("rebooting → verifying → healthy → uncordon → released with the history; markers updated", async () => {
    const w = world();
    const own = ownSlot(w);
    w.fs.files.set(MARKER, "{}");
    w.lock.on("releaseAfterBoot", { kind: "released", cooldownSec: 300, rebootAt: iso(T0 - 240_000), bootIdBefore: "boot-1" });
    const e = await afterBoot(w.co, own);
    expect(e.outcome).toEqual({ kind: "post_boot_released", message: "back after reboot and healthy: slot released" });
    expect(e.facts?.slot).toEqual({ key: own.key, phase: "released", released: true });
    expect(e.facts?.rebooted).toBe(true);
    expect(e.facts?.health?.map((h) => h.phase)).toEqual(["post-boot"]);
    expect(w.lock.methods).toEqual(["markVerifying", "releaseAfterBoot"]);
    expect(w.lock.args("markVerifying")[0]![1]).toEqual({ nowMs: T0, rebooted: true });
    const [slot, info] = w.lock.args("releaseAfterBoot")[0]!;
    expect(slot.phase).toBe("verifying");
    expect(info).toEqual({ bootId: "boot-2", rebooted: true, found: own.record! });
    expect(w.kube.calls).toEqual(["annotate: verifying", "restore: post-boot checks passed"]);
    expect(w.fs.files.has(MARKER)).toBe(false);
    expect(w.fs.json(POST)).toEqual({ rebooted: true, boot_id_before: "boot-1", boot_id_after: "boot-2", reboot_at: iso(T0 - 240_000), released_at: iso(T0), slot: own.key });
    expect(w.metrics.samples.get("reboot_to_healthy_seconds")).toEqual([240]);
    const rel = w.log.records.find((r) => r.event === "slot_released")!;
    expect(rel.fields).toMatchObject({ reason: "post_boot_healthy", rebooted: true, slot_held_s: 600, cooldown_s: 300 });
    expect(w.lock.slots.size).toBe(0);
  });

  test("a cooldown shorter than asked for is logged with what was requested", async () => {
    const w = world({ cooldownSec: 600 });
    const own = ownSlot(w, { phase: "verifying", phase_at: iso(T0 - 1000) });
    w.lock.on("releaseAfterBoot", { kind: "released", cooldownSec: 300 });
    await afterBoot(w.co, own);
    expect(w.log.records.find((r) => r.event === "slot_released")?.fields).toMatchObject({ cooldown_s: 300, cooldown_requested_s: 600 });
    expect(w.fs.json(POST)).toMatchObject({ boot_id_before: null, reboot_at: null });
  });

  test("already verifying (an earlier pass found it unhealthy): no second transition", async () => {
    const w = world();
    const own = ownSlot(w, { phase: "verifying", reason: "reboot did not happen" });
    const e = await afterBoot(w.co, own);
    expect(w.lock.methods).toEqual(["releaseAfterBoot"]);
    expect(w.lock.args("releaseAfterBoot")[0]![1].rebooted).toBe(false);
    expect(e.outcome.message).toBe("the reboot did not happen (same boot id); node healthy, slot released");
    expect(e.facts?.rebooted).toBe(false);
  });

  test("the slot vanished while verifying: a runtime error, nothing released", async () => {
    const w = world();
    const own = ownSlot(w);
    w.lock.on("markVerifying", undefined);
    const e = await afterBoot(w.co, own);
    expect(e.outcome).toEqual({ kind: "runtime_error", message: "our slot vanished while verifying (expired or unlocked)" });
    expect(e.facts?.slot).toEqual({ key: own.key, phase: "rebooting" });
    expect(w.lock.methods).toEqual(["markVerifying"]);
    expect(w.health.runs).toEqual([]);
  });

  test("the release raced (retry) or found the slot gone", async () => {
    const w = world();
    ownSlot(w);
    w.lock.on("releaseAfterBoot", { kind: "raced" }, { kind: "gone" });
    const raced = await afterBoot(w.co, slotEntry({ phase: "verifying" }));
    expect(raced.outcome).toEqual({ kind: "runtime_error", message: "the release raced with another write; retrying", retry: true });
    const gone = await afterBoot(w.co, slotEntry({ phase: "verifying" }));
    expect(gone.outcome).toEqual({ kind: "runtime_error", message: "our slot vanished before release (expired or unlocked)" });
    expect(w.fs.files.has(POST)).toBe(false);
  });
});

describe("unhealthy after boot", () => {
  test("the slot is kept until healthy (or its deadline); nothing released, the node stays cordoned", async () => {
    const w = world();
    const own = ownSlot(w);
    w.health.next = "blocked";
    const e = await afterBoot(w.co, own);
    expect(e.outcome).toEqual({ kind: "health_blocked", message: `post-boot health check failing (exit 1); slot kept until healthy or until its deadline ${own.record!.deadline}, when it counts as a failed reboot` });
    expect(e.facts?.slot).toEqual({ key: own.key, phase: "verifying" });
    expect(w.lock.methods).toEqual(["markVerifying"]);
    expect(w.kube.calls).toEqual(["annotate: verifying"]);
    expect(w.published).toEqual([{ healthy: false, phase: "post-boot" }]);
  });

  test("past the deadline with max_failed_reboots: recorded as a failed reboot through lock.fail", async () => {
    const w = world();
    const own = ownSlot(w, { phase: "verifying", deadline: iso(T0 - 1), max_failed_reboots: 2 });
    w.health.next = "blocked";
    w.lock.on("fail", { slot: own.key, node: "n1", group: "g", phase: "verifying", deadline: iso(T0 - 1), reason: "unhealthy_past_deadline", froze: true, failures: 2, limit: 2 });
    const e = await afterBoot(w.co, own);
    expect(e.outcome.message).toBe(`post-boot health check still failing past the slot's deadline ${iso(T0 - 1)} (exit 1): recorded as a failed reboot; group g is frozen until 'clusterrebootd resume --group g'`);
    expect(e.facts?.slot).toEqual({ key: own.key, phase: "released", released: true });
    expect(w.lock.args("fail")[0]![0].key).toBe(own.key);
    expect(w.metrics.gauges.get("group_frozen{group=g}")).toBe(1);
    expect(w.notified).toEqual(["group_frozen"]);
  });

  test("past the deadline without max_failed_reboots, or when the slot changed meanwhile: kept", async () => {
    const w = world();
    w.health.next = "blocked";
    const noLimit = ownSlot(w, { phase: "verifying", deadline: iso(T0 - 1), max_failed_reboots: 0 });
    expect((await afterBoot(w.co, noLimit)).outcome.message).toContain(`or until it expires at ${iso(T0 - 1)}`);
    expect(w.lock.methods).toEqual([]);
    const changed = ownSlot(w, { phase: "verifying", deadline: iso(T0 - 1), max_failed_reboots: 1 });
    expect((await afterBoot(w.co, changed)).outcome.message).toContain("slot kept until healthy");
    expect(w.lock.methods).toEqual(["fail"]);
  });

  test("healthy but the uncordon fails: the slot is kept and the pass retries", async () => {
    const w = world();
    const own = ownSlot(w, { phase: "verifying" });
    w.kube.restoreResults = [false];
    const e = await afterBoot(w.co, own);
    expect(e.outcome).toEqual({ kind: "health_blocked", message: "post-boot checks passed but uncordoning the node failed; slot kept, retrying" });
    expect(w.lock.methods).toEqual([]);
  });
});

describe("the reboot did not happen", () => {
  test("within the grace period: still waiting for the machine to go down, nothing written", async () => {
    const w = world();
    const own = ownSlot(w, { boot_id: "boot-2", phase_at: iso(T0 - 10_000) });
    const e = await afterBoot(w.co, own);
    expect(e.outcome).toEqual({ kind: "rebooting", message: "reboot issued 10s ago; waiting for the machine to go down" });
    expect(w.lock.methods).toEqual([]);
    expect(w.health.runs).toEqual([]);
  });

  test("after the grace period: said loudly, verified, released; the failure counts towards max_failed_reboots", async () => {
    const w = world();
    const own = ownSlot(w, { boot_id: "boot-2", phase_at: iso(T0 - 60_000) });
    w.lock.on("releaseAfterBoot", { kind: "released", cooldownSec: 0, failure: { froze: false, failures: 1 } });
    const e = await afterBoot(w.co, own);
    expect(w.metrics.counters.get("reboots_not_happened_total")).toBe(1);
    expect(w.lock.args("markVerifying")[0]![1]).toEqual({ nowMs: T0, rebooted: false });
    expect(w.lock.args("releaseAfterBoot")[0]![1].rebooted).toBe(false);
    expect(e.outcome.message).toBe("the reboot did not happen (same boot id); node healthy, slot released; recorded as failed reboot 1 of max_failed_reboots 1");
    expect(w.log.records.find((r) => r.event === "reboot_failed_recorded")?.fields).toMatchObject({ reason: "reboot_not_happened", failures: 1 });
    expect(w.metrics.samples.has("reboot_to_healthy_seconds")).toBe(false);
  });
});

describe("a preparing slot of ours (a process that died before rebooting)", () => {
  test("uncordon first, then discard it (no cooldown, no release)", async () => {
    const w = world();
    const own = ownSlot(w, { phase: "preparing", deadline: undefined, pid: 99 });
    const e = await afterBoot(w.co, own);
    expect(e.outcome).toEqual({ kind: "no_action", message: "freed a preparing slot left by pid 99 (it never rebooted)" });
    expect(w.kube.calls).toEqual(["restore: previous process died before rebooting"]);
    expect(w.lock.methods).toEqual(["discard"]);
    expect(w.log.records.find((r) => r.event === "slot_recovered")?.fields).toEqual({ slot: own.key, previous_pid: 99, freed: 1, kept: false });
  });

  test("a slot kept after a failed uncordon is finished the same way; if the uncordon fails again it stays", async () => {
    const w = world();
    const own = ownSlot(w, { phase: "preparing", reason: "kept: uncordoning k-n1 failed (drain_blocked)" });
    w.kube.restoreResults = [false, true];
    expect((await afterBoot(w.co, own)).outcome.kind).toBe("drain_blocked");
    expect(w.lock.methods).toEqual([]);
    w.lock.on("discard", false);
    const e = await afterBoot(w.co, own);
    expect(e.outcome.message).toBe(`node uncordoned; released the slot kept since ${own.record!.phase_at} (kept: uncordoning k-n1 failed (drain_blocked))`);
    expect(w.log.records.find((r) => r.event === "slot_recovered")?.fields.freed).toBe(0);
  });
});

test("a slot of ours we cannot read, or one an operator holds, is not touched", async () => {
  const w = world();
  expect((await afterBoot(w.co, slotEntry(null))).outcome.message).toContain("has an unreadable value");
  const op = await afterBoot(w.co, slotEntry({ holder: "operator", reason: "maintenance" }));
  expect(op.outcome).toEqual({ kind: "lock_unavailable", message: "slot /t/slots/g/n1 for this node is held by operator (maintenance)" });
  expect(w.lock.methods).toEqual([]);
});

describe("through runPass", () => {
  test("our slot in the view starts the post-boot path before any gate (the kill switch does not stop the release)", async () => {
    const w = world();
    ownSlot(w);
    w.fs.files.set("/etc/kill", "");
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("post_boot_released");
    expect(r.slot).toEqual({ key: "/t/slots/g/n1", phase: "released", released: true });
    expect(r.killSwitch).toBeUndefined();
    expect(w.lock.methods).toEqual(["view", "sweep", "markVerifying", "releaseAfterBoot"]);
  });

  test("status shows our slot and changes nothing", async () => {
    const w = world();
    ownSlot(w);
    const r = await runPass(w.co, "status");
    expect(r.outcome).toEqual({ kind: "lock_unavailable", message: "this node holds slot /t/slots/g/n1 (phase rebooting); run without --once finishes it" });
    expect(r.slot).toEqual({ key: "/t/slots/g/n1", phase: "rebooting" });
    expect(w.lock.methods).toEqual(["view"]);
  });

  test("a slot of our name held by another machine is never ours: identity conflict, nothing freed", async () => {
    const w = world();
    ownSlot(w, { machine_id: "ffffffffffffffffffffffffffffffff" });
    w.co.plan = { ...w.co.plan, machineId: "0123456789abcdef0123456789abcdef" };
    const r = await runPass(w.co, "run");
    expect(r.outcome.kind).toBe("identity_conflict");
    expect(w.lock.methods).toEqual(["view", "sweep"]);
    expect(w.metrics.counters.get("identity_conflicts_total")).toBe(1);
  });

  test("the slot vanished while we were down: the marker makes the pass take it again through lock.recover", async () => {
    const w = world();
    const marker = { slot: "/t/slots/g/n1", group: "g", boot_id: "boot-1", deadline: iso(T0 + 600_000), cluster_id: "cluster-a", at: iso(T0 - 60_000) };
    w.fs.files.set(MARKER, JSON.stringify(marker));
    w.lock.on("recover", (m) => {
      // What the pass then finds in its view: the slot taken again, rebooting until the marker's deadline.
      w.lock.state = state(undefined, [slotEntry({ phase: "rebooting", deadline: m.deadline })]);
      return { kind: "recreated" as const, key: "/t/slots/g/n1" };
    });
    const r = await runPass(w.co, "run");
    expect(w.lock.args("recover")).toEqual([[{ bootId: "boot-1", deadline: marker.deadline, nowMs: T0 }]]);
    expect(w.log.records.find((x) => x.event === "slot_recreated")?.fields).toEqual({ slot: "/t/slots/g/n1", was: marker.slot, deadline: marker.deadline });
    expect(r.outcome.kind).toBe("post_boot_released");
    expect(w.fs.files.has(MARKER)).toBe(false);
  });

  test("the marker of a reboot that did not happen, or past its deadline, is dropped without asking the lock", async () => {
    for (const m of [{ boot_id: "boot-2", deadline: iso(T0 + 600_000) }, { boot_id: "boot-1", deadline: iso(T0 - 1) }]) {
      const w = world();
      w.detectors.next = { ...w.detectors.next, requiresReboot: false, results: [] };
      w.fs.files.set(MARKER, JSON.stringify({ slot: "/t/slots/g/n1", group: "g", ...m }));
      await runPass(w.co, "run");
      expect(w.lock.methods).not.toContain("recover");
      expect(w.fs.files.has(MARKER)).toBe(false);
    }
  });

  test("the budget went to others while we were down: said loudly, the marker dropped", async () => {
    const w = world();
    w.detectors.next = { ...w.detectors.next, requiresReboot: false, results: [] };
    w.fs.files.set(MARKER, JSON.stringify({ slot: "/t/slots/g/n1", group: "g", boot_id: "boot-1", deadline: iso(T0 + 600_000) }));
    w.lock.on("recover", { kind: "refused", why: "full" });
    await runPass(w.co, "run");
    expect(w.log.records.find((x) => x.event === "slot_vanished")?.fields.action).toContain("could not take it again (full)");
    expect(w.metrics.counters.get("stale_slots_freed_total")).toBe(1);
    expect(w.fs.files.has(MARKER)).toBe(false);
  });

  test("a marker for another slot key (group changed) is not ours", async () => {
    const w = world();
    w.fs.files.set(MARKER, JSON.stringify({ slot: "/t/slots/other/n1", group: "other", boot_id: "boot-1", deadline: iso(T0 + 600_000) }));
    await runPass(w.co, "status");
    await runPass(w.co, "run");
    expect(w.lock.methods).not.toContain("recover");
    expect(w.fs.files.has(MARKER)).toBe(true);
  });
});

test("slotRecord defaults describe a slot fenced ten minutes ago on boot-1", () => {
  expect(slotRecord()).toMatchObject({ phase: "rebooting", boot_id: "boot-1", acquired_at: iso(T0 - 600_000) });
});

/**
 * A failed reboot stops the rollout of its group (issue 22), against real etcd with injected
 * clocks: a node that never comes back, one that comes back unhealthy past its deadline, and a
 * reboot that did not happen each count as a failure; the K-th (max_failed_reboots) freezes the
 * group in the same transaction that frees the slot; only `resume --group` lifts it.
 * Down-node counting is off here (count_down_nodes: tested in down-nodes.test.ts): the injected
 * clocks jump minutes, which would make every health record stale.
 */
import { expect, test } from "bun:test";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { memoryLogger } from "../../src/observe/index.ts";
import { runPass, type Plan } from "../../src/orchestrate/index.ts";
import { createFs } from "../../src/platform/index.ts";
import { clearFreeze, FailuresRecordSchema, FreezeRecordSchema, HistoryRecordSchema, makeKeys, openSession, parseRecord, readClusterState, type Keys } from "../../src/slots/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeHost } from "../fakes/host.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { passingHealth, testPlan } from "../support/plan.ts";
import type { HealthRunner } from "../../src/health/index.ts";

const fx = etcdFixture("failures");
const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);
let n = 0;
const fresh = () => makeKeys(`/fail${n++}`);

async function node(o: { keys: Keys; name: string; clock: FakeClock; plan?: Partial<Plan>; host?: FakeHost; health?: HealthRunner; runner?: FakeRunner }) {
  const host = o.host ?? new FakeHost({ bootId: `${o.name}-boot-1` });
  if (!o.host) host.stateDirValue = await mkdtemp(join(fx.dir, "state-"));
  const runner = o.runner ?? new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const log = memoryLogger();
  const plan = testPlan({
    node: o.name,
    detectors: [{ name: "always", type: "file", path: fx.dir }],
    killSwitchFile: join(fx.dir, "no-kill-switch"),
    machineId: await host.machineId(),
    countDownNodes: false,
    slotTimeoutSec: 120,
    lockTtlSec: 5,
    baseEnv: { RC_NODE_NAME: o.name, RC_BOOT_ID: await host.bootId() },
    ...o.plan,
  });
  const session = await openSession(fx.gw, o.keys, { node: o.name, group: "g", fallback: false, pid: 1, bootId: await host.bootId(), machineId: await host.machineId() }, { ttlSec: 5, nowMs: o.clock.now() });
  const co = etcdCoordinator({ plan, ports: { clock: o.clock, runner, host, fs: createFs(), log }, health: o.health ?? passingHealth, etcd: { gw: fx.gw, keys: o.keys }, session });
  return { co, host, log, session, runner };
}

const json = async <T>(keys: Keys, key: string, schema: Parameters<typeof parseRecord>[0]) => parseRecord(schema, (await fx.gw.get(key))?.value) as T | undefined;

test("a node that never comes back freezes its group with the free of its slot; resume --group lets the next one go", async () => {
  const keys = fresh();
  const clock = new FakeClock(NOW);
  const a = await node({ keys, name: "a", clock });
  const b = await node({ keys, name: "b", clock });
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  const fenced = (await readClusterState(fx.gw, keys)).slots[0]!;
  // max_failed_reboots ≥ 1: the fenced slot lives on no lease (it never expires by itself).
  expect(fenced.lease).toBe("0");
  expect(fenced.record).toMatchObject({ phase: "rebooting", max_failed_reboots: 1 });
  expect((await runPass(b.co, "run")).outcome.kind).toBe("lock_unavailable");

  // Past the deadline, but not past it by the skew allowance (lock_ttl_sec): still a slot.
  await clock.advance(120_000 + 2_000);
  expect((await runPass(b.co, "run")).outcome.kind).toBe("lock_unavailable");
  await clock.advance(4_000);
  const r = await runPass(b.co, "run");
  expect(r.outcome.kind).toBe("group_frozen");
  expect(r.outcome.message).toContain("a did not come back before its slot's deadline");
  expect(r.outcome.message).toContain("clusterrebootd resume --group g");
  expect(b.runner.argvs).toEqual([]);
  const st = await readClusterState(fx.gw, keys);
  expect(st.slots).toHaveLength(0);
  expect(await json(keys, keys.frozen("g"), FreezeRecordSchema)).toMatchObject({ group: "g", node: "a", reason: "never_returned", failures: 1, max_failed_reboots: 1 });
  expect(await json(keys, keys.failures("g"), FailuresRecordSchema)).toMatchObject({ failures: [{ node: "a", reason: "never_returned" }] });
  const hist = (await json<{ outcome: string; froze_group?: boolean }[]>(keys, keys.history("a"), HistoryRecordSchema)) ?? [];
  expect(hist.at(-1)).toMatchObject({ outcome: "never_returned", froze_group: true });
  expect(b.log.records.some((x) => x.event === "group_frozen")).toBe(true);

  // Still frozen on every later pass, whatever else changes.
  expect((await runPass(b.co, "run")).outcome.kind).toBe("group_frozen");
  await clearFreeze(fx.gw, keys, "g");
  expect((await runPass(b.co, "run")).outcome.kind).toBe("rebooting");
  expect(await fx.gw.get(keys.failures("g"))).toBeUndefined();
  for (const x of [a, b]) await x.session.close({ revoke: true });
});

test("max_failed_reboots 0 keeps the Go behaviour: the slot is on a lease and nobody turns it into a failure", async () => {
  const keys = fresh();
  const clock = new FakeClock(NOW);
  const a = await node({ keys, name: "a", clock, plan: { maxFailedReboots: 0 } });
  const b = await node({ keys, name: "b", clock, plan: { maxFailedReboots: 0 } });
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  const fenced = (await readClusterState(fx.gw, keys)).slots[0]!;
  expect(fenced.lease).not.toBe("0");
  await clock.advance(200_000);
  expect((await runPass(b.co, "run")).outcome.kind).toBe("lock_unavailable");
  expect(await fx.gw.get(keys.frozen("g"))).toBeUndefined();
  for (const x of [a, b]) await x.session.close({ revoke: true });
});

test("max_failed_reboots 2: the first failure frees the slot and is counted, the second freezes", async () => {
  const keys = fresh();
  const clock = new FakeClock(NOW);
  const [a, b, c] = await Promise.all(["a", "b", "c"].map((name) => node({ keys, name, clock, plan: { maxFailedReboots: 2 } })));
  expect((await runPass(a!.co, "run")).outcome.kind).toBe("rebooting");
  await clock.advance(130_000);
  // b frees a's slot as failure 1 of 2, then takes the slot itself in the same pass.
  expect((await runPass(b!.co, "run")).outcome.kind).toBe("rebooting");
  expect(b!.log.records.find((x) => x.event === "reboot_failed_recorded")?.fields).toMatchObject({ failed_node: "a", failures: 1 });
  await clock.advance(130_000);
  expect((await runPass(c!.co, "run")).outcome.kind).toBe("group_frozen");
  expect(await json(keys, keys.frozen("g"), FreezeRecordSchema)).toMatchObject({ node: "b", failures: 2, max_failed_reboots: 2 });
  for (const x of [a!, b!, c!]) await x.session.close({ revoke: true });
});

test("a reboot that did not happen is a failure: released with the freeze in one transaction", async () => {
  const keys = fresh();
  const clock = new FakeClock(NOW);
  const a = await node({ keys, name: "a", clock, plan: { rebootGraceMs: 1_000 } });
  const b = await node({ keys, name: "b", clock });
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  await clock.advance(2_000); // same boot id after the grace period
  const r = await runPass({ ...a.co, plan: { ...a.co.plan, detectors: [] } }, "run");
  expect(r.outcome.kind).toBe("post_boot_released");
  expect(r.outcome.message).toContain("group g is frozen");
  expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
  expect(await json(keys, keys.frozen("g"), FreezeRecordSchema)).toMatchObject({ node: "a", reason: "reboot_not_happened" });
  expect((await runPass(b.co, "run")).outcome.kind).toBe("group_frozen");
  for (const x of [a, b]) await x.session.close({ revoke: true });
});

test("back but unhealthy past the deadline: the node itself records the failure and frees its slot", async () => {
  const keys = fresh();
  const clock = new FakeClock(NOW);
  let healthy = true;
  const health: HealthRunner = {
    async run(phase) {
      return healthy
        ? { phase, seq: 0, durationMs: 1, stdout: "", stderr: "", truncated: false, kind: "pass", exitCode: 0 }
        : { phase, seq: 0, durationMs: 1, stdout: "disk full", stderr: "", truncated: false, kind: "blocked", exitCode: 1 };
    },
  };
  const a = await node({ keys, name: "a", clock, health });
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  a.host.reboot();
  healthy = false;
  const back = await node({ keys, name: "a", clock, host: a.host, health, plan: { detectors: [] } });
  const early = await runPass(back.co, "run");
  expect(early.outcome.kind).toBe("health_blocked");
  expect(early.outcome.message).toContain("when it counts as a failed reboot");
  expect((await readClusterState(fx.gw, keys)).slots[0]?.record?.phase).toBe("verifying");
  await clock.advance(121_000);
  const late = await runPass(back.co, "run");
  expect(late.outcome.kind).toBe("health_blocked");
  expect(late.outcome.message).toContain("recorded as a failed reboot");
  expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
  expect(await json(keys, keys.frozen("g"), FreezeRecordSchema)).toMatchObject({ node: "a", reason: "unhealthy_past_deadline" });
  for (const x of [a, back]) await x.session.close({ revoke: true });
});

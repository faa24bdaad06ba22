/**
 * One orchestration pass against a real etcd, with injected clock, host, runner and health script:
 * the gates re-checked under the slot (window, cooldown, pause), the reboot through the fence,
 * the post-boot release, "the reboot did not happen", and the reboot-loop guard.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import type { HealthPhase, HealthResult, HealthRunner } from "../../src/health/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { runPass, type Plan } from "../../src/orchestrate/index.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { createFs } from "../../src/platform/index.ts";
import { makeKeys, readClusterState, type Keys } from "../../src/slots/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeHost } from "../fakes/host.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { startEtcd, type EtcdCluster } from "../support/etcd.ts";
import { testPlan } from "../support/plan.ts";
import { openHealthySession } from "../support/session.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;
let dir: string;
let keys: Keys;
let n = 0;

beforeAll(async () => {
  cluster = await startEtcd();
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
  dir = await mkdtemp(join(tmpdir(), "crd-pass-"));
});
afterAll(async () => {
  await gw?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  keys = makeKeys(`/pass${n++}`);
});

// Monday 2025-01-06 21:59:00 UTC; the allow window below closes at 22:00.
const MONDAY_2159 = Date.UTC(2025, 0, 6, 21, 59, 0);

type HealthHook = (phase: HealthPhase) => Promise<HealthResult["kind"] | void> | HealthResult["kind"] | void;

function fakeHealth(hook: HealthHook = () => {}): HealthRunner & { phases: HealthPhase[] } {
  let seq = 0;
  const phases: HealthPhase[] = [];
  return {
    phases,
    async run(phase) {
      phases.push(phase);
      const kind = (await hook(phase)) ?? "pass";
      const base = { phase, seq: seq++, durationMs: 1, stdout: "", stderr: "", truncated: false };
      return kind === "pass" ? { ...base, kind, exitCode: 0 } : { ...base, kind: "blocked", exitCode: 1 };
    },
  };
}

async function coordinator(opts: { node?: string; allow?: string[]; health?: HealthRunner; clock?: FakeClock; host?: FakeHost; runner?: FakeRunner; plan?: Partial<Plan> } = {}) {
  const node = opts.node ?? "n1";
  const clock = opts.clock ?? new FakeClock(MONDAY_2159);
  const host = opts.host ?? new FakeHost({ bootId: "boot-1" });
  const runner = opts.runner ?? new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const log = memoryLogger();
  const plan = testPlan({
    node,
    allow: opts.allow ?? [],
    detectors: [{ name: "always", type: "file", path: dir }], // the temp dir exists: reboot required
    killSwitchFile: join(dir, "no-such-kill-switch"),
    maxRebootsPerNode: 2,
    baseEnv: { RC_NODE_NAME: node, RC_BOOT_ID: await host.bootId() },
    ...opts.plan,
  });
  const session = await openHealthySession(gw, keys, { node, group: "g", fallback: false, pid: 1, bootId: await host.bootId() }, { ttlSec: 5, nowMs: clock.now() });
  const co = etcdCoordinator({ plan, ports: { clock, runner, host, fs: createFs(), log }, health: opts.health ?? fakeHealth(), etcd: { gw, keys }, session });
  return { co, clock, host, runner, log, session };
}

const rebootCalls = (r: FakeRunner) => r.argvs.filter((a) => a[0] === "/sbin/reboot-sim").length;

describe("gates re-checked under the slot (W4)", () => {
  test("the allow window closing between slot request and reboot stops the reboot", async () => {
    const clock = new FakeClock(MONDAY_2159);
    const health = fakeHealth(async (phase) => {
      if (phase === "post-lock") await clock.advance(90_000); // slow post-lock checks: now 22:00:30
    });
    const { co, runner, session } = await coordinator({ allow: ["Mon 21:00-22:00"], health, clock });
    const r = await runPass(co, "run");
    expect(r.outcome.kind).toBe("window_outside_allow");
    expect(r.outcome.message).toContain("re-checked under the slot");
    expect(rebootCalls(runner)).toBe(0);
    expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
    await session.close({ revoke: true });
  });

  test.each([
    ["cooldown", "cooldown_active"],
    ["pause", "paused"],
  ] as const)("a %s appearing while the slot is held stops the reboot", async (what, expected) => {
    const health = fakeHealth(async (phase) => {
      if (phase !== "post-lock") return;
      const key = what === "pause" ? keys.pause : keys.cooldown("g");
      await gw.txn([], [{ kind: "put", key, value: JSON.stringify({ reason: "test", by: "t", at: new Date().toISOString() }) }]);
    });
    const { co, runner, session } = await coordinator({ health });
    const r = await runPass(co, "run");
    expect(r.outcome.kind).toBe(expected);
    expect(rebootCalls(runner)).toBe(0);
    expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
    await session.close({ revoke: true });
  });

  test("post-lock health failing releases the slot without a reboot", async () => {
    const { co, runner, session } = await coordinator({ health: fakeHealth((p) => (p === "post-lock" ? "blocked" : "pass")) });
    const r = await runPass(co, "run");
    expect(r.outcome.kind).toBe("health_blocked");
    expect(rebootCalls(runner)).toBe(0);
    expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
    await session.close({ revoke: true });
  });
});

describe("through the reboot", () => {
  test("reboot under the slot, keep it through the reboot, release only after post-boot health passes", async () => {
    let healthy = true;
    const health = fakeHealth((p) => (p === "post-boot" && !healthy ? "blocked" : "pass"));
    const { co, runner, host, clock, session } = await coordinator({ health });
    const r1 = await runPass(co, "run");
    expect(r1.outcome.kind).toBe("rebooting");
    expect(rebootCalls(runner)).toBe(1);
    const env = runner.calls.find((c) => c.argv[0] === "/sbin/reboot-sim")!.env!;
    expect(env["RC_NODE_NAME"]).toBe("n1");
    expect(env["RC_PHASE"]).toBe("reboot");
    let st = await readClusterState(gw, keys);
    expect(st.slots[0]?.record).toMatchObject({ phase: "rebooting", boot_id: "boot-1" });
    await session.close({ revoke: false });
    // The session lease dies with the process; the slot does not.
    host.reboot();
    healthy = false;
    const again = await coordinator({ health, host, clock, runner, plan: { runtimeDir: dir } });
    const r2 = await runPass(again.co, "run");
    expect(r2.outcome.kind).toBe("health_blocked");
    st = await readClusterState(gw, keys);
    expect(st.slots[0]?.record?.phase).toBe("verifying");
    healthy = true;
    const r3 = await runPass(again.co, "run");
    expect(r3.outcome.kind).toBe("post_boot_released");
    st = await readClusterState(gw, keys);
    expect(st.slots).toHaveLength(0);
    expect(st.reboots.get("n1")).toMatchObject({ boot_id_before: "boot-1", boot_id_after: host.bootIdValue, last_outcome: "rebooted" });
    // The post-reboot marker on the runtime dir (tmpfs in production).
    const marker = JSON.parse(await Bun.file(join(dir, "post-reboot.json")).text());
    expect(marker).toMatchObject({ rebooted: true, boot_id_before: "boot-1", boot_id_after: host.bootIdValue });
    await again.session.close({ revoke: true });
  });

  test("same boot id after the grace period: the reboot did not happen, the slot is released anyway", async () => {
    const { co, runner, clock, log, session } = await coordinator();
    expect((await runPass(co, "run")).outcome.kind).toBe("rebooting");
    expect((await runPass(co, "run")).outcome.kind).toBe("rebooting"); // still inside the grace period
    await clock.advance(31_000);
    const r = await runPass(co, "run");
    expect(r.outcome.kind).toBe("post_boot_released");
    expect(r.outcome.message).toContain("did not happen");
    expect(log.records.some((x) => x.event === "reboot_not_happened")).toBe(true);
    expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
    expect(rebootCalls(runner)).toBe(1);
    await session.close({ revoke: true });
  });

  test("the reboot-loop guard stops a node that keeps needing reboots (W28)", async () => {
    const { co, runner, host, session } = await coordinator();
    for (let i = 0; i < 2; i++) {
      expect((await runPass(co, "run")).outcome.kind).toBe("rebooting");
      host.reboot();
      co.plan.baseEnv["RC_BOOT_ID"] = host.bootIdValue;
      expect((await runPass(co, "run")).outcome.kind).toBe("post_boot_released");
    }
    const r = await runPass(co, "run");
    expect(r.outcome.kind).toBe("reboot_loop_guard");
    expect(r.outcome.message).toContain("unlock n1 --reset-history");
    expect(rebootCalls(runner)).toBe(2);
    await session.close({ revoke: true });
  });

  test("a failing reboot command keeps the slot (the machine may still go down) and is reported", async () => {
    const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(1, { stderr: "no permission" }));
    const { co, log, session } = await coordinator({ runner });
    const r = await runPass(co, "run");
    expect(r.outcome.kind).toBe("rebooting");
    expect(r.outcome.message).toContain("reboot command failed");
    expect(log.records.some((x) => x.event === "reboot_command_failed")).toBe(true);
    expect((await readClusterState(gw, keys)).slots[0]?.record?.phase).toBe("rebooting");
    await session.close({ revoke: true });
  });
});

describe("interactive users", () => {
  test("a logged-in user defers the reboot, for at most max_defer", async () => {
    const host = new FakeHost({ bootId: "boot-1" });
    host.users = ["alice@pts/0"];
    const clock = new FakeClock(MONDAY_2159);
    const { co, runner, session } = await coordinator({ host, clock, plan: { deferForUsers: true, maxDeferMs: 60_000 } });
    const r1 = await runPass(co, "run");
    expect(r1.outcome.kind).toBe("users_logged_in");
    expect(r1.outcome.message).toContain("alice@pts/0");
    expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
    await clock.advance(61_000);
    const r2 = await runPass(co, "run");
    expect(r2.outcome.kind).toBe("rebooting");
    expect(rebootCalls(runner)).toBe(1);
    await session.close({ revoke: true });
  });
});

describe("status is read-only (W17)", () => {
  test("status reports a free slot without taking it, and holders when full", async () => {
    const { co, session } = await coordinator({ node: "n1" });
    const s1 = await runPass(etcdCoordinator({ plan: co.plan, ports: co.ports, health: co.health, etcd: co.etcd }), "status");
    expect(s1.outcome.kind).toBe("ready");
    expect((await readClusterState(gw, keys)).slots).toHaveLength(0);
    const other = await coordinator({ node: "n2" });
    expect((await runPass(other.co, "run")).outcome.kind).toBe("rebooting");
    const s2 = await runPass(etcdCoordinator({ plan: co.plan, ports: co.ports, health: co.health, etcd: co.etcd }), "status");
    expect(s2.outcome.kind).toBe("lock_unavailable");
    expect(s2.holders?.map((h) => h.node)).toEqual(["n2"]);
    await session.close({ revoke: true });
    await other.session.close({ revoke: true });
  });
});

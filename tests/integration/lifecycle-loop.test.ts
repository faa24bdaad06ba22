/**
 * The daemon loop on the one lifecycle, against a real etcd: regressions of issue 11 — a dry run
 * does not wake itself with its own release, an unhealthy heartbeat is logged and visible in
 * metrics, a node whose reboot did not happen yields to a waiting peer, and the Go-compatible
 * metrics that used to be declared but never recorded are recorded.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import type { HealthRunner } from "../../src/health/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { runLoop, runPass, type Plan } from "../../src/orchestrate/index.ts";
import { createFs, systemClock } from "../../src/platform/index.ts";
import { makeKeys, readClusterState, type Keys } from "../../src/slots/index.ts";
import { FakeHost } from "../fakes/host.ts";
import { RecordingMetrics } from "../fakes/metrics.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { startEtcd } from "../support/etcd.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { passingHealth, testPlan } from "../support/plan.ts";
import { waitFor } from "../support/wait.ts";
import { openHealthySession } from "../support/session.ts";

let n = 0;

const fx = etcdFixture("lcl");

async function daemon(keys: Keys, node: string, o: { plan?: Partial<Plan>; health?: HealthRunner; runner?: FakeRunner; host?: FakeHost } = {}) {
  const host = o.host ?? new FakeHost({ bootId: `boot-${node}` });
  const runner = o.runner ?? new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const log = memoryLogger();
  const metrics = new RecordingMetrics();
  const plan = testPlan({
    node,
    detectors: [{ name: "always", type: "file", path: fx.dir }],
    killSwitchFile: join(fx.dir, "no-kill-switch"),
    checkIntervalMs: 60_000,
    publishIntervalMs: 100,
    baseEnv: { RC_NODE_NAME: node, RC_BOOT_ID: await host.bootId() },
    ...o.plan,
  });
  const session = await openHealthySession(fx.gw, keys, { node, group: "g", fallback: false, pid: 1, bootId: await host.bootId() }, { ttlSec: 5, nowMs: Date.now() });
  const co = etcdCoordinator({ plan, ports: { clock: systemClock, runner, host, fs: createFs(), log, metrics }, health: o.health ?? passingHealth, etcd: { gw: fx.gw, keys }, session });
  return { co, log, metrics, runner, host, session };
}

/** Counts slot creations under the prefix (puts of a key that did not exist). */
async function countCreations(keys: Keys) {
  const live = new Set<string>();
  let created = 0;
  const w = await fx.gw.watchPrefix(keys.slotsPrefix, (e) => {
    if (e.kind === "put" && !live.has(e.key)) (created++, live.add(e.key));
    if (e.kind === "delete") live.delete(e.key);
  });
  return { created: () => created, cancel: () => w.cancel() };
}

test("a dry-run daemon takes its slot once per check interval, not on its own release", async () => {
  const keys = makeKeys(`/lcl${n++}`);
  const d = await daemon(keys, "dry", { plan: { dryRun: true } });
  const slots = await countCreations(keys);
  const ac = new AbortController();
  const loop = runLoop(d.co, ac.signal);
  // Time passes, measured by heartbeats (every 100 ms): 15 of them, ~1.5 s of a 60 s interval.
  await waitFor(() => d.log.records.filter((r) => r.event === "slot_released").length >= 1, { timeoutMs: 10_000, what: "the dry run's release" });
  await waitFor(() => d.metrics.total("cluster_health_updates_total") >= 15, { timeoutMs: 20_000, what: "15 heartbeats" });
  ac.abort();
  await loop;
  await slots.cancel();
  expect(slots.created()).toBe(1);
  expect(d.log.records.filter((r) => r.event === "slot_acquired")).toHaveLength(1);
  await d.session.close({ revoke: true });
});

test("an unhealthy heartbeat is logged when it changes, and shown by the healthy gauge", async () => {
  const keys = makeKeys(`/lcl${n++}`);
  let healthy = true;
  const health: HealthRunner = {
    async run(phase) {
      const base = { phase, seq: Date.now(), durationMs: 1, stdout: "", stderr: healthy ? "" : "disk full", truncated: false };
      return healthy ? { ...base, kind: "pass", exitCode: 0 } : { ...base, kind: "blocked", exitCode: 1 };
    },
  };
  const d = await daemon(keys, "hb", { health, plan: { detectors: [{ name: "never", type: "file", path: join(fx.dir, "absent") }] } });
  const ac = new AbortController();
  const loop = runLoop(d.co, ac.signal);
  await waitFor(() => d.metrics.gauges.get("healthy") === 1, { timeoutMs: 10_000, what: "healthy gauge 1" });
  healthy = false;
  await waitFor(() => d.log.records.find((r) => r.event === "health_changed" && r.fields["healthy"] === false), { timeoutMs: 10_000, what: "health_changed healthy=false" });
  expect(d.metrics.gauges.get("healthy")).toBe(0);
  await waitFor(() => d.metrics.total("cluster_health_updates_total") >= 5, { timeoutMs: 10_000, what: "more heartbeats" });
  // Logged once per change, not once per heartbeat.
  expect(d.log.records.filter((r) => r.event === "health_changed" && r.fields["healthy"] === false)).toHaveLength(1);
  expect(d.log.records.find((r) => r.event === "health_changed" && r.fields["healthy"] === false)?.fields["output"]).toContain("disk full");
  ac.abort();
  await loop;
  await d.session.close({ revoke: true });
});

test("a node whose reboot did not happen yields the slot to a peer that waited", async () => {
  const keys = makeKeys(`/lcl${n++}`);
  const failing = new FakeRunner().on(["/sbin/reboot-sim"], exited(1));
  // max_failed_reboots 0: the Go behaviour, no freeze (lifecycle-failures.test.ts has the freeze).
  const a = await daemon(keys, "a", { runner: failing, plan: { rebootGraceMs: 300, maxFailedReboots: 0 } });
  const b = await daemon(keys, "b");
  const acA = new AbortController();
  const loopA = runLoop(a.co, acA.signal);
  await waitFor(async () => (await readClusterState(fx.gw, keys)).slots.find((s) => s.node === "a" && s.record?.phase === "rebooting"), { timeoutMs: 10_000, what: "a fenced" });
  const acB = new AbortController();
  const loopB = runLoop(b.co, acB.signal);
  await waitFor(() => b.log.records.find((r) => r.event === "run_outcome" && r.fields["status"] === "lock_unavailable"), { timeoutMs: 10_000, what: "b waiting" });
  // b's health record says who waits and why (the fleet page shows it; no extra write for it).
  await waitFor(async () => {
    const rec = JSON.parse((await fx.gw.get(keys.health("b")))?.value ?? "{}") as { needs_reboot?: boolean; blocked_reason?: string };
    return rec.needs_reboot === true && rec.blocked_reason?.includes("in line");
  }, { timeoutMs: 10_000, what: "b's health record to carry its blocked reason" });
  // a's reboot never happens: after the grace period it verifies and releases; b must be next.
  await waitFor(() => b.runner.argvs.length > 0, { timeoutMs: 15_000, what: "b's reboot command" });
  expect(a.log.records.some((r) => r.event === "reboot_not_happened")).toBe(true);
  expect(a.log.records.filter((r) => r.event === "slot_acquired")).toHaveLength(1);
  acA.abort();
  acB.abort();
  await Promise.all([loopA, loopB]);
  await a.session.close({ revoke: true });
  await b.session.close({ revoke: true });
});

test("the Go-compatible metrics of health updates, cooldown and lock timing are recorded", async () => {
  const keys = makeKeys(`/lcl${n++}`);
  const d = await daemon(keys, "m", { plan: { cooldownSec: 30 } });
  expect((await runPass(d.co, "run")).outcome.kind).toBe("rebooting");
  d.host.reboot();
  const after = await daemon(keys, "m", { host: d.host, plan: { cooldownSec: 30 } });
  expect((await runPass(after.co, "run")).outcome.kind).toBe("post_boot_released");
  const peer = await daemon(keys, "p", { plan: { cooldownSec: 30 } });
  expect((await runPass(peer.co, "run")).outcome.kind).toBe("cooldown_active");
  expect(d.metrics.total("lock_acquire_seconds")).toBe(1);
  expect(d.metrics.total("cluster_health_updates_total")).toBeGreaterThan(0);
  expect(after.metrics.total("lock_release_seconds")).toBe(1);
  expect(after.metrics.counters.get("cooldown_activations_total{result=started}")).toBe(1);
  expect(peer.metrics.counters.get("cooldown_checks_total{phase=pre-lock,result=active}")).toBe(1);
  for (const x of [d, after, peer]) await x.session.close({ revoke: true });
});

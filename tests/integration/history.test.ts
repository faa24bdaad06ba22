/**
 * Reboot history (issue 14): every reboot the coordinator caused is recorded in etcd with the
 * post-boot release, bounded per node, and shown by `history` and `cluster`; an unreadable
 * history key is reported, never dropped.
 */
import { expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { HealthRunner } from "../../src/health/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { runPass } from "../../src/orchestrate/index.ts";
import { createFs } from "../../src/platform/index.ts";
import { HISTORY_LIMIT, HistoryRecordSchema, makeKeys, openSession, parseRecord, type HistoryEntry, type Keys } from "../../src/slots/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeHost } from "../fakes/host.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { testPlan } from "../support/plan.ts";

const REPO = resolve(import.meta.dir, "../..");
const fx = etcdFixture("hist");
let n = 0;

const health: HealthRunner = {
  async run(phase) {
    return { phase, seq: 0, durationMs: 1, stdout: "", stderr: "", truncated: false, kind: "pass", exitCode: 0 };
  },
};

async function coordinator(keys: Keys, clock: FakeClock, host: FakeHost, runner: FakeRunner, node = "n1") {
  const plan = testPlan({
    node,
    detectors: [{ name: "always", type: "file", path: fx.dir }],
    killSwitchFile: join(fx.dir, "no-such-kill-switch"),
    baseEnv: { RC_NODE_NAME: node, RC_BOOT_ID: await host.bootId() },
  });
  const session = await openSession(fx.gw, keys, { node, group: "g", fallback: false, pid: 1, bootId: await host.bootId() }, { ttlSec: 5, nowMs: clock.now() });
  const co = etcdCoordinator({ plan, ports: { clock, runner, host, fs: createFs(), log: memoryLogger() }, health, etcd: { gw: fx.gw, keys }, session });
  return { co, session };
}

async function cli(prefix: string, args: string[]) {
  const cfg = join(fx.dir, `config-${prefix.slice(1)}.yaml`);
  await writeFile(
    cfg,
    `node_name: n1\ngroup: g\nreboot_required_detectors: [{type: file, path: ${fx.dir}}]\nhealth_script: /bin/true\n` +
      `etcd_endpoints: [${fx.cluster.endpoints.join(", ")}]\netcd_namespace: ${prefix}\nkill_switch_file: ${fx.dir}/disable\n`,
  );
  const proc = Bun.spawn([process.execPath, "src/main.ts", ...args, "--config", cfg], { cwd: REPO, stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

test("the post-boot release records the reboot: times, boot ids, outcome; history and cluster show it", async () => {
  const prefix = `/hist${n++}`;
  const keys = makeKeys(prefix);
  const clock = new FakeClock(Date.UTC(2025, 0, 6, 10, 0, 0));
  const host = new FakeHost({ bootId: "boot-1" });
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const a = await coordinator(keys, clock, host, runner);
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  await a.session.close({ revoke: false });
  host.reboot();
  await clock.advance(40_000); // the machine is down for 40 s
  const b = await coordinator(keys, clock, host, runner);
  expect((await runPass(b.co, "run")).outcome.kind).toBe("post_boot_released");
  await b.session.close({ revoke: true });

  const hist = parseRecord(HistoryRecordSchema, (await fx.gw.get(keys.history("n1")))?.value);
  expect(hist).toHaveLength(1);
  expect(hist![0]).toMatchObject({ node: "n1", group: "g", outcome: "rebooted", boot_id_before: "boot-1", boot_id_after: host.bootIdValue, down_seconds: 40 });
  expect(hist![0]!.slot_taken_at <= hist![0]!.reboot_at!).toBe(true);

  const json = await cli(prefix, ["history", "n1", "--json"]);
  expect(json.code).toBe(0);
  const doc = JSON.parse(json.out);
  expect(doc.unreadable).toEqual([]);
  expect(doc.entries).toHaveLength(1);
  expect(doc.entries[0]).toMatchObject({ node: "n1", outcome: "rebooted", down_seconds: 40 });
  // The fake clock sits in 2025: a --since of one day leaves it out.
  const recent = JSON.parse((await cli(prefix, ["history", "--since", "1d", "--json"])).out);
  expect(recent.entries).toHaveLength(0);
  const text = await cli(prefix, ["history"]);
  expect(text.out).toContain("n1");
  expect(text.out).toContain("down=40s");
  expect(text.out).toContain("wait=0s");
  const cluster = JSON.parse((await cli(prefix, ["cluster", "--json"])).out);
  expect(cluster.last_reboots.n1).toMatchObject({ outcome: "rebooted" });
});

test("wait_seconds: the time in the group's queue before the slot, from the ticket kept in etcd", async () => {
  const keys = makeKeys(`/hist${n++}`);
  const clock = new FakeClock(Date.UTC(2025, 0, 6, 10, 0, 0));
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const [h1, h2] = [new FakeHost({ bootId: "n1-boot-1" }), new FakeHost({ bootId: "n2-boot-1" })];
  const holder = await coordinator(keys, clock, h2, runner, "n2");
  expect((await runPass(holder.co, "run")).outcome.kind).toBe("rebooting");
  const waiter = await coordinator(keys, clock, h1, runner, "n1");
  expect((await runPass(waiter.co, "run")).outcome.kind).toBe("lock_unavailable"); // joins the queue now
  await clock.advance(25_000);
  await holder.session.close({ revoke: false });
  h2.reboot();
  const back = await coordinator(keys, clock, h2, runner, "n2");
  expect((await runPass(back.co, "run")).outcome.kind).toBe("post_boot_released");
  // n2 stays up (a member without a live session would count as down and use the slot).
  expect((await runPass(waiter.co, "run")).outcome.kind).toBe("rebooting");
  await waiter.session.close({ revoke: false });
  h1.reboot();
  const after = await coordinator(keys, clock, h1, runner, "n1");
  expect((await runPass(after.co, "run")).outcome.kind).toBe("post_boot_released");
  await after.session.close({ revoke: true });
  await back.session.close({ revoke: true });
  const entry = async (node: string) => parseRecord(HistoryRecordSchema, (await fx.gw.get(keys.history(node)))?.value)?.[0];
  expect((await entry("n1"))?.wait_seconds).toBe(25);
  expect((await entry("n2"))?.wait_seconds).toBe(0); // first in line: took the slot at once
});

test("the history is bounded: the oldest entry is dropped in the same write", async () => {
  const prefix = `/hist${n++}`;
  const keys = makeKeys(prefix);
  const old: HistoryEntry[] = Array.from({ length: HISTORY_LIMIT }, (_, i) => ({
    node: "n1",
    group: "g",
    why: [],
    slot_taken_at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
    slot_released_at: new Date(Date.UTC(2024, 0, 1, 0, i, 30)).toISOString(),
    outcome: "rebooted",
  }));
  await fx.gw.txn([], [{ kind: "put", key: keys.history("n1"), value: JSON.stringify(old) }]);
  const clock = new FakeClock(Date.UTC(2025, 0, 6, 10, 0, 0));
  const host = new FakeHost({ bootId: "boot-1" });
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const a = await coordinator(keys, clock, host, runner);
  expect((await runPass(a.co, "run")).outcome.kind).toBe("rebooting");
  host.reboot();
  expect((await runPass(a.co, "run")).outcome.kind).toBe("post_boot_released");
  await a.session.close({ revoke: true });
  const hist = parseRecord(HistoryRecordSchema, (await fx.gw.get(keys.history("n1")))?.value)!;
  expect(hist).toHaveLength(HISTORY_LIMIT);
  expect(hist[0]!.slot_taken_at).toBe(old[1]!.slot_taken_at);
  expect(hist.at(-1)!.boot_id_before).toBe("boot-1");
});

test("an unreadable history key is shown as unreadable (exit 1), never dropped", async () => {
  const prefix = `/hist${n++}`;
  const keys = makeKeys(prefix);
  await fx.gw.txn([], [{ kind: "put", key: keys.history("bad"), value: "{not json" }]);
  const r = await cli(prefix, ["history", "--json"]);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.out).unreadable).toEqual(["bad"]);
  const t = await cli(prefix, ["history"]);
  expect(t.out).toContain("history of bad: unreadable");
  const bad = await cli(prefix, ["history", "--since", "yesterday"]);
  expect(bad.code).toBe(64);
  expect(bad.err).toContain("--since");
});

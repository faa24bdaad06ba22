/**
 * On-demand reboots (issue 14): `request-reboot NODE` makes the node's daemon reboot as if a
 * detector fired — every gate still applies, `--ignore-window` lifts only the windows — and the
 * post-boot release clears the request; `cancel-reboot` withdraws it.
 */
import { expect, test } from "bun:test";
import { rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { HealthRunner } from "../../src/health/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { runPass } from "../../src/orchestrate/index.ts";
import { createFs } from "../../src/platform/index.ts";
import { withRequests } from "../../src/cli/_request-detect.ts";
import { HistoryRecordSchema, makeKeys, openSession, parseRecord, readRequest, type Keys } from "../../src/slots/index.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeHost } from "../fakes/host.ts";
import { RecordingMetrics } from "../fakes/metrics.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { testPlan } from "../support/plan.ts";

const REPO = resolve(import.meta.dir, "../..");
const fx = etcdFixture("req");
let n = 0;
// Monday 2025-01-06 10:00 UTC: outside the allow window below.
const MONDAY_10 = Date.UTC(2025, 0, 6, 10, 0, 0);

const health: HealthRunner = {
  async run(phase) {
    return { phase, seq: 0, durationMs: 1, stdout: "", stderr: "", truncated: false, kind: "pass", exitCode: 0 };
  },
};

async function daemon(keys: Keys, clock: FakeClock, host: FakeHost, runner: FakeRunner, allow: string[] = [], detectorFile = join(fx.dir, "no-such-file")) {
  const metrics = new RecordingMetrics();
  const plan = testPlan({
    node: "n1",
    allow,
    detectors: [{ name: "patches", type: "file", path: detectorFile }],
    killSwitchFile: join(fx.dir, "no-such-kill-switch"),
    baseEnv: { RC_NODE_NAME: "n1", RC_BOOT_ID: await host.bootId() },
  });
  const session = await openSession(fx.gw, keys, { node: "n1", group: "g", fallback: false, pid: 1, bootId: await host.bootId() }, { ttlSec: 5, nowMs: clock.now() });
  const base = etcdCoordinator({ plan, ports: { clock, runner, host, fs: createFs(), log: memoryLogger(), metrics }, health, etcd: { gw: fx.gw, keys }, session });
  const req = withRequests(base.detect, { etcd: { gw: fx.gw, keys }, node: "n1", metrics });
  return { co: { ...base, detect: req.detect, ignoreWindow: req.ignoreWindow }, session, metrics };
}

async function cli(prefix: string, args: string[]) {
  const cfg = join(fx.dir, `config-${prefix.slice(1)}.yaml`);
  await writeFile(
    cfg,
    `node_name: n1\ngroup: g\nreboot_required_detectors: [{type: file, path: ${fx.dir}/none}]\nhealth_script: /bin/true\n` +
      `etcd_endpoints: [${fx.cluster.endpoints.join(", ")}]\netcd_namespace: ${prefix}\nkill_switch_file: ${fx.dir}/disable\n`,
  );
  const proc = Bun.spawn([process.execPath, "src/main.ts", ...args, "--config", cfg], { cwd: REPO, stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

const rebootCalls = (r: FakeRunner) => r.argvs.filter((a) => a[0] === "/sbin/reboot-sim").length;

test("a request reboots a node whose detectors are clear; the post-boot release clears it and records who asked", async () => {
  const prefix = `/req${n++}`;
  const keys = makeKeys(prefix);
  const clock = new FakeClock(MONDAY_10);
  const host = new FakeHost({ bootId: "boot-1" });
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const d = await daemon(keys, clock, host, runner);
  expect((await runPass(d.co, "run")).outcome.kind).toBe("no_action");
  expect(d.metrics.gauges.get("reboot_requests_pending")).toBe(0);

  const r = await cli(prefix, ["request-reboot", "n1", "--reason", "kernel CVE", "--json"]);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ requested: true, node: "n1", reason: "kernel CVE", ignore_window: false });
  const p1 = await runPass(d.co, "run");
  expect(p1.outcome.kind).toBe("rebooting");
  expect(p1.preDetectors?.results.some((x) => x.name.startsWith("request:") && x.kind === "required")).toBe(true);
  expect(d.metrics.gauges.get("reboot_requests_pending")).toBe(1);
  host.reboot();
  expect((await runPass(d.co, "run")).outcome.kind).toBe("post_boot_released");
  expect((await readRequest(fx.gw, keys, "n1")).kind).toBe("none");
  const hist = parseRecord(HistoryRecordSchema, (await fx.gw.get(keys.history("n1")))?.value)!;
  // Who asked and why: the --reason is part of the history, not only of status.
  expect(hist.at(-1)!.why[0]).toMatch(/^request:.+ \(kernel CVE\)$/);
  const h = await cli(prefix, ["history", "n1"]);
  expect(h.out).toContain("(kernel CVE)");
  expect((await runPass(d.co, "run")).outcome.kind).toBe("no_action");
  expect(rebootCalls(runner)).toBe(1);
  await d.session.close({ revoke: true });
});

test("outside the allow window a request waits; --ignore-window lets it go; pause still stops it", async () => {
  const prefix = `/req${n++}`;
  const keys = makeKeys(prefix);
  const clock = new FakeClock(MONDAY_10);
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const d = await daemon(keys, clock, new FakeHost({ bootId: "boot-1" }), runner, ["Mon 21:00-22:00"]);
  expect((await cli(prefix, ["request-reboot", "n1"])).code).toBe(0);
  expect((await runPass(d.co, "run")).outcome.kind).toBe("window_outside_allow");
  expect((await cli(prefix, ["request-reboot", "n1", "--ignore-window"])).code).toBe(0);
  expect((await cli(prefix, ["pause", "--reason", "freeze"])).code).toBe(0);
  expect((await runPass(d.co, "run")).outcome.kind).toBe("paused");
  expect((await cli(prefix, ["resume"])).code).toBe(0);
  expect((await runPass(d.co, "run")).outcome.kind).toBe("rebooting");
  expect(rebootCalls(runner)).toBe(1);
  await d.session.close({ revoke: true });
});

test("cancel-reboot withdraws a request; an unreadable request blocks the pass", async () => {
  const prefix = `/req${n++}`;
  const keys = makeKeys(prefix);
  const clock = new FakeClock(MONDAY_10);
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const d = await daemon(keys, clock, new FakeHost({ bootId: "boot-1" }), runner);
  expect((await cli(prefix, ["request-reboot", "n1"])).code).toBe(0);
  const c = await cli(prefix, ["cancel-reboot", "n1"]);
  expect(c.out).toContain("cancelled");
  expect((await cli(prefix, ["cancel-reboot", "n1"])).out).toContain("no reboot request pending");
  expect((await runPass(d.co, "run")).outcome.kind).toBe("no_action");
  await fx.gw.txn([], [{ kind: "put", key: keys.request("n1"), value: "{garbage" }]);
  const blocked = await runPass(d.co, "run");
  expect(blocked.outcome.kind).not.toBe("rebooting");
  expect(blocked.outcome.kind).not.toBe("no_action");
  expect(rebootCalls(runner)).toBe(0);
  expect((await cli(prefix, ["request-reboot", "bad/name"])).code).toBe(64);
  await d.session.close({ revoke: true });
});

test("a request made while the node is down survives the release, is not credited to that reboot, and reboots it again", async () => {
  const prefix = `/req${n++}`;
  const keys = makeKeys(prefix);
  const clock = new FakeClock(MONDAY_10);
  const host = new FakeHost({ bootId: "boot-1" });
  const runner = new FakeRunner().on(["/sbin/reboot-sim"], exited(0));
  const flag = join(fx.dir, `needs-reboot-${prefix.slice(1)}`);
  await writeFile(flag, "");
  const d = await daemon(keys, clock, host, runner, [], flag);
  expect((await runPass(d.co, "run")).outcome.kind).toBe("rebooting"); // for its detector
  // While it is down: an operator asks for another reboot (a patch that arrived late).
  const r = await cli(prefix, ["request-reboot", "n1", "--reason", "late-patch"]);
  expect(r.code).toBe(0);
  // `cluster` shows the pending request and its reason, as `request-reboot --help` promises.
  const c = await cli(prefix, ["cluster"]);
  expect(c.out).toMatch(/REQUEST/);
  expect(c.out).toMatch(/n1 .*@.*: late-patch/);
  const cj = JSON.parse((await cli(prefix, ["cluster", "--json"])).out) as { members: { node: string; request: string }[]; requests: Record<string, { reason?: string }> };
  expect(cj.members.find((m) => m.node === "n1")?.request).toEndWith(": late-patch");
  expect(cj.requests["n1"]?.reason).toBe("late-patch");
  host.reboot();
  await rm(flag);
  expect((await runPass(d.co, "run")).outcome.kind).toBe("post_boot_released");
  const left = await readRequest(fx.gw, keys, "n1");
  expect(left.kind === "pending" && left.request.reason).toBe("late-patch");
  const hist = parseRecord(HistoryRecordSchema, (await fx.gw.get(keys.history("n1")))?.value)!;
  expect(hist).toHaveLength(1);
  expect(hist[0]!.why.join(" ")).not.toContain("request:");
  // The late request is served by a reboot of its own, and that one is credited to it.
  expect((await runPass(d.co, "run")).outcome.kind).toBe("rebooting");
  host.reboot();
  expect((await runPass(d.co, "run")).outcome.kind).toBe("post_boot_released");
  expect((await readRequest(fx.gw, keys, "n1")).kind).toBe("none");
  const hist2 = parseRecord(HistoryRecordSchema, (await fx.gw.get(keys.history("n1")))?.value)!;
  expect(hist2.at(-1)!.why[0]).toMatch(/\(late-patch\)$/);
  expect(rebootCalls(runner)).toBe(2);
  await d.session.close({ revoke: true });
});

test("node names the config refuses are refused by every command, quoted short; an unknown node needs --force", async () => {
  const prefix = `/req${n++}`;
  for (const cmd of [["request-reboot"], ["cancel-reboot"], ["unlock"], ["forget"], ["history"]])
    for (const name of [".", ".."]) {
      const r = await cli(prefix, [...cmd, name]);
      expect({ cmd: cmd[0], name, code: r.code }).toEqual({ cmd: cmd[0], name, code: 64 });
      expect(r.err).toContain("must not be");
    }
  expect((await fx.gw.getPrefix(`${prefix}/`)).length).toBe(0);
  const long = "x".repeat(10_000);
  const r = await cli(prefix, ["request-reboot", long]);
  expect(r.code).toBe(64);
  expect(r.err.length).toBeLessThan(400);
  expect(r.err).toContain("10000 characters");
  // No daemon has ever registered as n9: the request would stay pending forever.
  const unknown = await cli(prefix, ["request-reboot", "n9"]);
  expect(unknown.code).toBe(1);
  expect(unknown.err).toContain("n9 is not a member");
  expect((await readRequest(fx.gw, makeKeys(prefix), "n9")).kind).toBe("none");
  expect((await cli(prefix, ["request-reboot", "n9", "--force"])).code).toBe(0);
  expect((await readRequest(fx.gw, makeKeys(prefix), "n9")).kind).toBe("pending");
  const cj = JSON.parse((await cli(prefix, ["cluster", "--json"])).out) as { members: { node: string; request: string }[] };
  expect(cj.members.find((m) => m.node === "n9")?.request).toContain("@");
});

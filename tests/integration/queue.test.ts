/**
 * The FIFO queue of waiters (issue 16), with real daemon loops on a real etcd: five nodes wait for
 * one slot; they reboot in the order they queued, and a node whose reboot did not happen goes to
 * the back instead of re-taking the slot ahead of peers that waited.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { memoryLogger } from "../../src/observe/index.ts";
import { runLoop } from "../../src/orchestrate/index.ts";
import { createFs, systemClock } from "../../src/platform/index.ts";
import { makeKeys, openSession, queuePlace, type Keys } from "../../src/slots/index.ts";
import { FakeHost } from "../fakes/host.ts";
import { exited, FakeRunner } from "../fakes/runner.ts";
import { etcdCoordinator } from "../support/coordinator.ts";
import { startEtcd } from "../support/etcd.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { passingHealth, testPlan } from "../support/plan.ts";
import { waitFor } from "../support/wait.ts";


const fx = etcdFixture("queue");

test("five waiters reboot in ticket order; the one whose reboot did not happen goes last", async () => {
  const keys: Keys = makeKeys("/queue-fifo");
  const order: string[] = [];
  const ac = new AbortController();
  const loops: Promise<unknown>[] = [];
  const sessions: { close(o: { revoke: boolean }): Promise<void> }[] = [];
  const start = async (name: string, failFirst = false) => {
    const host = new FakeHost({ bootId: `${name}-boot-0` });
    const flag = join(fx.dir, `${name}-reboot-required`);
    await writeFile(flag, "");
    let attempts = 0;
    const runner = new FakeRunner().on(["/sbin/reboot-sim"], async () => {
      order.push(name);
      if (failFirst && attempts++ === 0) return exited(1); // the reboot does not happen
      host.reboot();
      await unlink(flag);
      return exited(0);
    });
    const plan = testPlan({
      node: name,
      detectors: [{ name: "flag", type: "file", path: flag }],
      killSwitchFile: join(fx.dir, "no-kill-switch"),
      checkIntervalMs: 60_000,
      publishIntervalMs: 1000,
      rebootGraceMs: 300,
      // No freeze after n2's failed reboot (the Go behaviour): this test is about the queue order.
      maxFailedReboots: 0,
      baseEnv: { RC_NODE_NAME: name, RC_BOOT_ID: await host.bootId() },
    });
    const session = await openSession(fx.gw, keys, { node: name, group: "g", fallback: false, pid: 1, bootId: await host.bootId() }, { ttlSec: 5, nowMs: Date.now() });
    sessions.push(session);
    const co = etcdCoordinator({ plan, ports: { clock: systemClock, runner, host, fs: createFs(), log: memoryLogger() }, health: passingHealth, etcd: { gw: fx.gw, keys }, session });
    loops.push(runLoop(co, ac.signal));
  };
  try {
    await start("n1");
    await waitFor(() => order.includes("n1"), { timeoutMs: 10_000, what: "n1's reboot" });
    // The others queue one after another while n1 is down: that order is the ticket order.
    for (const [i, name] of (["n2", "n3", "n4", "n5"] as const).entries()) {
      await start(name, name === "n2");
      await waitFor(async () => (await queuePlace(fx.gw, keys, "g", name)).position === i, { timeoutMs: 10_000, what: `${name}'s ticket, ${i + 1} in line` });
    }
    await waitFor(() => order.length >= 6, { timeoutMs: 30_000, what: "every reboot, n2's second attempt included" });
    expect(order).toEqual(["n1", "n2", "n3", "n4", "n5", "n2"]);
  } finally {
    ac.abort();
    await Promise.allSettled(loops);
    for (const s of sessions) await s.close({ revoke: true });
  }
}, 60_000);

/**
 * Lightweight in-process members for load measurements: each runs the daemon's real loop
 * (runLoop: passes, heartbeats, watches) with its real session (lease kept alive, member and health
 * records), its plan built from a parsed config by the same code as `run`, and production
 * intervals. Only process-level things differ: the health runner is the `--skip-health` one (no
 * shell per check; the script makes no etcd requests anyway), logs are silent, and members share
 * a small pool of etcd connections instead of one each.
 */
import { randomUUID } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { planFromConfig } from "../../src/cli/_setup.ts";
import { openSession, type Session } from "../../src/slots/index.ts";
import { hasGroup, parseConfigText } from "../../src/config/index.ts";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { createHealthRunner } from "../../src/health/index.ts";
import { silentLogger } from "../../src/observe/index.ts";
import { runLoop } from "../../src/orchestrate/index.ts";
import { etcdCoordinator } from "../../tests/support/coordinator.ts";
import { realPorts } from "../../src/platform/index.ts";
import { makeKeys } from "../../src/slots/index.ts";

export interface MemberOptions {
  count: number;
  endpoints: string[];
  /** An existing dir for the shared health script and (absent) detector file. */
  dir: string;
  prefix: string;
  /** etcd connections shared round-robin by the members. */
  connections: number;
  /** Members start at random times within this many ms (a real fleet does not start in step). */
  spreadMs: number;
  /** Extra config keys for every member. */
  config?: Record<string, unknown>;
}

export interface Members {
  /** Members whose session is open and loop running. */
  running(): number;
  stop(): Promise<void>;
}

export async function startMembers(o: MemberOptions): Promise<Members> {
  const health = join(o.dir, "health.sh");
  writeFileSync(health, "#!/bin/sh\nexit 0\n");
  chmodSync(health, 0o755);
  const gws: EtcdGateway[] = await Promise.all(Array.from({ length: o.connections }, () => connectEtcd({ endpoints: o.endpoints, requestTimeoutMs: 5_000 })));
  const keys = makeKeys(o.prefix);
  const ac = new AbortController();
  const sessions: Session[] = [];
  const loops: Promise<unknown>[] = [];
  let running = 0;
  const base = realPorts();
  const start = async (i: number) => {
    await Bun.sleep(Math.random() * o.spreadMs);
    if (ac.signal.aborted) return;
    const node = `m${String(i).padStart(4, "0")}`;
    const text = stringify({
      node_name: node,
      group: `g${i % 5}`,
      reboot_required_detectors: [{ type: "file", path: join(o.dir, "never-required") }],
      health_script: health,
      etcd_endpoints: o.endpoints,
      etcd_namespace: o.prefix,
      kill_switch_file: join(o.dir, "disable"),
      ...o.config,
    });
    const res = await parseConfigText(text);
    if (!res.ok) throw new Error(`member config invalid: ${res.problems.join("; ")}`);
    const bootId = randomUUID();
    if (!hasGroup(res.config)) throw new Error("member config has no group");
    // No machine id: the simulated members share this machine (an empty id leaves it out of the plan).
    const plan = planFromConfig(res.config, { bootId, machineId: "" }, process.env, { dryRun: false });
    const gw = gws[i % gws.length]!;
    const session = await openSession(gw, keys, { node, group: plan.group, fallback: false, pid: process.pid, bootId }, { ttlSec: plan.lockTtlSec, nowMs: Date.now() });
    const co = etcdCoordinator({
      plan,
      ports: { ...base, log: silentLogger },
      health: createHealthRunner({ scriptPath: health, timeoutMs: plan.healthTimeoutMs, baseEnv: plan.baseEnv, skip: true }, base),
      etcd: { gw, keys },
      session,
    });
    sessions.push(session);
    running++;
    loops.push(runLoop(co, ac.signal));
  };
  await Promise.all(Array.from({ length: o.count }, (_, i) => start(i)));
  return {
    running: () => running,
    async stop() {
      ac.abort();
      await Promise.allSettled(loops);
      await Promise.allSettled(sessions.map((s) => s.close({ revoke: true })));
      await Promise.allSettled(gws.map((g) => g.close()));
    },
  };
}

/**
 * The cluster-level faults of a chaos run, each on its own seeded schedule: cluster pause and
 * resume (through the product's CLI), an etcd member SIGKILLed and restarted, and maintenance
 * windows that deny every reboot of one node until they are lifted (config rewrite + SIGHUP).
 * Every fault records the interval the checker must hold the fleet to.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import type { EtcdCluster } from "../../tests/support/etcd.ts";
import type { Fleet, SimNode } from "../sim/fleet.ts";
import type { Interval } from "./ledger-check.ts";
import type { Rng } from "./rng.ts";

export type Say = (line: string) => void;

/** Deny-all window: with it, a node may never reboot. */
export const DENY_ALL = "00:00-24:00";

const RETRY_FAILED_PAUSE_MS = 1_500;

export class Pauser {
  readonly intervals: Interval[] = [];
  /** When each `resume` was started: it lifts every group freeze too (faults-power.ts). */
  readonly resumeCalls: number[] = [];
  /** Pause commands that failed: the key may or may not have been written (judged by etcd's history only). */
  failed = 0;
  private nextAt: number;
  private open: Interval | undefined;
  private busy = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly rng: Rng,
    private readonly say: Say,
    first: number,
    private readonly everyMs: [number, number],
  ) {
    this.nextAt = first;
  }

  get paused(): boolean {
    return this.open !== undefined || this.busy;
  }

  /** Pauses when due, resumes after 2–5 s; with `stop` only resumes. */
  async tick(now: number, stop: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.open && (stop || now >= this.open.end)) await this.resume();
      else if (!this.open && !stop && now >= this.nextAt) await this.pause();
    } finally {
      this.busy = false;
    }
  }

  private async pause(): Promise<void> {
    const node = this.rng.pick(this.fleet.nodes);
    const hold = this.rng.int(2000, 5000);
    this.nextAt = Date.now() + this.rng.int(...this.everyMs);
    const r = await node.cli(["pause", "--reason", "chaos test"]);
    if (r.exitCode !== 0) {
      this.failed++;
      this.say(`pause via ${node.name} failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n").pop()}`);
      // It may have been written anyway: resume at once (the etcd audit judges that pause).
      this.open = { start: Number.POSITIVE_INFINITY, end: 0 };
      // Usually an etcd deadline while a member is down: try again soon, so a short run still
      // exercises a pause instead of waiting a whole interval (the test asserts one happened).
      this.nextAt = Date.now() + RETRY_FAILED_PAUSE_MS;
      return;
    }
    this.open = { start: Date.now(), end: Date.now() + hold };
    this.say(`cluster paused for ${hold} ms`);
  }

  private async resume(): Promise<void> {
    const open = this.open!;
    const calledAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      this.resumeCalls.push(Date.now());
      const r = await this.fleet.nodes[attempt % this.fleet.nodes.length]!.cli(["resume"]);
      if (r.exitCode === 0) break;
      this.say(`resume failed (exit ${r.exitCode}), retrying`);
      await Bun.sleep(500);
    }
    if (Number.isFinite(open.start)) this.intervals.push({ start: open.start, end: calledAt });
    this.open = undefined;
    this.say("cluster resumed");
  }
}

export class EtcdFaults {
  restarts = 0;
  /** When a member was killed or restarted: a leader change renews every lease (ledger-budget.ts). */
  readonly disruptions: number[] = [];
  private nextAt: number;
  private down: { member: EtcdCluster["members"][number]; until: number } | undefined;
  private busy = false;

  constructor(
    private readonly cluster: EtcdCluster,
    private readonly rng: Rng,
    private readonly say: Say,
    first: number,
    private readonly everyMs: [number, number],
  ) {
    this.nextAt = first;
  }

  get allUp(): boolean {
    return this.down === undefined && !this.busy;
  }

  async tick(now: number, stop: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.down && (stop || now >= this.down.until)) {
        this.disruptions.push(Date.now());
        await this.down.member.restart();
        this.restarts++;
        this.say(`etcd member ${this.down.member.name} restarted`);
        this.down = undefined;
      } else if (!this.down && !stop && now >= this.nextAt) {
        const member = this.rng.pick(this.cluster.members);
        const ms = this.rng.int(2000, 6000);
        this.disruptions.push(Date.now());
        await member.kill("SIGKILL");
        this.down = { member, until: Date.now() + ms };
        this.nextAt = Date.now() + this.rng.int(...this.everyMs);
        this.say(`etcd member ${member.name} SIGKILLed for ${ms} ms`);
      }
    } finally {
      this.busy = false;
    }
  }
}

/** Windows that deny one node's reboots, on and off; intervals per node for the checker. */
export class Windows {
  readonly denies = new Map<string, (Interval & { slackMs: number })[]>();
  lifts = 0;
  /** Nodes whose running daemon still has to be told (SIGHUP) about a lifted window. */
  private hup = new Map<string, number>();

  constructor(private readonly say: Say) {}

  /** Configured before the node's first start: in force from the beginning. */
  denyFromStart(n: SimNode): void {
    this.setDeny(n, true);
    this.denies.set(n.name, [{ start: 0, end: Number.POSITIVE_INFINITY, slackMs: 0 }]);
  }

  /**
   * Denies from now: rewrites the config and restarts the daemon to apply it. A reboot command
   * up to `slackMs` later may still come from a fence that committed before the restart.
   */
  async denyNow(n: SimNode): Promise<void> {
    this.setDeny(n, true);
    await n.kill("SIGKILL"); // the chaos killer restarts it with the new config
    this.denies.set(n.name, [...(this.denies.get(n.name) ?? []), { start: Date.now(), end: Number.POSITIVE_INFINITY, slackMs: 1000 }]);
    this.say(`${n.name}: deny-all window configured (daemon restarted)`);
  }

  /** Lifts the window: the interval ends now, before the config changes. */
  lift(n: SimNode): void {
    const open = (this.denies.get(n.name) ?? []).find((d) => d.end === Number.POSITIVE_INFINITY);
    if (!open) return;
    open.end = Date.now();
    this.setDeny(n, false);
    this.hup.set(n.name, n.starts);
    this.lifts++;
    this.say(`${n.name}: deny window lifted (SIGHUP)`);
  }

  denied(n: SimNode): boolean {
    return (this.denies.get(n.name) ?? []).some((d) => d.end === Number.POSITIVE_INFINITY);
  }

  /**
   * Sends SIGHUP once the daemon that read the old config runs its loop (its first pass outcome is
   * logged). An earlier SIGHUP is deferred and applied by the daemon (`sighup_deferred`, see
   * tests/chaos/sighup-at-start.test.ts); waiting for the first pass just keeps the fault schedule
   * easy to read in the chaos log.
   */
  tick(fleet: Fleet): void {
    for (const [name, start] of this.hup) {
      const n = fleet.node(name);
      if (n.starts !== start) {
        this.hup.delete(name); // a newer process read the new file
        continue;
      }
      const pid = n.pid;
      if (pid && n.logs.some((e) => e.start === start && e.event === "run_outcome")) {
        process.kill(pid, "SIGHUP");
        this.hup.delete(name);
      }
    }
  }

  private setDeny(n: SimNode, on: boolean): void {
    const cfg = parse(readFileSync(n.configPath, "utf8")) as Record<string, unknown>;
    cfg["windows"] = { deny: on ? [DENY_ALL] : [], allow: [], timezone: "UTC" };
    writeFileSync(n.configPath, stringify(cfg));
  }
}

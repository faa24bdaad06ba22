/**
 * The identity and state faults of a chaos run (issue 12), each on its own seeded schedule:
 * clones (a second machine claiming a node's name), etcd losing all its data, and partitions of
 * some daemons from etcd through loopback TCP proxies. Long downtimes (a machine down longer than
 * its lease) are drawn per reboot by {@link downtime}. The budget is judged by the ledger, never
 * by what the daemons say.
 */
import type { EtcdCluster } from "../../tests/support/etcd.ts";
import type { Clone, Fleet } from "../sim/fleet.ts";
import { readHistory, type HistoryEvent } from "./etcd-history.ts";
import type { Say } from "./faults.ts";
import type { PartitionMode, TcpProxy } from "./proxy.ts";
import type { Rng } from "./rng.ts";

/** How long a clone may live before it is killed (it should have exited on its own). */
const CLONE_LIFE_MS: [number, number] = [4_000, 10_000];

export class Clones {
  started = 0;
  /** Clones that exited with 2 (identity_conflict). */
  refused = 0;
  /** identity_conflict records logged by clones. */
  conflictEvents = 0;
  /**
   * Clones that refused for the right reason but exited 1 after logging it as `etcd_unavailable`
   * (the identity check at session open throws; the start-up path reports every non-transient
   * error that way) — safe, but not the documented exit 2.
   */
  refusedAsEtcdError = 0;
  /** Clones still running at their deadline (killed; fine as long as they never rebooted). */
  killed = 0;
  /** Clones that exited with anything but 2, with the code. */
  readonly otherExits: string[] = [];
  readonly rebooted: string[] = [];
  /**
   * Slots a clone freed (finding 12 in docs/BENCHMARKS.md: a clone took the original's preparing
   * slot for a dead process's; fixed). A violation of the run (run.ts).
   */
  readonly slotTouches: string[] = [];
  private cur: { clone: Clone; until: number } | undefined;
  private nextAt: number;

  constructor(
    private readonly fleet: Fleet,
    private readonly rng: Rng,
    private readonly say: Say,
    first: number,
    private readonly everyMs: [number, number],
  ) {
    this.nextAt = first;
  }

  /** No clone running. */
  get idle(): boolean {
    return this.cur === undefined;
  }

  async tick(now: number, stop: boolean): Promise<void> {
    const cur = this.cur;
    if (cur) {
      if (cur.clone.rebooted && !this.rebooted.includes(cur.clone.dir)) this.rebooted.push(cur.clone.dir);
      if (cur.clone.running && !stop && now < cur.until) return;
      this.cur = undefined;
      if (cur.clone.running) {
        await cur.clone.kill("SIGKILL");
        this.killed++;
      } else if (cur.clone.exitCode === 2) this.refused++;
      else if (cur.clone.logs.some((e) => String(e.fields["error"] ?? "").includes("another machine uses node name"))) this.refusedAsEtcdError++;
      else this.otherExits.push(`${cur.clone.name} exit ${cur.clone.exitCode ?? "signal"}`);
      for (const e of cur.clone.logs)
        if (["slot_recovered"].includes(e.event)) this.slotTouches.push(`${cur.clone.name} ${e.event} ${String(e.fields["slot"] ?? "")} at ${e.ts}`);
      const conflicts = cur.clone.events("identity_conflict").length;
      this.conflictEvents += conflicts;
      if (cur.clone.rebooted && !this.rebooted.includes(cur.clone.dir)) this.rebooted.push(cur.clone.dir);
      this.say(`clone of ${cur.clone.of} gone (exit ${cur.clone.exitCode ?? "killed"}, ${conflicts} identity_conflict records)`);
      return;
    }
    if (stop || now < this.nextAt) return;
    this.nextAt = now + this.rng.int(...this.everyMs);
    // Up or down for a reboot (its slot held): either way the name is live in etcd.
    const candidates = this.fleet.nodes.filter((n) => n.running || n.down);
    if (candidates.length === 0) return;
    const of = this.rng.pick(candidates);
    const clone = this.fleet.clone(of.name);
    clone.start();
    this.started++;
    this.cur = { clone, until: now + this.rng.int(...CLONE_LIFE_MS) };
    this.say(`clone of ${of.name} started (${of.running ? "original up" : "original down"})`);
  }
}

/** etcd loses all its data: the history so far is saved for the audit, then a new cluster starts. */
export class EtcdWiper {
  wipes = 0;
  /** etcd's history of each incarnation wiped so far (the last one is read at the end). */
  readonly histories: HistoryEvent[][] = [];
  busy = false;
  private nextAt: number;

  constructor(
    private readonly cluster: EtcdCluster,
    private readonly prefix: string,
    private readonly rng: Rng,
    private readonly say: Say,
    first: number,
    private readonly everyMs: [number, number],
    /** No wipe after this (the fleet needs the hold plus a wave to converge). */
    private readonly lastAt: number,
  ) {
    this.nextAt = first;
  }

  /** `quiet`: no other etcd fault and no pause in progress. */
  async tick(now: number, stop: boolean, quiet: boolean): Promise<void> {
    if (this.busy || stop || !quiet || now < this.nextAt || now > this.lastAt) return;
    this.busy = true;
    try {
      this.nextAt = now + this.rng.int(...this.everyMs);
      // Events between this read and the kill are lost to the audit (the ledger still sees them).
      this.histories.push(await readHistory(this.cluster.endpoints, this.prefix));
      await this.cluster.wipe();
      this.wipes++;
      this.say(`etcd wiped: every member restarted empty (new cluster id)`);
    } finally {
      this.busy = false;
    }
  }
}

/** Cuts the proxied daemons off etcd (one member or all) for a few seconds, then heals. */
export class Partitions {
  cuts = 0;
  readonly byMode: Record<PartitionMode, number> = { drop: 0, blackhole: 0 };
  private open: { proxies: TcpProxy[]; until: number } | undefined;
  private nextAt: number;

  constructor(
    private readonly proxies: readonly TcpProxy[],
    private readonly rng: Rng,
    private readonly say: Say,
    first: number,
    private readonly everyMs: [number, number],
  ) {
    this.nextAt = first;
  }

  get healed(): boolean {
    return this.open === undefined;
  }

  tick(now: number, stop: boolean): void {
    if (this.open) {
      if (!stop && now < this.open.until) return;
      for (const p of this.open.proxies) p.heal();
      this.open = undefined;
      this.say("partition healed");
      return;
    }
    if (stop || now < this.nextAt || this.proxies.length === 0) return;
    const mode: PartitionMode = this.rng.chance(0.5) ? "drop" : "blackhole";
    const all = this.rng.chance(0.5);
    const proxies = all ? [...this.proxies] : [this.rng.pick(this.proxies)];
    const ms = this.rng.int(2_000, 9_000);
    for (const p of proxies) p.partition(mode);
    this.open = { proxies, until: now + ms };
    this.nextAt = now + ms + this.rng.int(...this.everyMs);
    this.cuts++;
    this.byMode[mode]++;
    this.say(`partition (${mode}) of the proxied daemons from ${all ? "every etcd member" : "one etcd member"} for ${ms} ms`);
  }
}

/**
 * Per reboot, how long the machine stays down: usually `shortMs`, with `longChance` a time above
 * the lease TTL (the slot must survive its owner's lease) and below the slot timeout.
 */
export function downtime(rng: Rng, o: { shortMs: number; longChance: number; longMs: [number, number] }): { next: () => number; long: () => number } {
  let long = 0;
  return {
    next() {
      if (!rng.chance(o.longChance)) return o.shortMs;
      long++;
      return rng.int(...o.longMs);
    },
    long: () => long,
  };
}

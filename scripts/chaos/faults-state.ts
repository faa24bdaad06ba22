/**
 * The identity and state faults of a chaos run (issue 12), each on its own seeded schedule:
 * clones (a second machine claiming a node's name; since issue 22 also disk clones with the same
 * machine id and another hardware id), etcd losing all its data, and partitions of
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

/**
 * What a disk clone (same machine id) logs when it acts on a slot of its name — which can only be
 * the original's: verify and release it, free it as left by a dead process, re-create it, take one.
 */
const DISK_CLONE_SLOT_EVENTS = ["slot_acquired", "slot_released", "slot_recovered", "slot_recreated", "post_boot_verifying", "reboot_started", "reboot_not_happened"];

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
  /** Disk clones (same machine id, another hardware id) started, and those that exited 2. */
  sameIdStarted = 0;
  sameIdRefused = 0;
  /** Disk clones that exited on their own with another code than 2 (a violation: not refused as a clone). */
  readonly sameIdWrongExits: string[] = [];
  /** Every clone's boot id and hardware id → its name, to find its writes in etcd's history. */
  readonly ids = new Map<string, string>();
  private cur: { clone: Clone; until: number } | undefined;
  private nextAt: number;

  constructor(
    private readonly fleet: Fleet,
    private readonly rng: Rng,
    private readonly say: Say,
    first: number,
    private readonly everyMs: [number, number],
    /** Chance that a clone is a disk clone (same machine id). */
    private readonly sameIdChance = 0,
    /** Nodes not to clone now (powered off: nothing of theirs is live in etcd, so a clone would be a replacement). */
    private readonly unavailable: (node: string) => boolean = () => false,
    /**
     * Whether the node's name is live in etcd now (a health record or a slot). A name whose
     * session is gone (e.g. its daemon cut off by a partition) is free: a second machine taking it
     * is a replacement, which the product rightly accepts, not a clone to refuse.
     */
    private readonly live: (node: string) => Promise<boolean> = async () => true,
  ) {
    this.nextAt = first;
  }

  /** The node a running clone claims to be. */
  get target(): string | undefined {
    return this.cur?.clone.of;
  }

  /** No clone running. */
  get idle(): boolean {
    return this.cur === undefined;
  }

  /** `quiet`: no partition open (a partitioned original may lose its session while the clone starts). */
  async tick(now: number, stop: boolean, quiet = true): Promise<void> {
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
      const same = cur.clone.sameMachineId;
      if (same && cur.clone.exitCode === 2) this.sameIdRefused++;
      else if (same && cur.clone.exitCode !== null) this.sameIdWrongExits.push(`${cur.clone.name} (same machine id) exit ${cur.clone.exitCode}`);
      const touching = same ? DISK_CLONE_SLOT_EVENTS : ["slot_recovered"];
      for (const e of cur.clone.logs)
        if (touching.includes(e.event)) this.slotTouches.push(`${cur.clone.name}${same ? " (same machine id)" : ""} ${e.event} ${String(e.fields["slot"] ?? "")} at ${e.ts}`);
      const conflicts = cur.clone.events("identity_conflict").length;
      this.conflictEvents += conflicts;
      if (cur.clone.rebooted && !this.rebooted.includes(cur.clone.dir)) this.rebooted.push(cur.clone.dir);
      this.say(`${same ? "disk clone" : "clone"} of ${cur.clone.of} gone (exit ${cur.clone.exitCode ?? "killed"}, ${conflicts} identity_conflict records)`);
      return;
    }
    if (stop || now < this.nextAt || !quiet) return;
    this.nextAt = now + this.rng.int(...this.everyMs);
    // Up or down for a reboot (its slot held): either way the name is live in etcd.
    const candidates = this.fleet.nodes.filter((n) => (n.running || n.down) && !n.off && !this.unavailable(n.name));
    if (candidates.length === 0) return;
    const of = this.rng.pick(candidates);
    const sameMachineId = this.rng.chance(this.sameIdChance);
    if (!(await this.live(of.name).catch(() => false))) {
      this.nextAt = now + 1_000;
      return;
    }
    const clone = this.fleet.clone(of.name, { sameMachineId });
    this.ids.set(clone.bootId, clone.name);
    this.ids.set(clone.hardwareId, clone.name);
    clone.start();
    this.started++;
    if (sameMachineId) this.sameIdStarted++;
    this.cur = { clone, until: now + this.rng.int(...CLONE_LIFE_MS) };
    this.say(`${sameMachineId ? "disk clone (same machine id, another hardware id)" : "clone"} of ${of.name} started (${of.running ? "original up" : "original down"})`);
  }
}

/** etcd loses all its data: the history so far is saved for the audit, then a new cluster starts. */
export class EtcdWiper {
  wipes = 0;
  /** etcd's history of each incarnation wiped so far (the last one is read at the end). */
  readonly histories: HistoryEvent[][] = [];
  /** When each wipe began (the members' records were lost from then on). */
  readonly wipedAt: number[] = [];
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
      this.wipedAt.push(Date.now());
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

  /** `quiet`: no clone running (see Clones.tick); without it no new cut starts. */
  tick(now: number, stop: boolean, quiet = true): void {
    if (this.open) {
      if (!stop && now < this.open.until) return;
      for (const p of this.open.proxies) p.heal();
      this.open = undefined;
      this.say("partition healed");
      return;
    }
    if (stop || !quiet || now < this.nextAt || this.proxies.length === 0) return;
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
 * the lease TTL (the slot must survive its owner's lease) and below the slot timeout, and with
 * `strandedChance` a time past the slot timeout (the reboot failed: its group freezes, issue 22).
 */
export function downtime(
  rng: Rng,
  o: { shortMs: number; longChance: number; longMs: [number, number]; strandedChance?: number; strandedMs?: [number, number] },
): { next: () => number; long: () => number; stranded: () => number } {
  let long = 0;
  let stranded = 0;
  return {
    next() {
      const isLong = rng.chance(o.longChance);
      const isStranded = rng.chance(o.strandedChance ?? 0);
      if (isStranded && o.strandedMs) {
        stranded++;
        return rng.int(...o.strandedMs);
      }
      if (!isLong) return o.shortMs;
      long++;
      return rng.int(...o.longMs);
    },
    long: () => long,
    stranded: () => stranded,
  };
}

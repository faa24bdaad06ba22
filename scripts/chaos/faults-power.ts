/**
 * Issue 22's faults and the operator around them, each on its own seeded schedule:
 *   - unplanned power-offs: a machine whose daemon holds no slot, and that etcd knows (its member
 *     record is there), is SIGKILLed (no graceful close)
 *     and kept off longer than the lease TTL (sometimes much longer), then boots with a new boot
 *     id. The ledger counts it as down the whole time (`off` → `boot`, ledger-budget.ts);
 *   - freezes: a failed reboot freezes its group (`P/frozen/<group>`). Nothing here causes one on
 *     purpose (long downs and daemons killed between fence and command do); the operator notices
 *     it, logs it, and after a while runs `clusterrebootd resume --group G` as a person would, so
 *     the run keeps going. The interval [seen, resume started] goes to the ledger checker; the etcd
 *     audit judges the key's own history. Before the product freezes, the key never appears and
 *     this does nothing.
 */
import type { EtcdGateway } from "../../src/etcd/index.ts";
import type { Fleet, SimNode } from "../sim/fleet.ts";
import { parseObject } from "./etcd-history.ts";
import type { Say } from "./faults.ts";
import type { Interval } from "./ledger-check.ts";
import type { Rng } from "./rng.ts";

/** Retry soon after a power-off that found a slot, or a failed resume. */
const RETRY_MS = 1_000;
/** How often the operator looks for frozen groups. */
const FREEZE_POLL_MS = 500;

export interface PowerOffOptions {
  /** Between the starts of two power-offs. */
  everyMs: [number, number];
  /** How long a machine stays off (choose it above lock_ttl_sec, so its session expires). */
  offMs: [number, number];
  /** Chance that it stays off `longMs` instead. */
  longChance: number;
  longMs: [number, number];
  /** Machines off at once, fleet-wide. */
  maxAtOnce: number;
}

export class PowerOffs {
  cuts = 0;
  long = 0;
  /** Attempts that found the daemon holding a slot (thawed, nothing done). */
  spared = 0;
  private readonly offUntil = new Map<string, number>();
  private nextAt: number;
  private busy = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly rng: Rng,
    private readonly say: Say,
    first: number,
    private readonly o: PowerOffOptions,
    /**
     * Asked while the candidate's daemon is frozen: spare it? Yes when it holds a slot, when etcd
     * has no member record of it yet (a machine the coordinator cannot know of), or when etcd is
     * unreadable.
     */
    private readonly holdsSlot: (n: SimNode) => Promise<boolean>,
    /** Nodes that may be cut now (e.g. daemon waiting, not cloned right now). */
    private readonly eligible: (n: SimNode) => boolean,
  ) {
    this.nextAt = first;
  }

  /** Every machine is powered on again. */
  get idle(): boolean {
    return this.offUntil.size === 0 && !this.busy;
  }

  /** With `stop`, only powers machines on again. */
  async tick(now: number, stop: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const [name, until] of this.offUntil) {
        if (!stop && now < until) continue;
        this.offUntil.delete(name);
        const n = this.fleet.node(name);
        if (n.off && !n.running) n.boot();
        this.say(`${name} powered on again (new boot id)`);
      }
      if (stop || now < this.nextAt || this.offUntil.size >= this.o.maxAtOnce) return;
      const candidates = this.fleet.nodes.filter((n) => n.running && !n.down && this.eligible(n));
      if (candidates.length === 0) {
        this.nextAt = now + RETRY_MS;
        return;
      }
      const n = this.rng.pick(candidates);
      const long = this.rng.chance(this.o.longChance);
      const ms = this.rng.int(...(long ? this.o.longMs : this.o.offMs));
      if (!(await n.powerOff(() => this.holdsSlot(n)))) {
        this.spared++;
        this.nextAt = Date.now() + RETRY_MS;
        return;
      }
      this.cuts++;
      if (long) this.long++;
      this.offUntil.set(n.name, Date.now() + ms);
      this.nextAt = Date.now() + this.rng.int(...this.o.everyMs);
      this.say(`${n.name} powered off without a slot for ${ms} ms${long ? " (long)" : ""}`);
    } finally {
      this.busy = false;
    }
  }
}

export interface FreezeSeen {
  group: string;
  node: string;
  reason: string;
  at: number;
}

/** The operator who notices frozen groups and resumes them (see the header). */
export class Freezes {
  readonly seen: FreezeSeen[] = [];
  resumes = 0;
  resumeFailures = 0;
  /** Per group: from the freeze being seen to `resume --group` being started (or the key vanishing). */
  readonly intervals = new Map<string, Interval[]>();
  private readonly open = new Map<string, { start: number; resumeAt: number }>();
  private nextPoll = 0;
  private busy = false;

  constructor(
    private readonly gw: EtcdGateway,
    private readonly prefix: string,
    private readonly rng: Rng,
    private readonly say: Say,
    /** How long after noticing a freeze the operator resumes it. */
    private readonly resumeAfterMs: [number, number],
    /** Nodes whose config the CLI uses (not behind a partition proxy). */
    private readonly cliNodes: readonly SimNode[],
  ) {}

  /** No group known to be frozen. */
  get idle(): boolean {
    return this.open.size === 0 && !this.busy;
  }

  /** With `stop`, resumes every frozen group at once. */
  async tick(now: number, stop: boolean): Promise<void> {
    if (this.busy || now < this.nextPoll) return;
    this.busy = true;
    this.nextPoll = now + FREEZE_POLL_MS;
    try {
      const present = await this.frozenNow();
      if (!present) return; // etcd unreachable: look again later
      for (const [group, rec] of present) {
        if (this.open.has(group)) continue;
        const at = Date.now();
        const f = { group, node: String(rec["node"] ?? "?"), reason: String(rec["reason"] ?? "?"), at };
        this.seen.push(f);
        const wait = this.rng.int(...this.resumeAfterMs);
        this.open.set(group, { start: at, resumeAt: at + wait });
        this.say(`group ${group} frozen (${f.node}: ${f.reason}); the operator resumes it in ${wait} ms`);
      }
      for (const group of [...this.open.keys()]) {
        if (present.has(group)) continue;
        this.close(group, Date.now());
        this.say(`group ${group} no longer frozen without its resume --group (a cluster-wide resume, or etcd lost its data)`);
      }
      for (const [group, f] of this.open) {
        if (!stop && Date.now() < f.resumeAt) continue;
        const calledAt = Date.now();
        const r = await this.rng.pick(this.cliNodes).cli(["resume", "--group", group]);
        if (r.exitCode === 0) {
          this.close(group, calledAt);
          this.resumes++;
          this.say(`group ${group} resumed (resume --group ${group})`);
        } else {
          this.resumeFailures++;
          f.resumeAt = Date.now() + RETRY_MS;
          this.say(`resume --group ${group} failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n").pop()}`);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * The freeze intervals for the ledger, each cut at the first cluster-wide `resume` started inside
   * it (the chaos pauser's): that lifts every freeze too, before this operator notices.
   */
  intervalsCutBy(clusterResumes: readonly number[]): Map<string, Interval[]> {
    const cut = (f: Interval): Interval => ({ start: f.start, end: Math.min(f.end, ...clusterResumes.filter((t) => t >= f.start)) });
    return new Map([...this.intervals].map(([g, list]) => [g, list.map(cut)]));
  }

  private close(group: string, end: number): void {
    const f = this.open.get(group);
    if (!f) return;
    this.open.delete(group);
    this.intervals.set(group, [...(this.intervals.get(group) ?? []), { start: f.start, end }]);
  }

  /** Frozen groups and their records; undefined when etcd could not be read. */
  private async frozenNow(): Promise<Map<string, Record<string, unknown>> | undefined> {
    const p = `${this.prefix.replace(/\/+$/, "")}/frozen/`;
    try {
      const kvs = await this.gw.getPrefix(p);
      return new Map(kvs.map((kv) => [kv.key.slice(p.length), parseObject(kv.value)]));
    } catch {
      return undefined;
    }
  }
}

/**
 * One chaos run: a 3-member etcd, a simulated fleet in groups with limits, reboots pending on every
 * node (again and again, in waves), and faults on seeded schedules — daemons SIGKILLed in every
 * phase, an etcd member killed and restarted, cluster pause and resume, deny windows lifted by
 * reload, and the state faults (faults-state.ts, faults-power.ts: clones, wipes, partitions, long
 * downs, power-offs without a slot; frozen groups resumed by an operator). After `chaosMs` the
 * faults stop and the fleet must converge: every pending reboot done, no slot, pause or freeze left. Then two checkers that do not trust the daemons judge the run:
 * the ledger (ledger-check.ts) and etcd's own history (etcd-history.ts).
 *
 * Not modelled: Kubernetes cordon/drain (the fleet simulator has no API server), so "no node left
 * cordoned" is not checked here.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd } from "../../src/etcd/index.ts";
import { makeKeys } from "../../src/slots/index.ts";
import { startEtcd } from "../../tests/support/etcd.ts";
import { createFleet, type NodeSpec, type SimNode } from "../sim/fleet.ts";
import { auditHistory, explainSlotCreation, mergeAudits, readHistory, slotPutsCarrying } from "./etcd-history.ts";
import { EtcdFaults, Pauser, Windows, type Say } from "./faults.ts";
import { Freezes, PowerOffs } from "./faults-power.ts";
import { Clones, downtime, EtcdWiper, Partitions } from "./faults-state.ts";
import { TcpProxy } from "./proxy.ts";
import { DEFAULT_POLICY, Killer, PHASES, type DaemonPhase } from "./killer.ts";
import { checkLedger } from "./ledger-check.ts";
import { NOTABLE, type ChaosOptions, type ChaosResult } from "./options.ts";
import { stream } from "./rng.ts";

export type { ChaosOptions, ChaosResult, StateFaultOptions } from "./options.ts";

const PREFIX = "/clusterrebootd";
/** lock_ttl_sec of the fleet (FAST_CONFIG), and reboot_slot_timeout_sec of the chaos config. */
const LOCK_TTL_MS = 3_000;
const SLOT_TIMEOUT_SEC = 120;
/** health_timeout_sec of the fleet: the longest a post-lock check can trail the slot's creation. */
const HEALTH_TIMEOUT_MS = 2_000;

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const say: Say = (l) => o.say(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${l}`);
  const dir = mkdtempSync(join(tmpdir(), "crd-chaos-"));
  const cluster = await startEtcd({ members: 3 });
  const limits = new Map(o.groups.map((g) => [g.name, g.limit]));
  const nodes: NodeSpec[] = o.groups.flatMap((g) => Array.from({ length: g.nodes }, (_, i) => ({ name: `${g.name}${i + 1}`, group: g.name })));
  const groupOf = (n: string) => nodes.find((x) => x.name === n)?.group ?? "?";
  const limitOf = (g: string) => limits.get(g) ?? 1;
  let failed = true;
  const proxies = o.state?.partitionEveryMs ? cluster.members.map((m) => new TcpProxy(Number(new URL(m.clientUrl).port))) : [];
  for (const p of proxies) p.start();
  if (proxies.length) nodes.forEach((n, i) => i % 2 === 1 && (n.config = { etcd_endpoints: proxies.map((p) => p.url) }));
  const st = o.state ?? {};
  const down = downtime(stream(o.seed, "downtime"), { shortMs: 300, longChance: st.longDownChance ?? 0, longMs: st.longDownMs ?? [4_000, 10_000], strandedChance: st.strandedChance ?? 0, strandedMs: st.strandedMs ?? [SLOT_TIMEOUT_SEC * 1000 + 5_000, SLOT_TIMEOUT_SEC * 1000 + 20_000] });
  const fleet = await createFleet({
    endpoints: cluster.endpoints,
    dir,
    nodes,
    rebootDelayMs: down.next,
    ...(o.binary ? { binary: o.binary } : {}),
    config: { etcd_namespace: PREFIX, group_limits: Object.fromEntries(limits), min_reboot_interval_sec: 1, max_reboots_per_node: 1000, reboot_slot_timeout_sec: SLOT_TIMEOUT_SEC, ...(o.globalCap ? { global_max_concurrent_reboots: o.globalCap } : {}) },
  });
  const gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 2_000 });
  const keys = makeKeys(PREFIX);
  try {
    const rebootingMachine = (name: string) => {
      const mine = fleet.ledger().filter((e) => e.node === name && (e.kind === "boot" || (e.kind === "reboot" && !e.noop)));
      return mine[mine.length - 1]?.kind === "reboot";
    };
    const killer = new Killer(fleet, o.seed, rebootingMachine, DEFAULT_POLICY);
    const sched = stream(o.seed, "schedule");
    // First occurrences within the first minute (or the whole run, if shorter); then periodic.
    const span = (a: number, b: number) => t0 + Math.round(Math.min(o.chaosMs, 60_000) * (a + sched.next() * (b - a)));
    const pauser = new Pauser(fleet, stream(o.seed, "pause"), say, span(0.25, 0.45), [30_000, 60_000]);
    const etcdFaults = new EtcdFaults(cluster, stream(o.seed, "etcd"), say, span(0.3, 0.6), [40_000, 80_000]);
    const clones = new Clones(fleet, stream(o.seed, "clones"), say, st.clonesEveryMs ? span(0.2, 0.5) : Infinity, st.clonesEveryMs ?? [Infinity, Infinity], st.sameIdCloneChance ?? 0, (n) => fleet.node(n).off, async (n) => {
      const g = groupOf(n);
      return (await gw.get(keys.health(n))) !== undefined || (await gw.get(keys.slot(g, n))) !== undefined;
    });
    const po = st.powerOffs;
    // Spared (not cut): a machine holding a slot, and one etcd has never heard of — its daemon was
    // frozen before it wrote its member record (the first start, under load, takes seconds): no
    // coordinator can count a machine it does not know, so such a cut would only test the ledger.
    const spare = async (n: SimNode) => (await gw.get(keys.slot(n.group, n.name))) !== undefined || (await gw.get(keys.member(n.name))) === undefined;
    const powerOffs = new PowerOffs(fleet, stream(o.seed, "power"), say, po ? span(0.1, 0.3) : Infinity, po ?? { everyMs: [Infinity, Infinity], offMs: [0, 0], longChance: 0, longMs: [0, 0], maxAtOnce: 0 }, spare, (n) => killer.phaseOf(n.name) === "waiting" && clones.target !== n.name);
    // The operator resumes through a node that reaches etcd directly (odd-indexed ones may be behind a cut proxy).
    const freezes = new Freezes(gw, PREFIX, stream(o.seed, "freezes"), say, st.resumeFrozenAfterMs ?? [3_000, 10_000], fleet.nodes.filter((_, i) => i % 2 === 0));
    const wiper = new EtcdWiper(cluster, PREFIX, stream(o.seed, "wipe"), say, st.wipeEveryMs ? span(0.5, 0.9) : Infinity, st.wipeEveryMs ?? [Infinity, Infinity], t0 + o.chaosMs - 150_000);
    const partitions = new Partitions(proxies, stream(o.seed, "partitions"), say, st.partitionEveryMs ? span(0.1, 0.4) : Infinity, st.partitionEveryMs ?? [Infinity, Infinity]);
    const windows = new Windows(say);
    const winRng = stream(o.seed, "windows");
    const lifts = new Map<string, number>();
    for (const g of o.groups) {
      const n = fleet.node(`${g.name}1`);
      windows.denyFromStart(n);
      lifts.set(n.name, span(0.15, 0.35));
    }
    let waveStart = Date.now();
    let wave = 1;
    let wavesDone = 0;
    for (const n of fleet.nodes) n.requireReboot();
    fleet.startAll();
    say(`seed ${o.seed}: ${nodes.length} nodes (${o.groups.map((g) => `${g.name}: ${g.nodes}, limit ${g.limit}`).join("; ")}), 3 etcd members, faults for ${o.chaosMs / 1000} s`);

    let running = true;
    const fast = (async () => {
      while (running) {
        killer.tick(Date.now());
        windows.tick(fleet);
        await Bun.sleep(10);
      }
    })();
    const chaosEnd = t0 + o.chaosMs;
    const hardEnd = chaosEnd + o.convergeMs;
    const violations: string[] = [];
    let pending: string[] = [];
    for (;;) {
      await Bun.sleep(200);
      const now = Date.now();
      const stop = now >= chaosEnd;
      if (stop && killer.enabled) {
        killer.enabled = false;
        for (const name of lifts.keys()) windows.lift(fleet.node(name));
        lifts.clear();
        say("faults stop; waiting for the fleet to converge");
      }
      if (!wiper.busy) {
        void pauser.tick(now, stop);
        void etcdFaults.tick(now, stop);
        void wiper.tick(now, stop, !pauser.paused && etcdFaults.allUp);
      }
      await clones.tick(now, stop, partitions.healed);
      void powerOffs.tick(now, stop);
      void freezes.tick(now, stop);
      partitions.tick(now, stop, clones.idle);
      for (const [name, at] of lifts)
        if (now >= at) {
          windows.lift(fleet.node(name));
          lifts.delete(name);
        }
      pending = await pendingNodes(waveStart);
      if (pending.length === 0) {
        if (wavesDone < wave) {
          wavesDone = wave;
          say(`wave ${wave} complete: every node rebooted and released its slot`);
        }
        if (stop) {
          if (!pauser.paused && etcdFaults.allUp && !wiper.busy && partitions.healed && clones.idle && powerOffs.idle && freezes.idle) break;
          continue;
        }
        wave++;
        waveStart = Date.now();
        killer.newWave();
        for (const n of fleet.nodes) n.requireReboot();
        for (const g of o.groups) {
          if (!winRng.chance(0.5)) continue;
          const n = fleet.node(`${g.name}${winRng.int(1, g.nodes)}`);
          killer.expectExit(n.name);
          await windows.denyNow(n);
          lifts.set(n.name, Date.now() + winRng.int(5_000, 20_000));
        }
        say(`wave ${wave}: every node needs a reboot again`);
      }
      if (now > hardEnd) {
        violations.push(`did not converge within ${o.convergeMs / 1000} s after the faults stopped; pending: ${pending.map((p) => `${p} (${killer.phaseOf(p)})`).join(", ")}`);
        break;
      }
    }
    running = false;
    await fast;
    await fleet.stop();
    while (!etcdFaults.allUp) await etcdFaults.tick(Date.now(), true);
    await clones.tick(Date.now(), true);
    const history = await readHistory(cluster.endpoints, PREFIX);
    // One audit per etcd incarnation: a wiped cluster's history ends where the wipe began.
    const audit = mergeAudits([...wiper.histories, history].map((h) => auditHistory(h, PREFIX, limitOf, o.globalCap ?? null, { downMembers: true })));
    const ledger = checkLedger(fleet.ledger(), {
      groupOf,
      limitOf,
      pauses: pauser.intervals,
      denies: windows.denies,
      pauseSlackMs: 1000,
      globalCap: o.globalCap ?? null,
      freezes: freezes.intervalsCutBy(pauser.resumeCalls),
      // etcd's expiry check runs every 500 ms and a revoke is one raft round: 1 s, plus the post-lock lag.
      unplanned: { leaseTtlMs: LOCK_TTL_MS, marginMs: 1_000 + HEALTH_TIMEOUT_MS, etcdDisruptions: etcdFaults.disruptions, wipes: wiper.wipedAt },
    });
    for (const c of clones.rebooted) violations.push(`a clone ran its reboot command (${c})`);
    // A clone (a fresh process on another machine) must never free a slot of its name: that slot
    // can only be the original's (it once did: the acquire path skipped the machine-id check).
    for (const t of clones.slotTouches) violations.push(`a clone touched a slot of its name: ${t}`);
    for (const w of [...wiper.histories, history].flatMap((h) => slotPutsCarrying(h, PREFIX, clones.ids))) violations.push(`a clone wrote a slot: ${w}`);
    // A disk clone is told apart only by its hardware id: it must be refused as a clone (exit 2).
    for (const x of clones.sameIdWrongExits) violations.push(`a disk clone was not refused as a clone: ${x}`);
    // ...and must refuse with exit 2 (identity_conflict), not as an etcd error.
    if (clones.refusedAsEtcdError > 0) violations.push(`${clones.refusedAsEtcdError} clone(s) refused as an etcd error instead of exit 2`);
    for (const e of fleet.ledger()) if (e.kind === "reboot" && e.node.endsWith("~clone")) violations.push(`${e.node} ran its reboot command at ${new Date(e.at).toISOString()}`);
    violations.push(...audit.violations.map((v) => `etcd: ${v}`), ...ledger.violations.map((v) => `ledger: ${v}`));
    if (audit.slotsLeft.length) violations.push(`slots left in etcd: ${audit.slotsLeft.join(", ")}`);
    if (audit.pauseLeft) violations.push("the pause key was left in etcd");
    if (audit.frozenLeft.length) violations.push(`groups left frozen in etcd: ${audit.frozenLeft.join(", ")}`);
    violations.push(...killer.unexpectedExits.map((u) => `daemon died on its own: ${u}`));
    const kills = Object.fromEntries(PHASES.map((p) => [p, killer.kills.filter((k) => k.phase === p).length])) as Record<DaemonPhase, number>;
    failed = violations.length > 0;
    // A budget breach in the ledger: what etcd showed when that slot was taken (the last incarnation only).
    const explanations = ledger.breaches.flatMap((b) => explainSlotCreation(history, PREFIX, b.node, b.at));
    if (failed && o.keepDirOnFailure) {
      writeFileSync(join(dir, "etcd-history.json"), JSON.stringify(history));
      for (const [i, h] of wiper.histories.entries()) writeFileSync(join(dir, `etcd-history-${i + 1}.json`), JSON.stringify(h));
      writeFileSync(join(dir, "explanations.txt"), explanations.join("\n") + "\n");
    }
    const daemonEvents = Object.fromEntries(NOTABLE.map((ev) => [ev, fleet.nodes.reduce((sum, n) => sum + n.events(ev).length, 0)]));
    return {
      daemonEvents,
      seed: o.seed,
      ok: !failed,
      violations,
      wavesDone,
      reboots: ledger.reboots,
      kills,
      restarts: killer.restarts,
      etcdRestarts: etcdFaults.restarts,
      pauses: pauser.intervals.length,
      windowLifts: windows.lifts,
      state: {
        clones: clones.started, clonesRefused: clones.refused, clonesRefusedAsEtcdError: clones.refusedAsEtcdError, cloneConflictRecords: clones.conflictEvents, clonesKilled: clones.killed, cloneOtherExits: clones.otherExits, cloneSlotTouches: clones.slotTouches,
        sameIdClones: clones.sameIdStarted, sameIdClonesRefused: clones.sameIdRefused,
        wipes: wiper.wipes, partitions: partitions.cuts, partitionsByMode: partitions.byMode, longDowns: down.long(), strandedDowns: down.stranded(),
        powerOffs: powerOffs.cuts, longPowerOffs: powerOffs.long, freezes: freezes.seen.map(({ group, node, reason }) => ({ group, node, reason })), resumes: freezes.resumes,
      },
      audit,
      history,
      ledger,
      durationMs: Date.now() - t0,
      explanations,
      ...(failed && o.keepDirOnFailure ? { dir } : {}),
    };
  } finally {
    await fleet.stop();
    await gw.close().catch(() => {});
    await cluster.stop();
    for (const p of proxies) p.stop();
    if (!(failed && o.keepDirOnFailure)) rmSync(dir, { recursive: true, force: true });
  }

  /**
   * Nodes of the current wave not yet done: rebooted (went down for a reboot, then booted) since
   * the wave began, slot released, daemon up. A power cut and its boot do not count.
   */
  async function pendingNodes(since: number): Promise<string[]> {
    const wentDown = new Set<string>();
    const booted = new Set<string>();
    for (const e of fleet.ledger()) {
      if (e.at <= since) continue;
      if (e.kind === "down") wentDown.add(e.node);
      else if (e.kind === "boot" && wentDown.has(e.node)) booted.add(e.node);
    }
    let holders: Set<string>;
    try {
      holders = new Set((await gw.getPrefix(keys.slotsPrefix)).map((kv) => kv.key.slice(kv.key.lastIndexOf("/") + 1)));
    } catch {
      return fleet.nodes.map((n) => n.name); // etcd unreachable right now: unknown, so pending
    }
    return fleet.nodes.filter((n) => !booted.has(n.name) || holders.has(n.name) || !n.running).map((n) => n.name);
  }
}

/**
 * What wakes a waiting daemon before its next check_interval_sec (docs/SLOTS.md, "Waiting and
 * hand-off"): the kill switch file, deletes under the coordination keys, the ticket ahead of ours,
 * and — for the first in line — a named node turning healthy.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Clock } from "../platform/index.ts";
import type { WatchHandle } from "../etcd/index.ts";
import { HealthRecordSchema, isStarting, lastSegment, parseRecord, SlotRecordSchema, type SlotRecord } from "../slots/index.ts";
import type { Coordinator, EtcdCoordinator } from "./context.ts";

/** Spread of the wake-up after a watch event, so waiting nodes do not all retry in the same ms. */
const HANDOFF_JITTER_MS = 50;
/** A freed slot whose deadline passed within this slack was freed by expiry, not by its node. */
const EXPIRY_SLACK_MS = 5_000;

/**
 * Wakes the loop when the kill switch file appears or disappears, so removing it takes effect at
 * once instead of after check_interval_sec. Watches the directory (the file may not exist yet);
 * a directory that cannot be watched just means no early wake-up.
 */
export function watchKillSwitch(path: string, kick: () => void): FSWatcher | undefined {
  const dir = dirname(path);
  const name = basename(path);
  try {
    const w = watch(dir, { persistent: false }, (_event, file) => {
      if (file === null || file === name) kick();
    });
    w.on("error", () => w.close());
    return w;
  } catch {
    return undefined;
  }
}

/** Resolves sleeps early when kicked (a watch event), plus a little jitter. */
export class Waker {
  private kickFn: (() => void) | undefined;
  /** A kick that came while no wait was in progress (during a pass): the next wait returns at once. */
  private pending = false;
  kick() {
    if (this.kickFn) this.kickFn();
    else this.pending = true;
  }
  async wait(ms: number, clock: Pick<Clock, "sleep" | "random">, signal: AbortSignal, wakeable = true) {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    let kicked = false;
    if (wakeable && this.pending) {
      this.pending = false;
      if (!signal.aborted) await clock.sleep(clock.random() * HANDOFF_JITTER_MS, signal);
      return;
    }
    if (wakeable)
      this.kickFn = () => {
        kicked = true;
        ac.abort();
      };
    await clock.sleep(ms, ac.signal);
    this.kickFn = undefined;
    signal.removeEventListener("abort", onAbort);
    if (kicked && !signal.aborted) await clock.sleep(clock.random() * HANDOFF_JITTER_MS, signal);
  }
}

/**
 * Watches slots, cooldowns and the pause key; reports slots freed by expiry (stale slots). Events
 * on our own slot never wake us: our own release would otherwise start our next pass at once (a
 * dry run would loop take → release → take; a node whose reboot did not happen would re-take the
 * slot ahead of peers that waited minutes).
 */
export interface WakeOn {
  /** The ticket ahead of ours: only its delete wakes us (slot releases do not). */
  ahead: string | undefined;
  /**
   * The nodes the last refusal named (holders and nodes counted down, slots/down.ts): the first in
   * line wakes when one of them turns healthy, instead of a check interval later.
   */
  downs: ReadonlySet<string>;
}

export async function watchCoordinationKeys(current: () => Coordinator, co: EtcdCoordinator, wake: WakeOn, kick: () => void): Promise<WatchHandle[]> {
  const { gw, keys } = co.etcd;
  const seen = new Map<string, SlotRecord | undefined>();
  // Only deletes can let a waiter in (a slot freed, a cooldown expired, a pause lifted): puts
  // (taken, fenced, verifying) would wake every waiter of the group for a useless full pass.
  const onDelete = (e: { kind: "put" | "delete" }) => {
    if (e.kind === "delete") kick();
  };
  const onSlot = (e: { kind: "put" | "delete"; key: string; value: string }) => {
    const now = current();
    if (e.kind === "put") seen.set(e.key, parseRecord(SlotRecordSchema, e.value));
    else {
      const rec = seen.get(e.key);
      seen.delete(e.key);
      if (rec?.deadline && Date.parse(rec.deadline) <= now.ports.clock.now() + EXPIRY_SLACK_MS) {
        now.ports.log.event("error", "stale_slot_freed", { slot: e.key, node: rec.node, phase: rec.phase, deadline: rec.deadline });
        now.ports.metrics.inc("stale_slots_freed_total");
        now.notifier.notify("stale_slot_freed", { slot: e.key, holder: rec.node, phase: rec.phase, deadline: rec.deadline });
      }
      if (lastSegment(e.key) !== now.plan.node && wake.ahead === undefined) kick();
    }
  };
  const onTicket = (e: { kind: "put" | "delete"; key: string }) => {
    if (e.kind === "delete" && e.key === wake.ahead) kick();
  };
  return Promise.all([
    gw.watchPrefix(keys.slotsPrefix, onSlot),
    gw.watchPrefix(keys.queuePrefix, onTicket),
    gw.watchPrefix(keys.cooldownPrefix, onDelete),
    gw.watchPrefix(keys.pause, onDelete),
  ]);
}

/**
 * Health records, watched only while this node is first in line and its refusal named nodes: when
 * one of them turns healthy (back, or its first check passed) it runs a pass then, not a check
 * interval later. Heartbeats put records all the time, so every daemon watching every record would
 * cost the fleet N² events; the first in line of a group is one node. A watch that cannot be
 * opened only means no early wake-up.
 */
export function watchNamedHealth(co: EtcdCoordinator, wake: WakeOn, kick: () => void) {
  let handle: Promise<WatchHandle | undefined> | undefined;
  const upNow = new Map<string, boolean>();
  const onHealth = (e: { kind: "put" | "delete"; key: string; value: string }) => {
    const node = lastSegment(e.key);
    if (!wake.downs.has(node)) return;
    const rec = e.kind === "put" ? parseRecord(HealthRecordSchema, e.value) : undefined;
    const up = rec !== undefined && rec.healthy && !isStarting(rec);
    const was = upNow.get(node);
    upNow.set(node, up);
    if (up && was !== true && wake.ahead === undefined) kick();
  };
  return {
    async want(on: boolean) {
      if (on && !handle) handle = co.etcd.gw.watchPrefix(co.etcd.keys.healthPrefix, onHealth).catch(() => undefined);
      else if (!on && handle) {
        const h = await handle;
        handle = undefined;
        upNow.clear();
        await h?.cancel();
      }
    },
  };
}

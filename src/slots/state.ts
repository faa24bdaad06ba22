/**
 * One consistent read of everything a decision needs: slots, guards, pause, cooldowns, members,
 * health records and reboot history, all at one etcd revision.
 */
import type { EtcdGateway, KeyValue } from "../etcd/index.ts";
import { lastSegment, type Keys } from "./keys.ts";
import {
  CooldownRecordSchema,
  FailuresRecordSchema,
  FreezeRecordSchema,
  HealthRecordSchema,
  MemberRecordSchema,
  parseRecord,
  PauseRecordSchema,
  RebootsRecordSchema,
  ResetAckSchema,
  SlotRecordSchema,
  type CooldownRecord,
  type FailuresRecord,
  type FreezeRecord,
  type HealthRecord,
  type MemberRecord,
  type PauseRecord,
  type RebootsRecord,
  type ResetAck,
  type SlotRecord,
} from "./records.ts";

/** A slot as seen in etcd. `record` is undefined when the value is unreadable: it still counts. */
export interface SlotEntry {
  key: string;
  group: string;
  node: string;
  record: SlotRecord | undefined;
  createRevision: number;
  modRevision: number;
  lease: string;
}

export interface ClusterState {
  revision: number;
  /** etcd's cluster id at this read (see EtcdGateway.snapshot). */
  clusterId: string;
  slots: SlotEntry[];
  pause: PauseRecord | undefined;
  /** Raw presence matters for pause/cooldown: an unreadable value still pauses (safety). */
  pausePresent: boolean;
  /** The operator acknowledged an etcd data loss (resume --etcd-reset). */
  resetAck: ResetAck | undefined;
  cooldowns: Map<string, { record: CooldownRecord | undefined; lease: string }>;
  /** Frozen groups. Presence freezes: an unreadable value still freezes (safety), like the pause. */
  frozen: Map<string, { record: FreezeRecord | undefined }>;
  /** Failed reboots per group since the last resume; an unreadable record is in `unreadable`. */
  failures: Map<string, FailuresRecord>;
  members: Map<string, MemberRecord>;
  health: Map<string, HealthRecord>;
  /** Create and mod revision of each health key: acquire and fence check those they counted as up. */
  healthCreateRev: Map<string, number>;
  healthModRev: Map<string, number>;
  reboots: Map<string, RebootsRecord>;
  guardGroupRev: Map<string, number>;
  guardGlobalRev: number;
  /**
   * Member and reboot-history keys whose value does not parse. They block every decision that
   * reads them (a garbage member would drop out of the expected count, a garbage history would
   * erase the reboot-loop guard): unreadable state never reads as absent.
   */
  unreadable: string[];
}

/** A state with nothing in it (tests and tools build on it; readClusterState fills a real one). */
export function emptyClusterState(revision = 1, clusterId = "1"): ClusterState {
  return {
    revision,
    clusterId,
    slots: [],
    pause: undefined,
    pausePresent: false,
    resetAck: undefined,
    cooldowns: new Map(),
    frozen: new Map(),
    failures: new Map(),
    members: new Map(),
    health: new Map(),
    healthCreateRev: new Map(),
    healthModRev: new Map(),
    reboots: new Map(),
    guardGroupRev: new Map(),
    guardGlobalRev: 0,
    unreadable: [],
  };
}

export function slotFromKV(keys: Keys, kv: KeyValue): SlotEntry {
  // P/slots/<group>/<node>
  const rest = kv.key.slice(keys.slotsPrefix.length);
  const slash = rest.indexOf("/");
  const group = slash >= 0 ? rest.slice(0, slash) : rest;
  return {
    key: kv.key,
    group,
    node: lastSegment(kv.key),
    record: parseRecord(SlotRecordSchema, kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    lease: kv.lease,
  };
}

/**
 * Reads the coordinator state under the prefix in one transaction. `scope: "slots"` reads only
 * slots, guards and the pause key — what a node that needs no reboot must know — so the idle cost
 * per node does not grow with the fleet (members, health and reboots come back empty).
 */
/** Model step READ. */
export async function readClusterState(gw: EtcdGateway, keys: Keys, scope: "all" | "slots" = "all"): Promise<ClusterState> {
  const guardsPrefix = `${keys.prefix}/guards/`;
  // Freezes are read in both scopes: a pass that needs no reboot still reports them (status, metrics).
  const wanted =
    scope === "all"
      ? [keys.slotsPrefix, guardsPrefix, keys.frozenPrefix, keys.failuresPrefix, keys.cooldownPrefix, keys.membersPrefix, keys.healthPrefix, keys.rebootsPrefix]
      : [keys.slotsPrefix, guardsPrefix, keys.frozenPrefix];
  const snap = await gw.snapshot(wanted, [keys.pause, keys.resetAck]);
  const [slots = [], guards = [], frozen = [], failures = [], cooldowns = [], members = [], health = [], reboots = []] = snap.prefixes;
  const pauseKV = snap.keys[0];
  const state: ClusterState = {
    ...emptyClusterState(snap.revision, snap.clusterId),
    slots: slots.map((kv) => slotFromKV(keys, kv)),
    pause: parseRecord(PauseRecordSchema, pauseKV?.value),
    pausePresent: pauseKV !== undefined,
    resetAck: parseRecord(ResetAckSchema, snap.keys[1]?.value),
  };
  for (const kv of frozen) state.frozen.set(lastSegment(kv.key), { record: parseRecord(FreezeRecordSchema, kv.value) });
  for (const kv of failures) {
    const r = parseRecord(FailuresRecordSchema, kv.value);
    if (r) state.failures.set(lastSegment(kv.key), r);
    else state.unreadable.push(kv.key);
  }
  for (const kv of cooldowns)
    state.cooldowns.set(lastSegment(kv.key), { record: parseRecord(CooldownRecordSchema, kv.value), lease: kv.lease });
  for (const kv of members) {
    const r = parseRecord(MemberRecordSchema, kv.value);
    if (r) state.members.set(lastSegment(kv.key), r);
    else state.unreadable.push(kv.key);
  }
  for (const kv of health) {
    const r = parseRecord(HealthRecordSchema, kv.value);
    if (!r) continue;
    state.health.set(lastSegment(kv.key), r);
    state.healthCreateRev.set(lastSegment(kv.key), kv.createRevision);
    state.healthModRev.set(lastSegment(kv.key), kv.modRevision);
  }
  for (const kv of reboots) {
    const r = parseRecord(RebootsRecordSchema, kv.value);
    if (r) state.reboots.set(lastSegment(kv.key), r);
    else state.unreadable.push(kv.key);
  }
  for (const kv of guards) {
    if (kv.key === keys.guardGlobal) state.guardGlobalRev = kv.modRevision;
    else state.guardGroupRev.set(lastSegment(kv.key), kv.modRevision);
  }
  return state;
}

/** The slot this node holds, if any (at most one per node by construction). */
export const ownSlot = (state: ClusterState, node: string): SlotEntry | undefined =>
  state.slots.find((s) => s.node === node);

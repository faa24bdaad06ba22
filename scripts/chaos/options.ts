/** What a chaos run is asked to do (run.ts) and what it reports (report.ts). */
import type { AuditResult, HistoryEvent } from "./etcd-history.ts";
import type { Say } from "./faults.ts";
import type { PowerOffOptions } from "./faults-power.ts";
import type { DaemonPhase } from "./killer.ts";
import type { LedgerVerdict } from "./ledger-check.ts";

export interface ChaosOptions {
  seed: number;
  /** How long faults are injected. */
  chaosMs: number;
  /** How long the fleet may take to converge afterwards. */
  convergeMs: number;
  groups: readonly { name: string; nodes: number; limit: number }[];
  /** A compiled clusterrebootd; default: Bun running src/main.ts. */
  binary?: string;
  /** global_max_concurrent_reboots of the fleet (checked by both checkers). */
  globalCap?: number;
  /** The identity and state faults (faults-state.ts, faults-power.ts); each one off when absent. */
  state?: StateFaultOptions;
  /** Keep the temp dir (logs, ledger) when the run fails. */
  keepDirOnFailure?: boolean;
  say: Say;
}

export interface StateFaultOptions {
  /** A clone of a node's name every so often (ms range). */
  clonesEveryMs?: [number, number];
  /** Chance that a clone is a disk clone: the same machine id, another hardware id. */
  sameIdCloneChance?: number;
  /** etcd wiped every so often; none later than 150 s before the faults stop (the hold is 120 s). */
  wipeEveryMs?: [number, number];
  /** Every node with an even index talks to etcd through proxies that partition it this often. */
  partitionEveryMs?: [number, number];
  /** Chance per reboot that the machine stays down `longDownMs` (above the 3 s lease TTL). */
  longDownChance?: number;
  longDownMs?: [number, number];
  /** Chance per reboot that the machine stays down `strandedMs`, past reboot_slot_timeout_sec (its group freezes). */
  strandedChance?: number;
  strandedMs?: [number, number];
  /** Unplanned power-offs of machines holding no slot. */
  powerOffs?: PowerOffOptions;
  /** How long after noticing a frozen group the operator resumes it (default 3–10 s). */
  resumeFrozenAfterMs?: [number, number];
}

export interface ChaosResult {
  seed: number;
  ok: boolean;
  violations: string[];
  wavesDone: number;
  reboots: number;
  kills: Record<DaemonPhase, number>;
  restarts: number;
  etcdRestarts: number;
  pauses: number;
  windowLifts: number;
  state: {
    clones: number;
    clonesRefused: number;
    clonesRefusedAsEtcdError: number;
    cloneConflictRecords: number;
    clonesKilled: number;
    cloneOtherExits: string[];
    cloneSlotTouches: string[];
    /** Disk clones (same machine id, another hardware id) started / exited 2. */
    sameIdClones: number;
    sameIdClonesRefused: number;
    wipes: number;
    partitions: number;
    partitionsByMode: Record<string, number>;
    longDowns: number;
    /** Reboots kept down past the slot timeout. */
    strandedDowns: number;
    powerOffs: number;
    longPowerOffs: number;
    /** Frozen groups noticed, resumed by the operator. */
    freezes: { group: string; node: string; reason: string }[];
    resumes: number;
  };
  audit: AuditResult;
  /** etcd's history under the prefix (for the model replay, scripts/model/replay.ts). */
  history: HistoryEvent[];
  ledger: LedgerVerdict;
  durationMs: number;
  /** How often the daemons logged the events that show recovery paths being taken. */
  daemonEvents: Record<string, number>;
  dir?: string;
  /** For every ledger budget violation: etcd's members, health records and slots at the slot's creation. */
  explanations: string[];
}

/** Daemon log events worth counting in a chaos run (recovery paths, etcd trouble, freezes). */
export const NOTABLE = ["slot_recovered", "reboot_not_happened", "stale_slot_freed", "group_frozen", "identity_conflict", "pass_failed", "waiting_for_etcd", "heartbeat_failed", "config_reloaded", "reboot_command_failed"];

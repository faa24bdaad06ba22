/**
 * The plan a FleetLock server decides a client's pre-reboot with: the server's windows, policy,
 * limits and timeouts; no kill switch, detectors, health script, reboot command or user deferral
 * (those are the client's own business — Zincati has its own).
 */
import { noopMetrics, type Logger } from "../observe/index.ts";
import type { Plan, Ports } from "../orchestrate/index.ts";
import { createFs, realPorts, type Clock } from "../platform/index.ts";
import type { PolicyConfig } from "../cluster/index.ts";
import type { WindowSet } from "../windows/index.ts";
import type { ClientParams } from "./protocol.ts";

/** What a FleetLock server decides with (from the config: settings.ts). */
export interface BackendSettings {
  /** The slot limit of a group, or undefined when this server does not serve the group. */
  limitFor(group: string): number | undefined;
  globalCap: number | null;
  slotTimeoutSec: number;
  /** Group cooldown started when a granted slot is released (min_reboot_interval_sec; 0 = none). */
  cooldownSec: number;
  windows: WindowSet;
  policy: PolicyConfig;
  publishIntervalMs: number;
  healthTimeoutMs: number;
  /** This server's name and pid, recorded in the slot so an operator can tell who granted it. */
  serverName: string;
  pid: number;
  /** fleetlock.bind_client_address: only the address that took a lock may release it. */
  bindClientAddress?: boolean;
  /** count_down_nodes and max_failed_reboots, as the daemons apply them (a client meets the same budget). */
  countDownNodes: boolean;
  maxFailedReboots: number;
}

/** Drain failures are retried after this long (the hold-off before a new cordon of the node). */
const DRAIN_RETRY_MS = 60_000;

export function serverPlan(s: BackendSettings, p: ClientParams, limit: number): Plan {
  return {
    node: p.id,
    group: p.group,
    fallback: false,
    limit,
    globalCap: s.globalCap,
    detectors: [],
    policy: s.policy,
    windows: s.windows,
    killSwitchFile: "",
    rebootCommand: [],
    dryRun: false,
    healthTimeoutMs: s.healthTimeoutMs,
    publishIntervalMs: s.publishIntervalMs,
    checkIntervalMs: DRAIN_RETRY_MS,
    backoffMinMs: 1000,
    backoffMaxMs: 60_000,
    cooldownSec: s.cooldownSec,
    lockTtlSec: s.slotTimeoutSec,
    slotTimeoutSec: s.slotTimeoutSec,
    rebootGraceMs: 0,
    // FleetLock clients keep no reboot history with us (we never learn when they reboot).
    maxRebootsPerNode: Number.MAX_SAFE_INTEGER,
    countDownNodes: s.countDownNodes,
    maxFailedReboots: s.maxFailedReboots,
    timerPresenceSec: 0,
    rebootLoopWindowMs: 0,
    blockedThresholdMs: Number.MAX_SAFE_INTEGER,
    unhealthyAfterBootMs: Number.MAX_SAFE_INTEGER,
    deferForUsers: false,
    maxDeferMs: 0,
    baseEnv: {},
  };
}

let ports: Omit<Ports, "clock" | "log"> | undefined;
export function serverPorts(clock: Clock, log: Logger): Ports {
  ports ??= { ...realPorts(), fs: createFs(), metrics: noopMetrics };
  return { ...ports, clock, log };
}

/**
 * The plan a FleetLock server decides a client's pre-reboot with: the server's windows, policy,
 * limits and timeouts; no kill switch, detectors, health script, reboot command or user deferral
 * (those are the client's own business — Zincati has its own).
 */
import { noopMetrics, type Logger } from "../observe/index.ts";
import type { Plan, Ports } from "../orchestrate/index.ts";
import type { PlatformPorts } from "../platform/index.ts";
import type { ClientParams } from "./protocol.ts";
import type { BackendSettings } from "./settings.ts";

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

/** The coordinator's ports for one client's pass: the server's own platform and log; no metrics of the pass. */
export function serverPorts(platform: PlatformPorts, log: Logger): Ports {
  return { ...platform, log, metrics: noopMetrics };
}

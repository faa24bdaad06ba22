/** A Plan with test defaults (fast, permissive) for pass-level tests; override what matters. */
import { hasGroup, type Config, type ResolvedConfig } from "../../src/config/index.ts";
import type { HealthRunner } from "../../src/health/index.ts";
import type { Plan } from "../../src/orchestrate/index.ts";
import { parseWindows } from "../../src/windows/index.ts";

export function testPlan(o: Partial<Plan> & { node: string; allow?: string[] }): Plan {
  const { allow, ...over } = o;
  const w = parseWindows({ deny: [], allow: allow ?? [], timezone: "UTC" });
  if (!w.ok) throw new Error(w.errors.join("; "));
  return {
    group: "g", fallback: false, limit: 1, globalCap: null,
    detectors: [],
    policy: { minHealthyFraction: null, minHealthyAbsolute: null, forbidIfOnlyFallbackLeft: false, fallbackNodes: [] },
    windows: w.windows, killSwitchFile: "/nonexistent/clusterrebootd-kill-switch", rebootCommand: ["/sbin/reboot-sim"], dryRun: false,
    healthTimeoutMs: 2000, publishIntervalMs: 1000, checkIntervalMs: 1000, backoffMinMs: 100, backoffMaxMs: 1000,
    cooldownSec: 0, lockTtlSec: 5, slotTimeoutSec: 60, rebootGraceMs: 30_000, maxRebootsPerNode: 3, rebootLoopWindowMs: 86_400_000,
    countDownNodes: true, maxFailedReboots: 1, timerPresenceSec: 900,
    blockedThresholdMs: 3_600_000, unhealthyAfterBootMs: 600_000, deferForUsers: false, maxDeferMs: 3_600_000,
    baseEnv: { RC_NODE_NAME: o.node },
    ...over,
  };
}

/** A health runner whose every run passes. */
export const passingHealth: HealthRunner = {
  async run(phase) {
    return { phase, seq: 0, durationMs: 1, stdout: "", stderr: "", truncated: false, kind: "pass", exitCode: 0 };
  },
};

/** A loaded config whose group is written in the file (no group_from_node_label), as runtime code needs it. */
export function resolved(cfg: Config): ResolvedConfig {
  if (!hasGroup(cfg)) throw new Error("test config takes its group from a node label; resolve it first");
  return cfg;
}

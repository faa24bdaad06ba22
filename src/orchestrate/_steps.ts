/** Small steps shared by the pass, the post-boot path and the work under the slot. */
import { classifyPeers, evaluatePolicy } from "../cluster/index.ts";
import { runChecks, type ChecksReport } from "../checks/index.ts";
import { evaluateDetectors } from "../detect/index.ts";
import type { HealthPhase, HealthResult } from "../health/index.ts";
import type { ClusterState, RebootsRecord } from "../slots/index.ts";
import type { Coordinator, PassMode } from "./context.ts";
import type { PassReport } from "./report.ts";
import type { OutcomeKind } from "./outcome.ts";
import { evaluateWindows, hasWindows } from "../windows/index.ts";
import { expandCommand, rebootVariables, type Expansion } from "./_command.ts";

/** Stat the node-local kill switch; a stat error other than "missing" counts as active (refuse). */
export async function checkKillSwitch(co: Coordinator): Promise<{ path: string; active: boolean; error?: string }> {
  const path = co.plan.killSwitchFile;
  const st = await co.ports.fs.stat(path);
  if (st.kind === "missing") return { path, active: false };
  if (st.kind === "error") return { path, active: true, error: st.message };
  return { path, active: true };
}

/**
 * The health script and the built-in checks of the phase, as one verdict: healthy only if both
 * pass. A check failure turns a passing script result into an `error` naming the checks, so it is
 * published and reported as unhealthy like any script failure.
 */
export async function checkHealth(
  co: Coordinator,
  phase: HealthPhase,
  vars: { lockHeld: boolean; lockAttempts: number },
  signal?: AbortSignal,
): Promise<{ h: HealthResult; checks?: ChecksReport }> {
  const [h, checks] = await Promise.all([
    co.health.run(phase, { ...vars, lockEnabled: co.etcd !== undefined || co.remote !== undefined }, signal),
    co.checks && co.checks.specs.length > 0 ? runChecks(co.checks.specs, phase, co.checks.deps, signal) : undefined,
  ]);
  if (!checks || checks.kind === "pass" || h.kind !== "pass") return { h, ...(checks ? { checks } : {}) };
  const { exitCode: _e, ...rest } = h;
  return { h: { ...rest, kind: "error", error: `built-in checks blocked: ${checks.message}` }, checks };
}

/**
 * The node-local gates every pass starts with: kill switch, then maintenance windows. Returns the
 * refusal (and records what it saw in the report), or undefined to go on.
 */
export async function localGates(co: Coordinator, r: PassReport): Promise<[OutcomeKind, string] | undefined> {
  const ks = await checkKillSwitch(co);
  r.killSwitch = ks;
  if (ks.active) return ["kill_switch_active", `kill switch ${ks.path} present`];
  return windowGate(co, r);
}

/** Maintenance windows now; `suffix` marks a re-check under the slot. */
export function windowGate(co: Coordinator, r: PassReport, suffix = ""): [OutcomeKind, string] | undefined {
  if (!hasWindows(co.plan.windows)) return undefined;
  const w = evaluateWindows(co.plan.windows, co.ports.clock.now());
  r.window = w;
  if (w.kind === "denied") return ["window_denied", `blocked by deny window "${w.matchedDeny}"${suffix}`];
  if (w.kind === "outside_allow") return ["window_outside_allow", `outside configured allow windows${suffix}`];
  return undefined;
}

export type DetectStep =
  | { kind: "stop"; outcome: [OutcomeKind, string] } // detector error, or unhealthy while idle
  | { kind: "idle" } // no reboot needed and the monitor health check passed
  | { kind: "needed" }; // a detector asks for a reboot

/** Detectors, and when no reboot is needed the monitor health run that keeps our record fresh. */
export async function detectStep(co: Coordinator, r: PassReport, mode: PassMode, signal?: AbortSignal): Promise<DetectStep> {
  const pre = await evaluateDetectors(co.plan.detectors, { ...co.ports, env: co.env }, signal);
  r.preDetectors = pre;
  if (pre.hasErrors) return { kind: "stop", outcome: ["runtime_error", `detector evaluation failed: ${detectorErrors(pre)}`] };
  if (pre.requiresReboot) return { kind: "needed" };
  const h = await runHealth(co, r, "monitor", { lockHeld: false, lockAttempts: 0 }, mode, signal);
  if (h.kind !== "pass") return { kind: "stop", outcome: ["health_blocked", `health script reported unhealthy during monitoring (${describe(h)})`] };
  return { kind: "idle" };
}

/** Run the health script (and checks), publish the result (run/once only), and log it. */
export async function runHealth(
  co: Coordinator,
  r: PassReport,
  phase: HealthPhase,
  vars: { lockHeld: boolean; lockAttempts: number },
  mode: PassMode,
  signal?: AbortSignal,
): Promise<HealthResult> {
  const { h, checks } = await checkHealth(co, phase, vars, signal);
  r.health.push(h);
  if (checks) (r.checks ??= []).push(checks);
  const level = h.kind === "pass" ? "debug" : "warn";
  co.ports.log.event(level, "health_check", {
    phase,
    result: h.kind,
    duration_ms: Math.round(h.durationMs),
    ...("exitCode" in h ? { exit_code: h.exitCode } : {}),
    ...(h.kind !== "pass" ? { output: tail(h.stdout + h.stderr) } : {}),
  });
  if (co.session && mode !== "status") {
    await co.session.publishHealth({
      healthy: h.kind === "pass",
      phase,
      ...(h.kind === "pass" ? {} : { reason: healthReason(h) }),
      seq: h.seq,
      nowMs: co.ports.clock.now(),
    });
  }
  return h;
}

export function healthReason(h: HealthResult): string {
  switch (h.kind) {
    case "pass":
      return `${h.phase} pass`;
    case "blocked":
      return `${h.phase} exit ${h.exitCode}`;
    case "timeout":
      return `${h.phase} timeout`;
    case "error":
      return `${h.phase} error: ${h.error}`;
  }
}

/** The expanded reboot command with the per-invocation RC_* variables (W22). */
export function commandFor(co: Coordinator, clusterSize?: number): Expansion {
  return expandCommand(co.plan.rebootCommand, { ...co.env, ...co.plan.baseEnv, ...rebootVariables(clusterSize) });
}

/** Reboots in the guard window, oldest first. */
export function recentReboots(co: Coordinator, rec: RebootsRecord | undefined): string[] {
  const since = co.ports.clock.now() - co.plan.rebootLoopWindowMs;
  return (rec?.history ?? []).filter((t) => Date.parse(t) >= since);
}

/** A message when this node already rebooted max_reboots_per_node times in the window (W28). */
export function loopGuard(co: Coordinator, state: ClusterState): string | undefined {
  const recent = recentReboots(co, state.reboots.get(co.plan.node));
  if (recent.length < co.plan.maxRebootsPerNode) return undefined;
  return (
    `reboot-loop guard: ${recent.length} reboots within the last ${Math.round(co.plan.rebootLoopWindowMs / 3600_000)}h ` +
    `(max_reboots_per_node ${co.plan.maxRebootsPerNode}) and a reboot is still required; ` +
    `check the detectors, then run 'clusterrebootd unlock ${co.plan.node} --reset-history' to allow more`
  );
}

export function policyVerdict(co: Coordinator, state: ClusterState) {
  const peers = classifyPeers(state, co.plan.node, {
    nowMs: co.ports.clock.now(),
    publishIntervalMs: co.plan.publishIntervalMs,
    healthTimeoutMs: co.plan.healthTimeoutMs,
  });
  return evaluatePolicy(peers, co.plan.node, co.plan.policy);
}

export function detectorErrors(e: { results: { name: string; kind: string; error?: string }[] }): string {
  return e.results
    .filter((x) => x.kind === "error")
    .map((x) => `${x.name}: ${x.error ?? "error"}`)
    .join("; ");
}

export function describe(h: { kind: string; exitCode?: number; timeoutMs?: number; error?: string }): string {
  if (h.kind === "blocked") return `exit ${h.exitCode}`;
  if (h.kind === "timeout") return `timed out after ${Math.round((h.timeoutMs ?? 0) / 1000)}s`;
  if (h.kind === "error") return `error: ${h.error}`;
  return "pass";
}

const tail = (s: string, max = 2048) => (s.length > max ? "…" + s.slice(-max) : s).trim();

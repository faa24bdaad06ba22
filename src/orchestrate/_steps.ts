/** Small pieces shared by the gates, the post-boot path and the heartbeat. */
import type { ChecksReport } from "../checks/index.ts";
import type { HealthPhase, HealthResult } from "../health/index.ts";
import type { RebootsRecord } from "../slots/index.ts";
import type { Coordinator, PassMode } from "./context.ts";
import { expandCommand, rebootVariables, type CommandExpansion } from "./_command.ts";

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
    co.health.run(phase, { ...vars, lockEnabled: co.lock.kind !== "none" }, signal),
    co.checks.count > 0 ? co.checks.run(phase, signal) : undefined,
  ]);
  co.ports.metrics.inc("health_checks_total", { phase, result: h.kind === "pass" ? "pass" : h.kind === "blocked" ? "blocked" : "error" });
  co.ports.metrics.observe("health_check_seconds", h.durationMs / 1000, { phase, result: h.kind === "pass" ? "pass" : h.kind === "blocked" ? "blocked" : "error" });
  if (!checks || checks.kind === "pass" || h.kind !== "pass") return { h, ...(checks ? { checks } : {}) };
  const { exitCode: _e, ...rest } = h;
  return { h: { ...rest, kind: "error", error: `built-in checks blocked: ${checks.message}` }, checks };
}

/** Run the health script (and checks), publish the result (not for status), and log it. */
export async function runHealth(
  co: Coordinator,
  phase: HealthPhase,
  vars: { lockHeld: boolean; lockAttempts: number },
  mode: PassMode,
  signal?: AbortSignal,
): Promise<{ h: HealthResult; checks?: ChecksReport }> {
  const res = await checkHealth(co, phase, vars, signal);
  const { h } = res;
  co.ports.log.event(h.kind === "pass" ? "debug" : "warn", "health_check", {
    phase,
    result: h.kind,
    duration_ms: Math.round(h.durationMs),
    ...("exitCode" in h ? { exit_code: h.exitCode } : {}),
    ...(h.kind !== "pass" ? { output: tail(h.stdout + h.stderr) } : {}),
  });
  co.ports.metrics.set("healthy", h.kind === "pass" ? 1 : 0);
  if (mode !== "status") await publishHealth(co, h, phase);
  return res;
}

/** Puts our health record (etcd mode only: it lives on the session lease). */
export async function publishHealth(co: Coordinator, h: HealthResult, phase: string): Promise<void> {
  if (co.mode !== "etcd") return;
  const healthy = h.kind === "pass";
  const wrote = await co.session.publishHealth({ healthy, phase, ...(healthy ? {} : { reason: healthReason(h) }), seq: h.seq, nowMs: co.ports.clock.now() });
  co.ports.metrics.inc("cluster_health_updates_total", { phase, status: healthy ? "healthy" : "unhealthy", result: wrote ? "written" : "skipped" });
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
export function commandFor(co: Coordinator, clusterSize?: number): CommandExpansion {
  return expandCommand(co.plan.rebootCommand, { ...co.env, ...co.plan.baseEnv, ...rebootVariables(clusterSize) });
}

/** Reboots in the guard window, oldest first. */
export function recentReboots(co: Coordinator, rec: RebootsRecord | undefined): string[] {
  const since = co.ports.clock.now() - co.plan.rebootLoopWindowMs;
  return (rec?.history ?? []).filter((t) => Date.parse(t) >= since);
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

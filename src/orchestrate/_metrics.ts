/**
 * Turns a pass report into metrics. Kept out of the pass itself so the steps stay a readable list;
 * everything a dashboard needs is in the report anyway.
 */
import type { Metrics } from "../observe/index.ts";
import type { PassReport } from "./report.ts";

/** Outcomes that mean "needs a reboot but is not rebooting" — the blocked{reason} gauge. */
const BLOCKING = new Set([
  "kill_switch_active", "paused", "window_denied", "window_outside_allow", "cooldown_active",
  "health_blocked", "lock_unavailable", "reboot_loop_guard", "users_logged_in", "runtime_error",
]);

export function recordPass(m: Metrics, r: PassReport, nowMs: number): void {
  const kind = r.outcome.kind;
  m.inc("orchestration_outcomes_total", { status: kind });
  m.set("last_pass_timestamp_seconds", nowMs / 1000);
  if (r.killSwitch) m.inc("kill_switch_checks_total", { stage: "pre-lock", result: r.killSwitch.active ? "active" : "inactive" });
  if (r.window) m.inc("window_evaluations_total", { result: r.window.kind === "allowed" ? "allowed" : r.window.kind === "denied" ? "deny" : "outside_allow" });
  for (const [phase, ev] of [["pre-lock", r.preDetectors], ["post-lock", r.postDetectors]] as const) {
    if (!ev) continue;
    const result = ev.hasErrors ? "error" : ev.requiresReboot ? "requires" : "clear";
    m.inc("detector_evaluations_total", { phase, result });
    m.observe("detector_evaluation_seconds", ev.durationMs / 1000, { phase, result });
  }
  if (r.preDetectors && !r.preDetectors.hasErrors) m.set("reboot_required", r.preDetectors.requiresReboot ? 1 : 0);
  for (const h of r.health) {
    const result = h.kind === "pass" ? "pass" : h.kind === "blocked" ? "blocked" : "error";
    m.inc("health_checks_total", { phase: h.phase, result });
    m.observe("health_check_seconds", h.durationMs / 1000, { phase: h.phase, result });
  }
  if (r.policy) m.inc("cluster_health_checks_total", { phase: "pre-lock", result: r.policy.kind === "allowed" ? "healthy" : "unhealthy" });
  if (r.slot?.attempts !== undefined) m.inc("lock_attempts_total", { result: "success" });
  if (kind === "lock_unavailable") m.inc("lock_attempts_total", { result: "contended" });
  m.set("slot_held", r.slot && r.slot.phase !== "released" ? 1 : 0);
  m.set("paused", kind === "paused" ? 1 : 0);
  m.reset("blocked");
  if (BLOCKING.has(kind) && r.preDetectors?.requiresReboot !== false) {
    m.set("blocked", 1, { reason: kind });
    m.inc("reboot_blocked_total", { reason: kind });
  }
}

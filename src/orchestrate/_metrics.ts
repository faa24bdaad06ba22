/**
 * Turns a pass report into the per-pass gauges and counters. The gates record what they count
 * themselves (kill switch, windows, detectors, health, policy, cooldown, lock timings); this is
 * what only the whole pass knows.
 */
import type { Metrics } from "../observe/index.ts";
import { isBlocked } from "./outcome.ts";
import type { PassReport } from "./report.ts";

export function recordPass(m: Metrics, r: PassReport, nowMs: number): void {
  const kind = r.outcome.kind;
  m.inc("orchestration_outcomes_total", { status: kind });
  m.set("last_pass_timestamp_seconds", nowMs / 1000);
  m.set("slot_held", r.slot && r.slot.phase !== "released" ? 1 : 0);
  m.set("paused", kind === "paused" ? 1 : 0);
  m.reset("blocked");
  // A runtime error is not a refusal, but the node is not rebooting either: show it as blocked.
  if ((isBlocked(kind) || kind === "runtime_error") && r.preDetectors?.requiresReboot !== false) {
    m.set("blocked", 1, { reason: kind });
    m.inc("reboot_blocked_total", { reason: kind });
  }
}

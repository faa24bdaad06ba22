/**
 * What observe shows of a pass (the human report, `--json`), as a structural type of its own. The
 * pass report is orchestrate's (orchestrate/report.ts PassReport extends this), and orchestrate and
 * checks both log through observe, so observe imports neither: no import circle. A field renamed
 * here is a compile error in orchestrate and in _json.ts, so the documented JSON cannot drift.
 */
import type { PeerView, PolicyVerdict } from "../cluster/index.ts";
import type { Evaluation } from "../detect/index.ts";
import type { HealthResult } from "../health/index.ts";
import type { WindowDecision } from "../windows/index.ts";

/** One built-in check's result (checks/types.ts CheckResult). */
export type CheckResultView = { name: string; type: string; durationMs: number; message: string } & ({ kind: "pass" | "fail" | "error" } | { kind: "timeout"; timeoutMs: number });

/** The built-in checks of one phase (checks/types.ts ChecksReport). */
export interface ChecksView {
  kind: "pass" | "blocked";
  phase: string;
  results: CheckResultView[];
  message: string;
}

/** A slot as the report lists its holders (slots/state.ts SlotEntry). */
export interface SlotHolderView {
  key: string;
  group: string;
  node: string;
  record?: { phase: string; acquired_at: string } | undefined;
}

export interface ReportView {
  /** Outcome kinds are orchestrate's table (orchestrate/outcome.ts); here only their names. */
  outcome: { kind: string; message: string };
  node: string;
  group: string;
  dryRun: boolean;
  killSwitch?: { path: string; active: boolean };
  paused?: { reason: string; by: string; at: string };
  window?: WindowDecision;
  preDetectors?: Evaluation;
  postDetectors?: Evaluation;
  health: HealthResult[];
  /** Built-in health checks, one report per phase that ran them. */
  checks?: ChecksView[];
  /** The Kubernetes drain of this pass, if one ran. */
  drain?: { kind: string; durationMs: number; message?: string };
  policy?: PolicyVerdict;
  peers?: PeerView[];
  /** Slots held by others when we could not get one (or all slots, for status). */
  holders?: SlotHolderView[];
  slot?: { key: string; phase: string; attempts?: number; released?: boolean; deadline?: string; recursive?: boolean };
  /** The expanded reboot command (ready / lock_skipped / rebooting). */
  command?: string[];
  /** Set by the post-boot path: did the machine really reboot (new boot id)? */
  rebooted?: boolean;
  /** Set when the reboot command ran: did it exit 0? */
  rebootCommand?: { ok: boolean; error?: string };
  cooldown?: { node?: string; releasedAt?: string; durationSec?: number; remainingSec?: number };
}

/**
 * Everything one pass learned, for the human report, `--json` and the logs. What observe shows of
 * it is observe's ReportView (observe/report-view.ts): PassReport extends it with the precise
 * types and what only the loop and the commands use.
 */
import type { ReportView } from "../observe/index.ts";
import type { SlotEntry } from "../slots/index.ts";
import type { ChecksReport } from "../checks/index.ts";
import type { Outcome } from "./outcome.ts";

export interface PassReport extends ReportView {
  outcome: Outcome;
  /** Built-in health checks, one report per phase that ran them. */
  checks?: ChecksReport[];
  /** Slots held by others when we could not get one (or all slots, for status). */
  holders?: SlotEntry[];
  /** Slots per group at the start of the pass (for the slots_in_use gauge). */
  slotsInUse?: Record<string, number>;
  /** Waiting for a slot: our place in the group's FIFO queue (slots/queue.ts). */
  queue?: { position: number; length: number; ahead?: string };
}

/** What a step saw, for the report: health and check results accumulate, `slot` is patched, the rest is set. */
export type Facts = Partial<Omit<PassReport, "outcome">>;

/** How a step ended the pass: its outcome, and what it saw on the way. runPass puts both into the report. */
export interface End {
  outcome: Outcome;
  facts?: Facts;
}

export function newReport(node: string, group: string, dryRun: boolean): PassReport {
  return { outcome: { kind: "no_action", message: "" }, node, group, dryRun, health: [] };
}

/** Adds what a step learned to the report (runPass's; no step writes the report itself). */
export function mergeFacts(r: PassReport, facts: Facts | undefined): void {
  if (!facts) return;
  const { health, checks, slot, ...rest } = facts;
  if (health) r.health.push(...health);
  if (checks) (r.checks ??= []).push(...checks);
  if (slot) r.slot = { ...r.slot, ...slot };
  Object.assign(r, rest);
}

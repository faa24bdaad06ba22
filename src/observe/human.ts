/**
 * Human output of a pass and of `simulate`, in the Go daemon's layout where it has one
 * (docs/WEAKNESSES.md §Compatibility: human report), extended with what we know more (slot
 * holders, peers, post-boot).
 */
import type { Evaluation, DetectorResult } from "../detect/index.ts";
import type { HealthResult } from "../health/index.ts";
import { escapeBlock, escapeControl as esc } from "./_escape.ts";
import type { ChecksView, ReportView } from "./report-view.ts";

const secs = (ms: number) => (ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`);

export function detectorLines(e: Evaluation, indent = "  "): string[] {
  const out: string[] = [];
  for (const d of e.results) out.push(...oneDetector(d, indent));
  return out;
}

function oneDetector(d: DetectorResult, indent: string): string[] {
  const verdict = d.kind === "clear" ? "clear" : d.kind === "required" ? "reboot-required" : `error: ${d.error}`;
  const lines = [`${indent}- ${esc(d.name)} => ${esc(verdict)} (duration ${secs(d.durationMs)})`];
  // W30: an exit code only when the command actually exited.
  if (d.exitCode !== undefined) lines.push(`${indent}    exit code: ${d.exitCode}`);
  if (d.stdout?.trim()) lines.push(`${indent}    stdout: ${escapeBlock(d.stdout.trim(), `${indent}      `)}`);
  if (d.stderr?.trim()) lines.push(`${indent}    stderr: ${escapeBlock(d.stderr.trim(), `${indent}      `)}`);
  return lines;
}

function healthLines(h: HealthResult): string[] {
  const status = h.kind === "pass" || h.kind === "blocked" ? `exit=${h.exitCode}` : h.kind === "timeout" ? `timeout after ${secs(h.timeoutMs)}` : `error: ${h.error}`;
  const lines = [`${h.phase} health: ${esc(status)} duration=${secs(h.durationMs)}`];
  if (h.stdout.trim()) lines.push(`  stdout: ${escapeBlock(h.stdout.trim(), "    ")}`);
  if (h.stderr.trim()) lines.push(`  stderr: ${escapeBlock(h.stderr.trim(), "    ")}`);
  return lines;
}

function checksLines(c: ChecksView): string[] {
  const lines = [`${c.phase} checks: ${c.kind} (${esc(c.message)})`];
  for (const r of c.results) lines.push(`  - ${esc(r.name)} => ${r.kind}: ${esc(r.message)} (duration ${secs(r.durationMs)})`);
  return lines;
}

export function formatReport(r: ReportView): string {
  const out: string[] = [];
  if (r.preDetectors) out.push("pre-lock detector evaluations:", ...detectorLines(r.preDetectors));
  const pre = r.health.filter((h) => h.phase === "monitor" || h.phase === "pre-lock");
  for (const h of pre) out.push(...healthLines(h));
  for (const c of r.checks ?? []) out.push(...checksLines(c));
  if (r.slot?.attempts !== undefined) out.push(`lock acquired (slot ${r.slot.key}, attempt ${r.slot.attempts})`);
  if (r.postDetectors) out.push(`${r.slot?.attempts === undefined ? "post-boot" : "post-lock"} detector evaluations:`, ...detectorLines(r.postDetectors));
  for (const h of r.health.filter((x) => x.phase === "post-lock" || x.phase === "post-boot")) out.push(...healthLines(h));
  if (r.drain) out.push(`kubernetes drain: ${esc(r.drain.kind)} after ${secs(r.drain.durationMs)}${r.drain.message ? ` (${esc(r.drain.message)})` : ""}`);
  if (r.policy?.kind === "blocked" && r.policy.blockers.length > 0) {
    out.push("cluster health blockers:");
    for (const b of r.policy.blockers) {
      const parts = [b.record?.phase && `stage=${b.record.phase}`, b.record?.reason && `reason=${b.record.reason}`, b.record?.checked_at && `reported_at=${b.record.checked_at}`].filter(Boolean);
      out.push(esc(`  - ${b.node}${parts.length ? ` (${parts.join(", ")})` : ""}`));
    }
  }
  if (r.holders?.length) {
    out.push("slot holders:");
    for (const s of r.holders) out.push(esc(`  - ${s.node} (group ${s.group}, phase ${s.record?.phase ?? "unknown"}${s.record ? `, since ${s.record.acquired_at}` : ""})`));
  }
  out.push(esc(`outcome: ${r.outcome.kind} - ${r.outcome.message}`));
  if (r.command && (r.outcome.kind === "ready" || r.outcome.kind === "lock_skipped" || r.outcome.kind === "rebooting"))
    out.push(esc(`planned reboot command: ${r.command.join(" ")}`));
  if (r.dryRun && (r.outcome.kind === "ready" || r.outcome.kind === "lock_skipped")) out.push("dry-run enabled: reboot command not executed");
  return out.join("\n");
}

/**
 * Human output of a pass and of `simulate`, in the Go daemon's layout where it has one
 * (docs/WEAKNESSES.md §Compatibility: human report), extended with what we know more (slot
 * holders, peers, post-boot).
 */
import type { Evaluation, DetectorResult } from "../detect/index.ts";
import type { HealthResult } from "../health/index.ts";
import type { PassReport } from "../orchestrate/report.ts";

const secs = (ms: number) => (ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`);

export function detectorLines(e: Evaluation, indent = "  "): string[] {
  const out: string[] = [];
  for (const d of e.results) out.push(...oneDetector(d, indent));
  return out;
}

function oneDetector(d: DetectorResult, indent: string): string[] {
  const verdict = d.kind === "clear" ? "clear" : d.kind === "required" ? "reboot-required" : `error: ${d.error}`;
  const lines = [`${indent}- ${d.name} => ${verdict} (duration ${secs(d.durationMs)})`];
  // W30: an exit code only when the command actually exited.
  if (d.exitCode !== undefined) lines.push(`${indent}    exit code: ${d.exitCode}`);
  if (d.stdout?.trim()) lines.push(`${indent}    stdout: ${d.stdout.trim()}`);
  if (d.stderr?.trim()) lines.push(`${indent}    stderr: ${d.stderr.trim()}`);
  return lines;
}

function healthLines(h: HealthResult): string[] {
  const status = h.kind === "pass" || h.kind === "blocked" ? `exit=${h.exitCode}` : h.kind === "timeout" ? `timeout after ${secs(h.timeoutMs)}` : `error: ${h.error}`;
  const lines = [`${h.phase} health: ${status} duration=${secs(h.durationMs)}`];
  if (h.stdout.trim()) lines.push(`  stdout: ${h.stdout.trim()}`);
  if (h.stderr.trim()) lines.push(`  stderr: ${h.stderr.trim()}`);
  return lines;
}

export function formatReport(r: PassReport): string {
  const out: string[] = [];
  if (r.preDetectors) out.push("pre-lock detector evaluations:", ...detectorLines(r.preDetectors));
  const pre = r.health.filter((h) => h.phase === "monitor" || h.phase === "pre-lock");
  for (const h of pre) out.push(...healthLines(h));
  if (r.slot?.attempts !== undefined) out.push(`lock acquired (slot ${r.slot.key}, attempt ${r.slot.attempts})`);
  if (r.postDetectors) out.push(`${r.slot?.attempts === undefined ? "post-boot" : "post-lock"} detector evaluations:`, ...detectorLines(r.postDetectors));
  for (const h of r.health.filter((x) => x.phase === "post-lock" || x.phase === "post-boot")) out.push(...healthLines(h));
  if (r.policy?.kind === "blocked" && r.policy.blockers.length > 0) {
    out.push("cluster health blockers:");
    for (const b of r.policy.blockers) {
      const parts = [b.record?.phase && `stage=${b.record.phase}`, b.record?.reason && `reason=${b.record.reason}`, b.record?.checked_at && `reported_at=${b.record.checked_at}`].filter(Boolean);
      out.push(`  - ${b.node}${parts.length ? ` (${parts.join(", ")})` : ""}`);
    }
  }
  if (r.holders?.length) {
    out.push("slot holders:");
    for (const s of r.holders) out.push(`  - ${s.node} (group ${s.group}, phase ${s.record?.phase ?? "unknown"}${s.record ? `, since ${s.record.acquired_at}` : ""})`);
  }
  out.push(`outcome: ${r.outcome.kind} - ${r.outcome.message}`);
  if (r.command && (r.outcome.kind === "ready" || r.outcome.kind === "lock_skipped" || r.outcome.kind === "rebooting"))
    out.push(`planned reboot command: ${r.command.join(" ")}`);
  if (r.dryRun && (r.outcome.kind === "ready" || r.outcome.kind === "lock_skipped")) out.push("dry-run enabled: reboot command not executed");
  return out.join("\n");
}

/** A JSON-safe view of a report for `--json`. */
export function reportJson(r: PassReport): unknown {
  return {
    node: r.node,
    group: r.group,
    outcome: r.outcome.kind,
    message: r.outcome.message,
    dry_run: r.dryRun,
    ...(r.killSwitch ? { kill_switch: r.killSwitch } : {}),
    ...(r.paused ? { paused: r.paused } : {}),
    ...(r.window ? { window: r.window } : {}),
    ...(r.preDetectors ? { detectors: r.preDetectors } : {}),
    ...(r.postDetectors ? { post_detectors: r.postDetectors } : {}),
    health: r.health,
    ...(r.policy ? { policy: { kind: r.policy.kind, healthy_after: r.policy.healthyAfter, expected: r.policy.expected, ...(r.policy.kind === "blocked" ? { reasons: r.policy.reasons } : {}) } } : {}),
    ...(r.peers ? { peers: r.peers.map((p) => ({ node: p.node, status: p.status, ...(p.record ? { checked_at: p.record.checked_at, reason: p.record.reason } : {}) })) } : {}),
    ...(r.holders ? { slot_holders: r.holders.map((s) => ({ node: s.node, group: s.group, phase: s.record?.phase, acquired_at: s.record?.acquired_at })) } : {}),
    ...(r.slot ? { slot: r.slot } : {}),
    ...(r.command ? { command: r.command } : {}),
    ...(r.cooldown ? { cooldown: r.cooldown } : {}),
  };
}

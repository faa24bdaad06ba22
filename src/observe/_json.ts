/**
 * The JSON documents the binary prints (`status --json`, `run --json`, `simulate --json`, and the
 * error document of a failed `--json` command), mapped field by field from the internal types.
 *
 * Every key is snake_case, like the config and the etcd records; the internal types keep their
 * camelCase names. The mapping is explicit (no generic key conversion) so that renaming an
 * internal field is a compile error here instead of a silent change of the documented schema
 * (docs/JSON.md); tests/unit/observe/json.test.ts walks every document and checks every key.
 */
import type { PeerView, PolicyVerdict } from "../cluster/index.ts";
import type { DetectorResult, Evaluation } from "../detect/index.ts";
import type { HealthResult } from "../health/index.ts";
import type { WindowDecision } from "../windows/index.ts";
import type { CheckResultView, ChecksView, ReportView } from "./report-view.ts";

type Json = Record<string, unknown>;

/** Only the keys whose value is defined (JSON.stringify drops undefined anyway; tests see it too). */
function defined(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function reportJson(r: ReportView): Json {
  return defined({
    node: r.node,
    group: r.group,
    outcome: r.outcome.kind,
    message: r.outcome.message,
    dry_run: r.dryRun,
    kill_switch: r.killSwitch ? { path: r.killSwitch.path, active: r.killSwitch.active } : undefined,
    paused: r.paused ? { reason: r.paused.reason, by: r.paused.by, at: r.paused.at } : undefined,
    window: r.window ? windowJson(r.window) : undefined,
    detectors: r.preDetectors ? evaluationJson(r.preDetectors) : undefined,
    post_detectors: r.postDetectors ? evaluationJson(r.postDetectors) : undefined,
    health: r.health.map(healthJson),
    checks: r.checks?.map(checksJson),
    drain: r.drain ? defined({ kind: r.drain.kind, duration_ms: r.drain.durationMs, message: r.drain.message }) : undefined,
    policy: r.policy ? policyJson(r.policy) : undefined,
    peers: r.peers?.map(peerJson),
    slot_holders: r.holders?.map((s) => defined({ node: s.node, group: s.group, key: s.key, phase: s.record?.phase, acquired_at: s.record?.acquired_at })),
    slot: r.slot
      ? defined({ key: r.slot.key, phase: r.slot.phase, attempts: r.slot.attempts, released: r.slot.released, deadline: r.slot.deadline, recursive: r.slot.recursive })
      : undefined,
    command: r.command,
    rebooted: r.rebooted,
    reboot_command: r.rebootCommand ? defined({ ok: r.rebootCommand.ok, error: r.rebootCommand.error }) : undefined,
    cooldown: r.cooldown
      ? defined({ node: r.cooldown.node, released_at: r.cooldown.releasedAt, duration_sec: r.cooldown.durationSec, remaining_sec: r.cooldown.remainingSec })
      : undefined,
  });
}

/** `simulate --json`: the evaluation with its results under `detectors`. */
export function simulateJson(node: string, group: string | null, e: Evaluation): Json {
  return { node, group, requires_reboot: e.requiresReboot, has_errors: e.hasErrors, aborted: e.aborted, duration_ms: e.durationMs, detectors: e.results.map(detectorJson) };
}

/** What a `--json` command prints on stdout when it fails before it has a report. */
export function errorJson(cfg: { node_name: string; group: string | null }, message: string, error: string, kind: "runtime_error" | "group_unresolved" = "runtime_error"): Json {
  return { node: cfg.node_name, group: cfg.group, outcome: kind, message, error };
}

export function evaluationJson(e: Evaluation): Json {
  return { requires_reboot: e.requiresReboot, has_errors: e.hasErrors, aborted: e.aborted, duration_ms: e.durationMs, results: e.results.map(detectorJson) };
}

function detectorJson(d: DetectorResult): Json {
  return defined({
    name: d.name,
    type: d.type,
    kind: d.kind,
    error: d.kind === "error" ? d.error : undefined,
    duration_ms: d.durationMs,
    exit_code: d.exitCode,
    stdout: d.stdout,
    stderr: d.stderr,
    truncated: d.truncated,
  });
}

function healthJson(h: HealthResult): Json {
  return defined({
    phase: h.phase,
    kind: h.kind,
    exit_code: h.kind === "pass" || h.kind === "blocked" ? h.exitCode : undefined,
    timeout_ms: h.kind === "timeout" ? h.timeoutMs : undefined,
    error: h.kind === "error" ? h.error : undefined,
    seq: h.seq,
    duration_ms: h.durationMs,
    stdout: h.stdout,
    stderr: h.stderr,
    truncated: h.truncated,
  });
}

function checksJson(c: ChecksView): Json {
  return { phase: c.phase, kind: c.kind, message: c.message, results: c.results.map(checkJson) };
}

function checkJson(c: CheckResultView): Json {
  return defined({ name: c.name, type: c.type, kind: c.kind, message: c.message, duration_ms: c.durationMs, timeout_ms: c.kind === "timeout" ? c.timeoutMs : undefined });
}

function windowJson(w: WindowDecision): Json {
  return defined({ kind: w.kind, matched_allow: w.kind === "allowed" ? w.matchedAllow : undefined, matched_deny: w.kind === "denied" ? w.matchedDeny : undefined });
}

function policyJson(p: PolicyVerdict): Json {
  return defined({
    kind: p.kind,
    healthy_after: p.healthyAfter,
    expected: p.expected,
    reasons: p.kind === "blocked" ? p.reasons : undefined,
    blockers: p.kind === "blocked" ? p.blockers.map((b) => b.node) : undefined,
  });
}

function peerJson(p: PeerView): Json {
  return defined({ node: p.node, status: p.status, checked_at: p.record?.checked_at, reason: p.record?.reason });
}

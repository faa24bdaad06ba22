/**
 * Every JSON document the binary prints is snake_case (docs/JSON.md): walk a report with every
 * optional part filled in and check every key. Plus: the report carries the drain and the
 * built-in check results, and the human report escapes control characters from others' text.
 */
import { describe, expect, test } from "bun:test";
import { errorJson, formatReport, reportJson, simulateJson } from "../../../src/observe/index.ts";
import type { PassReport } from "../../../src/orchestrate/report.ts";
import type { Evaluation } from "../../../src/detect/index.ts";
import type { PeerView } from "../../../src/cluster/index.ts";

const ESC = "\u001b";
const evaluation: Evaluation = {
  requiresReboot: true,
  hasErrors: true,
  aborted: false,
  durationMs: 12,
  results: [
    { name: "file:/run/reboot-required", type: "file", durationMs: 1, kind: "required" },
    { name: "command:/usr/bin/x", type: "command", durationMs: 10, kind: "error", error: "timeout", exitCode: 3, stdout: "o", stderr: "e", truncated: true },
  ],
};
const record = { node: "n2", group: "g", healthy: false, phase: "monitor", reason: "disk", checked_at: "2026-01-01T00:00:00.000Z", boot_id: "b", pid: 1, seq: 1 };
const peer: PeerView = { node: "n2", status: "unhealthy", record };
const slotRecord = {
  node: "n3", group: "g", phase: "rebooting" as const, holder: "daemon" as const, pid: 1, boot_id: "b",
  acquired_at: "2026-01-01T00:00:00.000Z", phase_at: "2026-01-01T00:00:00.000Z", limit: 1, global_cap: null,
};

/** A report with every optional field set. */
function fullReport(): PassReport {
  return {
    outcome: { kind: "health_blocked", message: "blocked" },
    node: "n1",
    group: "g",
    dryRun: true,
    killSwitch: { path: "/etc/clusterrebootd/disable", active: false },
    paused: { reason: "r", by: "u@h", at: "2026-01-01T00:00:00.000Z" },
    window: { kind: "denied", matchedDeny: "Mon 00:00-01:00" },
    preDetectors: evaluation,
    postDetectors: evaluation,
    health: [
      { phase: "pre-lock", seq: 1, durationMs: 5, stdout: "ok", stderr: "", truncated: false, kind: "blocked", exitCode: 1 },
      { phase: "post-lock", seq: 2, durationMs: 5, stdout: "", stderr: "", truncated: false, kind: "timeout", timeoutMs: 30000 },
    ],
    checks: [
      {
        kind: "blocked",
        phase: "pre-lock",
        message: "longhorn: volume pvc-1 is degraded",
        results: [
          { name: "longhorn", type: "longhorn", durationMs: 3, kind: "fail", message: "volume pvc-1 is degraded" },
          { name: "http:x", type: "http", durationMs: 10000, kind: "timeout", message: "no answer", timeoutMs: 10000 },
        ],
      },
    ],
    drain: { kind: "blocked", durationMs: 600000, message: "PDB web-pdb refuses eviction" },
    policy: { kind: "blocked", reasons: ["n2 unhealthy"], blockers: [peer], healthyAfter: 1, expected: 3, peers: [peer] },
    peers: [peer],
    holders: [{ key: "/clusterrebootd/slots/g/0", group: "g", node: "n3", record: slotRecord, createRevision: 1, modRevision: 2, lease: "1" }],
    slot: { key: "/clusterrebootd/slots/g/0", phase: "preparing", attempts: 2, released: true, deadline: "2026-01-01T00:00:00.000Z", recursive: false },
    command: ["/sbin/shutdown", "-r", "now"],
    rebooted: false,
    rebootCommand: { ok: false, error: "exit 1" },
    slotsInUse: { g: 1 },
    cooldown: { node: "n0", releasedAt: "2026-01-01T00:00:00.000Z", durationSec: 60, remainingSec: 30 },
  };
}

/** Every key of every object in `x`, with its path. */
function keys(x: unknown, path = "$"): string[] {
  if (Array.isArray(x)) return x.flatMap((v, i) => keys(v, `${path}[${i}]`));
  if (x === null || typeof x !== "object") return [];
  return Object.entries(x).flatMap(([k, v]) => [`${path}.${k}`, ...keys(v, `${path}.${k}`)]);
}
const notSnake = (doc: unknown) => keys(JSON.parse(JSON.stringify(doc))).filter((p) => !/^[a-z0-9_]+$/.test(p.slice(p.lastIndexOf(".") + 1)));

describe("JSON output is snake_case everywhere", () => {
  test("status/run --json (reportJson) with every optional part", () => {
    expect(notSnake(reportJson(fullReport()))).toEqual([]);
  });

  test("simulate --json", () => {
    expect(notSnake(simulateJson("n1", "g", evaluation))).toEqual([]);
  });

  test("the error document of a failed --json command", () => {
    expect(errorJson({ node_name: "n1", group: "g" }, "status failed", "etcd unavailable")).toEqual({
      node: "n1", group: "g", outcome: "runtime_error", message: "status failed", error: "etcd unavailable",
    });
  });

  test("the walk catches camelCase (it would have caught requiresReboot beside dry_run)", () => {
    expect(notSnake({ dry_run: true, detectors: { requiresReboot: true } })).toEqual(["$.detectors.requiresReboot"]);
  });
});

describe("the report carries the drain and the built-in checks", () => {
  test("in JSON", () => {
    const doc = reportJson(fullReport()) as Record<string, unknown>;
    expect(doc["drain"]).toEqual({ kind: "blocked", duration_ms: 600000, message: "PDB web-pdb refuses eviction" });
    expect(doc["checks"]).toEqual([
      {
        phase: "pre-lock",
        kind: "blocked",
        message: "longhorn: volume pvc-1 is degraded",
        results: [
          { name: "longhorn", type: "longhorn", kind: "fail", message: "volume pvc-1 is degraded", duration_ms: 3 },
          { name: "http:x", type: "http", kind: "timeout", message: "no answer", duration_ms: 10000, timeout_ms: 10000 },
        ],
      },
    ]);
  });

  test("in the human report", () => {
    const text = formatReport(fullReport());
    expect(text).toContain("pre-lock checks: blocked (longhorn: volume pvc-1 is degraded)");
    expect(text).toContain("  - longhorn => fail: volume pvc-1 is degraded");
    expect(text).toContain("kubernetes drain: blocked after 600.0s (PDB web-pdb refuses eviction)");
  });
});

describe("human output escapes control characters", () => {
  test("health-script output and etcd-sourced names cannot drive the terminal", () => {
    const r = fullReport();
    r.health[0] = { ...r.health[0]!, stdout: `fine${ESC}]0;owned\u0007\n${ESC}[2Aline two`, stderr: "\u009b31m" };
    r.holders![0] = { ...r.holders![0]!, node: `n3${ESC}[1A` };
    r.policy = { ...r.policy!, kind: "blocked", blockers: [{ node: `evil${ESC}[2J`, status: "unhealthy" }] } as PassReport["policy"];
    const text = formatReport(r);
    expect(text).not.toContain(ESC);
    expect(text).not.toContain("\u0007");
    expect(text).not.toContain("\u009b");
    expect(text).toContain("stdout: fine\\x1b]0;owned\\x07\n    \\x1b[2Aline two");
    expect(text).toContain("  - n3\\x1b[1A (group g");
    expect(text).toContain("  - evil\\x1b[2J");
  });
});

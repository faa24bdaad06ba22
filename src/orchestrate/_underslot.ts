/**
 * Work done while holding a `preparing` slot: re-check every gate (W4), then fence (W5) and run the
 * reboot command. Any refusal releases the slot without a cooldown (nobody rebooted).
 */
import { evaluateDetectors } from "../detect/index.ts";
import { enterRebooting, readClusterState, releaseSlot, type SlotEntry, type SlotRecord } from "../slots/index.ts";
import type { Coordinator, PassMode } from "./context.ts";
import { outcome, type OutcomeKind } from "./outcome.ts";
import type { PassReport } from "./report.ts";
import { rebootVariables } from "./_command.ts";
import { restoreNode } from "./_kube.ts";
import { announceReboot } from "./_events.ts";
import { checkKillSwitch, describe, detectorErrors, loopGuard, policyVerdict, recentReboots, runHealth, windowGate } from "./_steps.ts";

/** How long the reboot command itself may run (it usually returns at once while shutdown begins). */
const REBOOT_COMMAND_TIMEOUT_MS = 120_000;

export async function underSlot(
  co: Coordinator,
  r: PassReport,
  slot: SlotEntry,
  record: SlotRecord,
  argv: string[],
  mode: PassMode,
  signal?: AbortSignal,
): Promise<PassReport> {
  const { plan, ports } = co;
  const etcd = co.etcd!;
  let drained = false;
  const release = async (kind: OutcomeKind, message: string, cooldownSec = 0) => {
    // Never give the slot back with the node still cordoned by us.
    if (drained) await restoreNode(co, "slot released without reboot");
    const rel = await releaseSlot(etcd.gw, etcd.keys, slot, { cooldownSec, nowMs: ports.clock.now(), node: plan.node });
    ports.log.event("info", "slot_released", { slot: slot.key, result: rel.kind, reason: kind });
    r.slot = { ...r.slot, key: slot.key, phase: "released", released: rel.kind === "released" };
    r.outcome = outcome(kind, message);
    return r;
  };

  const ks = await checkKillSwitch(co);
  if (ks.active) return release("kill_switch_active", `kill switch ${ks.path} present after lock`);

  const state = await readClusterState(etcd.gw, etcd.keys);
  if (state.pausePresent) return release("paused", "cluster paused after the slot was taken");
  const guard = loopGuard(co, state);
  if (guard) return release("reboot_loop_guard", guard);
  const verdict = policyVerdict(co, state);
  r.policy = verdict;
  r.peers = verdict.peers;
  if (verdict.kind === "blocked") return release("health_blocked", verdict.reasons.join("; "));

  const post = await evaluateDetectors(plan.detectors, { ...ports, env: co.env }, signal);
  r.postDetectors = post;
  if (post.hasErrors) return release("runtime_error", `post-lock detector evaluation failed: ${detectorErrors(post)}`);
  if (!post.requiresReboot) return release("recheck_cleared", "detectors cleared after lock acquisition");

  const h = await runHealth(co, r, "post-lock", { lockHeld: true, lockAttempts: r.slot?.attempts ?? 1 }, mode, signal);
  if (h.kind !== "pass") return release("health_blocked", `health script blocked reboot under lock (${describe(h)})`);

  // Kubernetes: cordon and drain while we hold the slot (PDBs decide through the Eviction API).
  if (co.kube?.drain && mode === "run") {
    if (plan.dryRun) ports.log.event("info", "would_drain", { node: co.kube.node });
    else {
      const d = await co.kube.kube.drain(co.kube.node, co.kube.drain, signal);
      ports.metrics?.observe("drain_seconds", d.durationMs / 1000, { result: d.kind });
      const detail =
        d.kind === "timeout" ? `timed out; still on the node: ${d.remaining.map((p) => `${p.namespace}/${p.name} (${p.reason})`).join(", ")}` : d.kind === "failed" ? d.reason : d.kind;
      r.drain = { kind: d.kind, durationMs: d.durationMs, ...(d.kind === "drained" ? {} : { message: detail }) };
      ports.log.event(d.kind === "drained" ? "info" : "warn", "drain_finished", { node: co.kube.node, result: d.kind, duration_ms: Math.round(d.durationMs), ...(d.kind === "drained" ? { evicted: d.evicted.length, forced: d.forced.length } : { detail }) });
      // Every result but `drained` has already uncordoned the node: just give the slot back.
      if (d.kind !== "drained") return release("drain_blocked", `drain of ${co.kube.node} did not finish (${detail}); node uncordoned, slot released`);
      drained = true;
    }
  }

  // Windows again, right before the command: a window may have closed while we prepared (W4).
  const closed = windowGate(co, r, " (re-checked under the slot)");
  if (closed) return release(...closed);

  r.command = argv;
  if (mode === "once") return release("ready", "reboot prerequisites satisfied (--once: slot released, command not run)");

  // The fence: slot still ours, not paused, no cooldown → slot moves to its long lease.
  const nowMs = ports.clock.now();
  const history = [...recentReboots(co, state.reboots.get(plan.node)), new Date(nowMs).toISOString()];
  const bootId = await ports.host.bootId();
  const prev = state.reboots.get(plan.node);
  const fence = await enterRebooting(etcd.gw, etcd.keys, slot, record, {
    slotTimeoutSec: plan.slotTimeoutSec,
    bootId,
    nowMs,
    // A dry run does not count towards the reboot-loop guard: nothing rebooted.
    reboots: plan.dryRun
      ? prev ?? { node: plan.node, history: [] }
      : { node: plan.node, history, last_reboot_at: new Date(nowMs).toISOString(), boot_id_before: bootId },
  });
  switch (fence.kind) {
    case "fenced":
      break;
    case "slot-lost":
      // Not our slot any more (lease expired during a partition?): never reboot, and do not leave
      // the node cordoned behind a slot we no longer hold.
      if (drained) await restoreNode(co, "slot lost before the reboot command");
      r.outcome = outcome("runtime_error", "reboot slot lost before the reboot command (lease expired?); not rebooting");
      return r;
    case "paused":
      return release("paused", "cluster paused right before the reboot; not rebooting");
    case "cooldown":
      return release("cooldown_active", "group cooldown started right before the reboot; not rebooting");
    default:
      return fence satisfies never;
  }
  r.slot = { key: slot.key, phase: "rebooting", attempts: r.slot?.attempts ?? 1 };
  if (co.kube && !plan.dryRun) {
    const a = await co.kube.kube.annotate(co.kube.node, "rebooting");
    if (a.kind === "failed") ports.log.event("warn", "annotate_failed", { node: co.kube.node, state: "rebooting", reason: a.reason });
  }
  ports.log.event("warn", "reboot_started", { slot: slot.key, command: argv.join(" "), dry_run: plan.dryRun, deadline: fence.record.deadline });

  if (plan.dryRun) {
    ports.log.event("info", "would_reboot", { command: argv.join(" ") });
    if (drained) await restoreNode(co, "dry run");
    const rel = await releaseSlot(etcd.gw, etcd.keys, fence.slot, { cooldownSec: plan.cooldownSec, nowMs: ports.clock.now(), node: plan.node });
    ports.log.event("info", "slot_released", { slot: slot.key, result: rel.kind, reason: "dry_run" });
    r.slot = { ...r.slot, key: slot.key, phase: "released", released: rel.kind === "released" };
    r.outcome = outcome("ready", "dry-run: would reboot now (slot taken and released like a real reboot)");
    return r;
  }

  await announceReboot(co, { group: plan.group, slot: slot.key, command: argv.join(" ") });
  // Not tied to our shutdown signal (W22): systemd stopping us must not kill the reboot command.
  const res = await ports.runner.run({
    argv,
    env: { ...co.env, ...plan.baseEnv, ...rebootVariables(state.members.size || undefined) },
    timeoutMs: REBOOT_COMMAND_TIMEOUT_MS,
  });
  if (res.kind !== "exited" || res.exitCode !== 0) {
    const why = res.kind === "exited" ? `exit ${res.exitCode}` : res.kind === "spawn-error" ? res.message : res.kind;
    ports.metrics?.inc("reboots_total", { result: "failed" });
    r.rebootCommand = { ok: false, error: why };
    ports.log.event("error", "reboot_command_failed", { command: argv.join(" "), error: why, output: (res.stdout + res.stderr).slice(-2048) });
    r.outcome = outcome("rebooting", `reboot command failed (${why}); keeping the slot until the post-boot checks after the grace period`);
    return r;
  }
  ports.metrics?.inc("reboots_total", { result: "success" });
  r.rebootCommand = { ok: true };
  ports.metrics?.set("last_reboot_timestamp_seconds", nowMs / 1000);
  r.outcome = outcome("rebooting", "reboot command issued; slot held through the reboot");
  return r;
}

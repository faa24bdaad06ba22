/**
 * One pass with a remote FleetLock server as the lock backend (lock_backend: fleetlock), so
 * clusterrebootd nodes can join an existing airlock / fleetlock deployment. The local gates are
 * ours (kill switch, windows, detectors, health script, re-checks before the command); pause,
 * cooldown, budget and cluster policy are the server's. Like Zincati: pre-reboot (recursive lock)
 * before rebooting, steady-state (unlock-if-held) whenever the node is healthy and needs nothing —
 * which is also how the slot is released after boot.
 */
import { evaluateDetectors } from "../detect/index.ts";
import type { FleetLockCallResult, FleetLockClient } from "../fleetlock/index.ts";
import type { Coordinator, PassMode } from "./context.ts";
import { outcome, type OutcomeKind } from "./outcome.ts";
import { newReport, type PassReport } from "./report.ts";
import { checkKillSwitch, commandFor, describe, detectorErrors, detectStep, localGates, runHealth, windowGate } from "./_steps.ts";
import { rebootVariables } from "./_command.ts";
import { announceReboot } from "./_events.ts";

export interface RemoteLock {
  client: FleetLockClient;
  id: string;
  group: string;
}

/** Server error kinds (ours and airlock's) mapped to our outcomes. */
function refusal(res: FleetLockCallResult): [OutcomeKind, string] {
  if (res.kind === "refused" || res.kind === "http_error") {
    const k = res.error.kind;
    const msg = `FleetLock server refused: ${k}: ${res.error.value}`;
    if (k === "failed_lock_semaphore_full" || k === "draining" || k === "conflict") return ["lock_unavailable", msg];
    if (k === "paused") return ["paused", msg];
    if (k === "cooldown") return ["cooldown_active", msg];
    if (k === "window_closed") return ["window_outside_allow", msg];
    if (k === "health_blocked") return ["health_blocked", msg];
    return ["runtime_error", msg];
  }
  if (res.kind === "timeout") return ["runtime_error", `FleetLock server did not answer within ${Math.round(res.timeoutMs / 1000)}s`];
  if (res.kind === "network_error") return ["runtime_error", `FleetLock server unreachable: ${res.message}`];
  return ["runtime_error", "FleetLock call aborted"];
}

export async function runClientPass(co: Coordinator, remote: RemoteLock, mode: PassMode, signal?: AbortSignal): Promise<PassReport> {
  const { plan, ports } = co;
  const r = newReport(plan.node, plan.group, mode !== "run" || plan.dryRun);
  const done = (kind: OutcomeKind, message: string) => ((r.outcome = outcome(kind, message)), r);

  const gate = await localGates(co, r);
  if (gate) return done(...gate);
  const d = await detectStep(co, r, mode, signal);
  if (d.kind === "stop") return done(...d.outcome);
  if (d.kind === "idle") {
    if (mode === "status") return done("no_action", "no detectors require a reboot");
    // Healthy and nothing to do: give back any lock we hold (after a reboot this is the release).
    const res = await remote.client.steadyState(remote.id, remote.group, signal);
    if (res.kind !== "ok") return done(...refusal(res));
    return done("no_action", "no detectors require a reboot (steady-state reported)");
  }

  const h = await runHealth(co, r, "pre-lock", { lockHeld: false, lockAttempts: 0 }, mode, signal);
  if (h.kind !== "pass") return done("health_blocked", `health script blocked reboot before lock (${describe(h)})`);
  const cmd = commandFor(co);
  if (!cmd.ok) return done("runtime_error", `reboot_command has unknown placeholders: ${cmd.unknown.join(", ")}`);
  r.command = cmd.argv;
  if (mode === "status") return done("lock_skipped", `would ask the FleetLock server for a slot (id ${remote.id}, group ${remote.group})`);

  const lock = await remote.client.preReboot(remote.id, remote.group, signal);
  if (lock.kind !== "ok") return done(...refusal(lock));
  r.slot = { key: `fleetlock:${remote.group}/${remote.id}`, phase: "preparing", attempts: 1 };
  ports.log.event("info", "slot_acquired", { slot: r.slot.key, backend: "fleetlock" });

  // Under the lock: our local gates once more, then the command; any refusal gives the lock back.
  const giveBack = async (kind: OutcomeKind, message: string) => {
    await remote.client.steadyState(remote.id, remote.group);
    r.slot = { ...r.slot!, phase: "released", released: true };
    return done(kind, message);
  };
  const ks2 = await checkKillSwitch(co);
  if (ks2.active) return giveBack("kill_switch_active", `kill switch ${ks2.path} present after lock`);
  const post = await evaluateDetectors(plan.detectors, { ...ports, env: co.env }, signal);
  r.postDetectors = post;
  if (post.hasErrors) return giveBack("runtime_error", `post-lock detector evaluation failed: ${detectorErrors(post)}`);
  if (!post.requiresReboot) return giveBack("recheck_cleared", "detectors cleared after lock acquisition");
  const h2 = await runHealth(co, r, "post-lock", { lockHeld: true, lockAttempts: 1 }, mode, signal);
  if (h2.kind !== "pass") return giveBack("health_blocked", `health script blocked reboot under lock (${describe(h2)})`);
  const closed = windowGate(co, r, " (re-checked under the lock)");
  if (closed) return giveBack(...closed);
  if (mode === "once" || plan.dryRun) return giveBack("ready", mode === "once" ? "reboot prerequisites satisfied (--once: lock released, command not run)" : "dry-run: would reboot now");

  ports.log.event("warn", "reboot_started", { slot: r.slot.key, command: cmd.argv.join(" "), backend: "fleetlock" });
  await announceReboot(co, { group: plan.group, slot: r.slot.key, command: cmd.argv.join(" ") });
  const res = await ports.runner.run({ argv: cmd.argv, env: { ...co.env, ...plan.baseEnv, ...rebootVariables(undefined) }, timeoutMs: 120_000 });
  r.slot = { ...r.slot, phase: "rebooting" };
  if (res.kind !== "exited" || res.exitCode !== 0) {
    const why = res.kind === "exited" ? `exit ${res.exitCode}` : res.kind === "spawn-error" ? res.message : res.kind;
    r.rebootCommand = { ok: false, error: why };
    ports.log.event("error", "reboot_command_failed", { command: cmd.argv.join(" "), error: why });
    return done("rebooting", `reboot command failed (${why}); the lock is released by steady-state once the node is healthy`);
  }
  r.rebootCommand = { ok: true };
  return done("rebooting", "reboot command issued; the FleetLock server holds our lock through the reboot");
}

/**
 * The last step, once fenced: the FleetLock server answers the grant; a dry run releases like a
 * real reboot would; otherwise the reboot command runs — one timeout, one place, for the daemon on
 * etcd and for a FleetLock client node alike. Returns the outcome and facts; pass.ts reports them.
 */
import type { Coordinator, PassMode } from "./context.ts";
import type { HeldSlot } from "./lock.ts";
import { outcome, type OutcomeKind } from "./outcome.ts";
import type { End, Facts } from "./report.ts";
import { rebootVariables } from "./_command.ts";
import { announceReboot } from "./_events.ts";
import { writeRebootingMarker } from "./_local-state.ts";
import { releaseResult } from "./_underslot.ts";

/** How long the reboot command itself may run (it usually returns at once while shutdown begins). */
export const REBOOT_COMMAND_TIMEOUT_MS = 120_000;

/** `argv` is the command gate's expansion under the slot (never expanded again here); `clusterSize` its RC_CLUSTER_SIZE. */
export async function act(co: Coordinator, slot: HeldSlot, mode: PassMode, argv: readonly string[] | undefined, clusterSize: number | undefined): Promise<End> {
  const { plan, ports } = co;
  const done = (kind: OutcomeKind, message: string, facts?: Facts): End => ({ outcome: outcome(kind, message), ...(facts ? { facts } : {}) });
  if (mode === "grant") {
    ports.log.event("info", "fleetlock_granted", { id: plan.node, group: plan.group, slot: slot.key, deadline: slot.deadline });
    return done("rebooting", "granted");
  }
  // The command gate ran under the slot and refuses a command that does not expand (W22), so an
  // unexpanded template can never run; without its expansion there is nothing to run.
  if (!argv) return done("runtime_error", "the reboot command was not resolved under the slot; not rebooting");
  const facts: Facts = { command: [...argv] };
  if (!plan.dryRun) await co.kube.annotate("rebooting");
  ports.log.event("warn", "reboot_started", { slot: slot.key, command: argv.join(" "), dry_run: plan.dryRun, deadline: slot.deadline, backend: co.lock.kind });

  if (plan.dryRun) {
    ports.log.event("info", "would_reboot", { command: argv.join(" ") });
    await co.kube.restore("dry run");
    const rel = await co.lock.release(slot, { cooldown: true, nowMs: ports.clock.now() });
    ports.log.event("info", "slot_released", { slot: slot.key, result: releaseResult(rel), reason: "dry_run" });
    return done("ready", "dry-run: would reboot now (slot taken and released like a real reboot)", { ...facts, slot: { key: slot.key, phase: "released", released: rel.kind === "released" } });
  }

  await announceReboot(co, { group: plan.group, slot: slot.key, command: argv.join(" ") });
  // Model step DEADLINE_CHECK. The slot's deadline is the budget's promise: a daemon frozen (SIGSTOP, a hung disk) after the
  // fence for longer than that has no slot any more, and must not reboot on a stale decision.
  if (slot.deadline && Date.parse(slot.deadline) <= ports.clock.now()) {
    ports.log.event("error", "reboot_skipped", { slot: slot.key, reason: "slot deadline passed before the reboot command", deadline: slot.deadline });
    return done("runtime_error", `the slot's deadline ${slot.deadline} passed before the reboot command could run (was this process stopped?); not rebooting`, facts);
  }
  // Only our etcd slots can vanish with etcd's data: a daemon notes where it goes (_local-state.ts).
  if (co.mode === "etcd") await writeRebootingMarker(co, { slot: slot.key, group: slot.group, boot_id: await ports.host.bootId(), deadline: slot.deadline ?? "" });
  // Model step EXEC. Not tied to our shutdown signal (W22): systemd stopping us must not kill the reboot command.
  const res = await ports.runner.run({ argv: [...argv], env: { ...co.env, ...plan.baseEnv, ...rebootVariables(clusterSize) }, timeoutMs: REBOOT_COMMAND_TIMEOUT_MS });
  if (res.kind !== "exited" || res.exitCode !== 0) {
    const why = res.kind === "exited" ? `exit ${res.exitCode}` : res.kind === "spawn-error" ? res.message : res.kind;
    ports.metrics.inc("reboots_total", { result: "failed" });
    ports.log.event("error", "reboot_command_failed", { command: argv.join(" "), error: why, output: (res.stdout + res.stderr).slice(-2048) });
    return done("rebooting", `reboot command failed (${why}); ${co.lock.throughReboot.failed}`, { ...facts, rebootCommand: { ok: false, error: why } });
  }
  ports.metrics.inc("reboots_total", { result: "success" });
  ports.metrics.set("last_reboot_timestamp_seconds", ports.clock.now() / 1000);
  return done("rebooting", `reboot command issued; ${co.lock.throughReboot.issued}`, { ...facts, rebootCommand: { ok: true } });
}

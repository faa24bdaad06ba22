/**
 * This node finds a slot of its own at the start of a pass. Either it is coming back from a reboot
 * (new boot id: verify, then release), or the reboot did not happen (same boot id after the grace
 * period: say so, verify, release), or a previous daemon process died before rebooting (free it).
 * The slot is released only after the post-boot health check passes (W1). Every write goes
 * through the lock backend (discard, markVerifying, fail, releaseAfterBoot); the result is a
 * value that runPass puts into the report.
 */
import { failureLimit, type SlotEntry } from "../slots/index.ts";
import type { Coordinator } from "./context.ts";
import { held } from "./lock.ts";
import { outcome, type OutcomeKind } from "./outcome.ts";
import type { End, Facts } from "./report.ts";
import { describe, runHealth } from "./_steps.ts";
import { removeRebootingMarker } from "./_local-state.ts";
import { recordFailure } from "./_failures.ts";

/**
 * The post-reboot marker (/run/clusterrebootd/post-reboot.json): on tmpfs, so it exists exactly
 * for the boot that followed a coordinated reboot; scripts and monitoring can read it. A failure to
 * write it is logged, never fatal.
 */
async function writeMarker(co: Coordinator, data: Record<string, unknown>): Promise<void> {
  const dir = co.plan.runtimeDir;
  if (!dir) return;
  try {
    await co.ports.fs.writeAtomic(`${dir}/post-reboot.json`, JSON.stringify(data, null, 2) + "\n", 0o644);
  } catch (err) {
    co.ports.log.event("warn", "marker_write_failed", { path: `${dir}/post-reboot.json`, error: err instanceof Error ? err.message : String(err) });
  }
}

export async function afterBoot(co: Coordinator, own: SlotEntry, signal?: AbortSignal): Promise<End> {
  const { plan, ports } = co;
  const rec = own.record;
  let slot = held(own);
  let seen: Facts = { slot: { key: own.key, phase: rec?.phase ?? "unknown" } };
  const done = (kind: OutcomeKind, message: string, extra: { retry?: boolean } = {}): End => ({ outcome: outcome(kind, message, extra), facts: seen });
  if (!rec) return done("runtime_error", `slot ${own.key} has an unreadable value; inspect it and run 'clusterrebootd unlock ${plan.node}'`);
  if (rec.holder !== "daemon") return done("lock_unavailable", `slot ${own.key} for this node is held by ${rec.holder}${rec.reason ? ` (${rec.reason})` : ""}`);

  const bootId = await ports.host.bootId();
  const nowMs = ports.clock.now();

  if (rec.phase === "preparing") {
    // Preparing slots live on a session lease. Ours (this process): an interrupted pass; another
    // process's: it died before rebooting. Either way nobody rebooted: free it now, no cooldown.
    // It may have died mid-drain: uncordon first (the state is on the Node's annotations).
    // A slot kept on its own lease (an earlier pass's uncordon failed) is finished the same way.
    // Model step RECOVER_PREPARING.
    const kept = rec.deadline !== undefined;
    if (!(await co.kube.restore(kept ? "finishing a slot kept after a failed uncordon" : "previous process died before rebooting")))
      return done("drain_blocked", `slot ${own.key} was left preparing, but uncordoning ${co.kube.node} failed; slot kept until it succeeds`);
    const freed = await co.lock.discard(slot);
    ports.log.event("warn", "slot_recovered", { slot: own.key, previous_pid: rec.pid, freed: freed ? 1 : 0, kept });
    return done("no_action", kept ? `node uncordoned; released the slot kept since ${rec.phase_at} (${rec.reason ?? "uncordon failed"})` : `freed a preparing slot left by pid ${rec.pid} (it never rebooted)`);
  }

  let rebooted = rec.boot_id !== bootId;
  if (rec.phase === "rebooting" && !rebooted) {
    const sinceMs = nowMs - Date.parse(rec.phase_at);
    if (sinceMs < plan.rebootGraceMs) return done("rebooting", `reboot issued ${Math.round(sinceMs / 1000)}s ago; waiting for the machine to go down`);
    ports.metrics.inc("reboots_not_happened_total");
    ports.log.event("error", "reboot_not_happened", { slot: own.key, boot_id: bootId, waited_s: Math.round(sinceMs / 1000) });
  }
  if (rec.phase === "verifying") rebooted = rec.reason !== "reboot did not happen";

  if (rec.phase === "rebooting") {
    const v = await co.lock.markVerifying(slot, { nowMs, rebooted });
    if (!v) return done("runtime_error", "our slot vanished while verifying (expired or unlocked)");
    slot = v;
    seen = { slot: { key: own.key, phase: "verifying" } };
    ports.log.event("info", "post_boot_verifying", { slot: own.key, rebooted, boot_id: bootId });
    // We came back and found our slot: the marker has done its job. From now on a vanished slot
    // is an operator's `unlock --force`, which must stay done (not be undone by us).
    await removeRebootingMarker(co);
    await co.kube.annotate("verifying");
  }

  const { h, checks } = await runHealth(co, "post-boot", { lockHeld: true, lockAttempts: 0 }, "run", signal);
  const det = await co.detect(signal);
  seen = { ...seen, health: [h], ...(checks ? { checks: [checks] } : {}), postDetectors: det };
  if (h.kind !== "pass") {
    // Past the deadline and still unhealthy: a failed reboot (max_failed_reboots ≥ 1), recorded
    // with the free of the slot; the group may freeze. Before it, the slot waits for health.
    if (rec.deadline && nowMs > Date.parse(rec.deadline) && failureLimit(rec) >= 1 && co.lock.fail) {
      const f = await co.lock.fail(slot);
      if (f) {
        recordFailure(co, f);
        seen = { ...seen, slot: { key: own.key, phase: "released", released: true } };
        return done("health_blocked", `post-boot health check still failing past the slot's deadline ${rec.deadline} (${describe(h)}): recorded as a failed reboot${f.froze ? `; group ${f.group} is frozen until 'clusterrebootd resume --group ${f.group}'` : ""}`);
      }
    }
    const until = !rec.deadline ? "" : failureLimit(rec) >= 1 ? ` or until its deadline ${rec.deadline}, when it counts as a failed reboot` : ` or until it expires at ${rec.deadline}`;
    return done("health_blocked", `post-boot health check failing (${describe(h)}); slot kept until healthy${until}`);
  }
  // Uncordon before the slot goes to the next node; if that fails, keep the slot and retry.
  if (!(await co.kube.restore("post-boot checks passed"))) return done("health_blocked", "post-boot checks passed but uncordoning the node failed; slot kept, retrying");
  if (det.requiresReboot) ports.log.event("warn", "still_requires_reboot", { slot: own.key, detectors: det.results.filter((d) => d.kind === "required").map((d) => d.name) });

  const rel = await co.lock.releaseAfterBoot(slot, { bootId, rebooted, found: rec });
  if (rel.kind === "raced") return done("runtime_error", "the release raced with another write; retrying", { retry: true });
  if (rel.kind === "gone") return done("runtime_error", "our slot vanished before release (expired or unlocked)");
  if (rel.failure) recordFailure(co, { node: plan.node, group: own.group, slot: own.key, reason: "reboot_not_happened", froze: rel.failure.froze, failures: rel.failure.failures, limit: failureLimit(rec) });
  const took = rec.acquired_at ? Math.round((ports.clock.now() - Date.parse(rec.acquired_at)) / 1000) : undefined;
  ports.log.event("info", "slot_released", { slot: own.key, reason: "post_boot_healthy", rebooted, slot_held_s: took, cooldown_s: rel.cooldownSec, ...(rel.cooldownSec !== plan.cooldownSec ? { cooldown_requested_s: plan.cooldownSec } : {}) });
  seen = { ...seen, slot: { key: own.key, phase: "released", released: true }, rebooted };
  await removeRebootingMarker(co);
  await writeMarker(co, { rebooted, boot_id_before: rel.bootIdBefore ?? null, boot_id_after: bootId, reboot_at: rel.rebootAt ?? null, released_at: new Date(ports.clock.now()).toISOString(), slot: own.key });
  const since = rel.rebootAt ? Date.parse(rel.rebootAt) : NaN;
  if (rebooted && Number.isFinite(since)) ports.metrics.observe("reboot_to_healthy_seconds", Math.max(0, (ports.clock.now() - since) / 1000));
  return rebooted
    ? done("post_boot_released", "back after reboot and healthy: slot released")
    : done("post_boot_released", `the reboot did not happen (same boot id); node healthy, slot released${rel.failure?.froze ? `; recorded as a failed reboot, group ${own.group} is frozen until 'clusterrebootd resume --group ${own.group}'` : rel.failure ? `; recorded as failed reboot ${rel.failure.failures} of max_failed_reboots ${failureLimit(rec)}` : ""}`);
}

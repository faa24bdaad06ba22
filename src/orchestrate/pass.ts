/**
 * One orchestration pass, as a list of steps. Order (docs/SLOTS.md §Pass):
 *   kill switch → etcd state (own slot: post-boot path) → pause → windows → detectors →
 *   [no reboot: monitor health] → reboot-loop guard → cluster policy → pre-lock health → cooldown →
 *   take slot → under the slot: kill switch, pause, policy, detectors, post-lock health, windows →
 *   fence → reboot command.
 * Every outcome is a value; only etcd/environment failures throw (the loop backs off on them).
 */
import { admission, readClusterState, releaseSlot, tryAcquireSlot, type ClusterState } from "../slots/index.ts";
import type { Coordinator, PassMode } from "./context.ts";
import { outcome } from "./outcome.ts";
import { handleOwnSlot } from "./_postboot.ts";
import { newReport, type PassReport } from "./report.ts";
import { checkKillSwitch, commandFor, describe, detectStep, loopGuard, policyVerdict, runHealth, windowGate } from "./_steps.ts";
import { underSlot } from "./_underslot.ts";
import { runClientPass } from "./client-pass.ts";
import { restoreLeftovers, restoreNode } from "./_kube.ts";

export async function runPass(co: Coordinator, mode: PassMode, signal?: AbortSignal): Promise<PassReport> {
  if (co.remote) return runClientPass(co, co.remote, mode, signal);
  const { plan, ports } = co;
  const r = newReport(plan.node, plan.group, mode !== "run" || plan.dryRun);
  const done = (kind: Parameters<typeof outcome>[0], message: string) => ((r.outcome = outcome(kind, message)), r);

  // 1. Node-local kill switch: nothing else runs while it is present.
  const ks = await checkKillSwitch(co);
  r.killSwitch = ks;
  if (ks.active) return done("kill_switch_active", `kill switch ${ks.path} present`);

  // 2. Cluster state; a slot of our own means we are coming back from (or never did) a reboot.
  let state: ClusterState | undefined;
  if (co.etcd) {
    await co.session?.ensureLease();
    state = await readClusterState(co.etcd.gw, co.etcd.keys, "slots");
    r.slotsInUse = {};
    for (const s of state.slots) r.slotsInUse[s.group] = (r.slotsInUse[s.group] ?? 0) + 1;
    const own = state.slots.find((s) => s.node === plan.node);
    if (own && mode !== "status") return handleOwnSlot(co, r, own, signal);
    if (!own && mode !== "status") await restoreLeftovers(co);
    if (own) {
      r.slot = { key: own.key, phase: own.record?.phase ?? "unknown" };
      return done("lock_unavailable", `this node holds slot ${own.key} (phase ${own.record?.phase ?? "unknown"}); run without --once finishes it`);
    }
    // 3. Cluster-wide pause (the etcd kill switch, W20).
    if (state.pausePresent) {
      r.paused = state.pause;
      return done("paused", `cluster paused${state.pause ? ` by ${state.pause.by}: ${state.pause.reason}` : ""}`);
    }
  }

  // 4. Maintenance windows.
  const closed = windowGate(co, r);
  if (closed) return done(...closed);

  // 5–6. Detectors; no reboot needed: monitor health keeps our record fresh.
  const d = await detectStep(co, r, mode, signal);
  if (d.kind === "stop") return done(...d.outcome);
  if (d.kind === "idle") return done("no_action", "no detectors require a reboot");

  // Everything else (members, health, cooldowns, reboot history) only when a reboot is wanted.
  if (co.etcd) state = await readClusterState(co.etcd.gw, co.etcd.keys);

  // 7. Reboot-loop guard (W28).
  if (state) {
    const guard = loopGuard(co, state);
    if (guard) return done("reboot_loop_guard", guard);
  }

  // 8. Cluster policy on the state after this node goes down (W2).
  if (state) {
    const verdict = policyVerdict(co, state);
    r.policy = verdict;
    r.peers = verdict.peers;
    if (verdict.kind === "blocked") return done("health_blocked", verdict.reasons.join("; "));
  }

  // 9. Pre-lock health.
  const h = await runHealth(co, r, "pre-lock", { lockHeld: false, lockAttempts: 0 }, mode, signal);
  if (h.kind !== "pass") return done("health_blocked", `health script blocked reboot before lock (${describe(h)})`);

  // 10. Cooldown of our group.
  if (state) {
    const cd = state.cooldowns.get(plan.group);
    if (cd) {
      r.cooldown = { ...(cd.record ? { node: cd.record.node, releasedAt: cd.record.released_at, durationSec: cd.record.duration_sec } : {}) };
      return done("cooldown_active", `reboot cooldown active for group ${plan.group}${cd.record ? ` (started by ${cd.record.node} at ${cd.record.released_at})` : ""}`);
    }
  }

  // 10b. Interactive users (bounded deferral, like locksmith/Zincati); only a pass that may reboot.
  if (plan.deferForUsers && mode === "run" && co.memory) {
    const users = await ports.host.loggedInUsers();
    const now = ports.clock.now();
    if (users.length === 0) co.memory.deferredSince = undefined;
    else {
      co.memory.deferredSince ??= now;
      const waited = now - co.memory.deferredSince;
      if (waited < plan.maxDeferMs)
        return done("users_logged_in", `deferring reboot: ${users.join(", ")} logged in (${Math.round(waited / 1000)}s of at most ${Math.round(plan.maxDeferMs / 1000)}s)`);
      ports.log.event("warn", "deferral_expired", { users, waited_s: Math.round(waited / 1000) });
    }
  }

  const cmd = commandFor(co, state?.members.size || undefined);
  if (!cmd.ok) return done("runtime_error", `reboot_command has unknown placeholders: ${cmd.unknown.join(", ")}`);

  // 11. Status (read-only, W17) and --skip-lock stop here.
  if (!co.etcd || !state) {
    r.command = cmd.argv;
    return done("lock_skipped", "lock acquisition skipped (--skip-lock)");
  }
  if (mode === "status") {
    const a = admission(state, slotRequest(co, ""));
    r.command = cmd.argv;
    if (a.kind === "ok") return done("ready", "a reboot slot is free: this node would take it and reboot now");
    if (a.kind === "full") {
      r.holders = a.holders;
      return done("lock_unavailable", `all ${a.limit} reboot slot(s) of ${a.scope === "group" ? `group ${plan.group}` : "the cluster"} are held: ${a.holders.map((s) => s.node).join(", ")}`);
    }
    return done("lock_unavailable", `cannot take a slot now (${a.kind})`);
  }

  // 12. Take a slot.
  const session = co.session;
  if (!session) throw new Error("bug: a pass that takes slots needs a session");
  const acq = await tryAcquireSlot(co.etcd.gw, co.etcd.keys, slotRequest(co, session.lease().id));
  switch (acq.kind) {
    case "acquired":
      break;
    case "full":
      r.holders = acq.holders;
      return done("lock_unavailable", `all ${acq.limit} reboot slot(s) of ${acq.scope === "group" ? `group ${plan.group}` : "the cluster"} are held: ${acq.holders.map((s) => s.node).join(", ")}`);
    case "paused":
      return done("paused", `cluster paused${acq.pause ? ` by ${acq.pause.by}: ${acq.pause.reason}` : ""}`);
    case "cooldown":
      return done("cooldown_active", `reboot cooldown active for group ${acq.group}`);
    case "already-held":
      return handleOwnSlot(co, r, acq.slot, signal);
    case "conflict":
      return done("lock_unavailable", `lost ${acq.attempts} slot races in a row; retrying`);
    default:
      return acq satisfies never;
  }
  ports.log.event("info", "slot_acquired", { slot: acq.slot.key, attempts: acq.attempts, lease: session.lease().id });
  r.slot = { key: acq.slot.key, phase: "preparing", attempts: acq.attempts };

  // 13. Under the slot: re-check everything, then fence and reboot (or release on any refusal).
  try {
    return await underSlot(co, r, acq.slot, acq.record, cmd.argv, mode, signal);
  } catch (err) {
    // Never leave a preparing slot (or our cordon) behind on an error: free it now rather than
    // after the lease TTL / the next pass.
    await restoreNode(co, "error while holding the slot").catch(() => false);
    await releaseSlot(co.etcd.gw, co.etcd.keys, acq.slot, { cooldownSec: 0, nowMs: ports.clock.now(), node: plan.node }).catch(() => {});
    throw err;
  }
}

// --- internal ---

function slotRequest(co: Coordinator, leaseId: string) {
  const { plan, ports } = co;
  return {
    node: plan.node,
    group: plan.group,
    limit: plan.limit,
    globalCap: plan.globalCap,
    holder: "daemon" as const,
    pid: ports.host.pid(),
    bootId: co.plan.baseEnv["RC_BOOT_ID"] ?? "",
    leaseId,
    nowIso: new Date(ports.clock.now()).toISOString(),
  };
}

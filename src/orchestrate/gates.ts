/**
 * Every gate of the lifecycle, each defined once. A gate reads what it needs through the
 * coordinator's capabilities (a no-op capability makes it pass: no kill switch file for the
 * FleetLock server, no cluster view for a FleetLock client) and returns a value: go on (with the
 * facts it learned for the report), stop (a refusal), hold (keep the slot and come back: a drain
 * still running for a FleetLock client) or idle (nothing to do). What the loop should remember
 * (users deferring, a drain that failed, an etcd hold lifted) is part of that value too: no gate
 * writes the report or the loop memory; pass.ts applies both. pass.ts runs the gates in the order
 * of BEFORE_SLOT and UNDER_SLOT; a new gate is added here and in one of those lists, nowhere else.
 * What a gate sees and returns is gate.ts.
 */
import { classifyPeers, evaluatePolicy } from "../cluster/index.ts";
import { describeFreeze } from "../slots/index.ts";
import { evaluateWindows, hasWindows } from "../windows/index.ts";
import type { MemoryChange } from "./context.ts";
import { go, stop, type Gate, type GateCtx } from "./gate.ts";
import { outcome } from "./outcome.ts";
import type { Facts } from "./report.ts";
import { commandFor, describe, detectorErrors, recentReboots, runHealth } from "./_steps.ts";

const under = (g: GateCtx, text: string) => (g.stage === "under" ? `${text} after lock` : text);

export const killSwitch: Gate = {
  name: "kill_switch",
  async run(g) {
    const path = g.co.plan.killSwitchFile;
    if (!path) return go();
    const st = await g.co.ports.fs.stat(path);
    // A stat error other than "missing" counts as present: refuse rather than guess.
    const active = st.kind !== "missing";
    g.co.ports.metrics.inc("kill_switch_checks_total", { stage: g.stage === "under" ? "post-lock" : "pre-lock", result: active ? "active" : "inactive" });
    const facts = { killSwitch: { path, active } };
    return active ? stop(outcome("kill_switch_active", under(g, `kill switch ${path} present`)), facts) : go(facts);
  },
};

export const pause: Gate = {
  name: "pause",
  async run(g) {
    if (!g.state?.pausePresent) return go();
    const p = g.state.pause;
    const text = g.stage === "under" ? "cluster paused after the slot was taken" : `cluster paused${p ? ` by ${p.by}: ${p.reason}` : ""}`;
    return stop(outcome("paused", text), p ? { paused: p } : {});
  },
};

/** A failed reboot froze our group (slots/failure.ts): a group-scoped pause until `resume --group`. */
export const frozen: Gate = {
  name: "frozen",
  async run(g) {
    const f = g.state?.frozen.get(g.co.plan.group);
    if (!f) return go();
    return stop(outcome("group_frozen", describeFreeze(g.co.plan.group, f.record)));
  },
};

export const window: Gate = {
  name: "window",
  async run(g) {
    const { windows } = g.co.plan;
    if (!hasWindows(windows)) return go();
    // `request-reboot --ignore-window`: windows only; budget, pause, health still apply.
    if (g.co.ignoreWindow && (await g.co.ignoreWindow())) return go();
    const w = evaluateWindows(windows, g.co.ports.clock.now());
    g.co.ports.metrics.inc("window_evaluations_total", { result: w.kind === "allowed" ? "allowed" : w.kind === "denied" ? "deny" : "outside_allow" });
    const suffix = g.stage === "under" ? " (re-checked under the slot)" : "";
    if (w.kind === "denied") return stop(outcome("window_denied", `blocked by deny window "${w.matchedDeny}"${suffix}`), { window: w });
    if (w.kind === "outside_allow") return stop(outcome("window_outside_allow", `outside configured allow windows${suffix}`), { window: w });
    return go({ window: w });
  },
};

/** Detectors; before the slot, no reboot needed → the monitor health run keeps our record fresh. */
export const detectors: Gate = {
  name: "detectors",
  async run(g) {
    const ev = await g.co.detect(g.signal);
    const phase = g.stage === "under" ? "post-lock" : "pre-lock";
    const result = ev.hasErrors ? "error" : ev.requiresReboot ? "requires" : "clear";
    g.co.ports.metrics.inc("detector_evaluations_total", { phase, result });
    g.co.ports.metrics.observe("detector_evaluation_seconds", ev.durationMs / 1000, { phase, result });
    if (g.stage === "under") {
      const facts = { postDetectors: ev };
      if (ev.hasErrors) return stop(outcome("runtime_error", `post-lock detector evaluation failed: ${detectorErrors(ev)}`), facts);
      if (!ev.requiresReboot) return stop(outcome("recheck_cleared", "detectors cleared after lock acquisition"), facts);
      return go(facts);
    }
    const facts: Facts = { preDetectors: ev };
    if (!ev.hasErrors) g.co.ports.metrics.set("reboot_required", ev.requiresReboot ? 1 : 0);
    if (ev.hasErrors) return stop(outcome("runtime_error", `detector evaluation failed: ${detectorErrors(ev)}`), facts);
    if (ev.requiresReboot) return go(facts);
    const h = await runHealth(g.co, "monitor", { lockHeld: false, lockAttempts: 0 }, g.mode, g.signal);
    const hf = { ...facts, health: [h.h], ...(h.checks ? { checks: [h.checks] } : {}) };
    if (h.h.kind !== "pass") return stop(outcome("health_blocked", `health script reported unhealthy during monitoring (${describe(h.h)})`), hf);
    // Healthy and nothing to do (runPass then lets a FleetLock client give back what it may hold).
    return { kind: "idle", outcome: outcome("no_action", "no detectors require a reboot"), facts: hf };
  },
};

/** No new slot while an etcd data loss may have freed the slots of nodes that are still down (_local-state.ts). */
export const etcdReset: Gate = {
  name: "etcd_reset",
  async run(g) {
    const { co } = g;
    const hold = co.memory.etcd.hold;
    if (!hold) return go();
    const ack = g.state?.resetAck;
    const now = co.ports.clock.now();
    if ((ack && ack.cluster_id === hold.clusterId && Date.parse(ack.at) >= hold.atMs - 60_000) || now >= hold.untilMs) {
      co.ports.log.event("warn", "etcd_reset_acknowledged", { by: ack ? ack.by : "timeout", reason: hold.reason });
      co.ports.metrics.set("etcd_reset_hold", 0);
      return go(undefined, { kind: "etcd-hold-lifted", hold });
    }
    co.ports.metrics.set("etcd_reset_hold", 1);
    return stop(
      outcome(
        "paused",
        `${hold.reason}: slots of nodes that are down may be lost, so no new reboot starts until ${new Date(hold.untilMs).toISOString()} ` +
          `(reboot_slot_timeout_sec) or until an operator runs 'clusterrebootd resume --etcd-reset'`,
      ),
    );
  },
};

/** The reboot-loop guard (W28): too many reboots of this node in the window needs an operator. */
export const loopGuard: Gate = {
  name: "loop_guard",
  async run(g) {
    if (!g.state) return go();
    const { co } = g;
    const recent = recentReboots(co, g.state.reboots.get(co.plan.node));
    if (recent.length < co.plan.maxRebootsPerNode) return go();
    return stop(
      outcome(
        "reboot_loop_guard",
        `reboot-loop guard: ${recent.length} reboots within the last ${Math.round(co.plan.rebootLoopWindowMs / 3600_000)}h ` +
          `(max_reboots_per_node ${co.plan.maxRebootsPerNode}) and a reboot is still required; ` +
          `check the detectors, then run 'clusterrebootd unlock ${co.plan.node} --reset-history' to allow more`,
      ),
    );
  },
};

/** Cluster policy on the state after this node goes down (W2). */
export const policy: Gate = {
  name: "policy",
  async run(g) {
    if (!g.state) return go();
    const { co } = g;
    const peers = classifyPeers(g.state, co.plan.node, { nowMs: co.ports.clock.now(), publishIntervalMs: co.plan.publishIntervalMs, healthTimeoutMs: co.plan.healthTimeoutMs });
    const v = evaluatePolicy(peers, co.plan.node, co.plan.policy);
    co.ports.metrics.inc("cluster_health_checks_total", { phase: g.stage === "under" ? "post-lock" : "pre-lock", result: v.kind === "allowed" ? "healthy" : "unhealthy" });
    const facts = { policy: v, peers: v.peers };
    return v.kind === "blocked" ? stop(outcome("health_blocked", v.reasons.join("; ")), facts) : go(facts);
  },
};

export const health: Gate = {
  name: "health",
  async run(g) {
    const lockHeld = g.stage === "under";
    const { h, checks } = await runHealth(g.co, lockHeld ? "post-lock" : "pre-lock", { lockHeld, lockAttempts: lockHeld ? g.attempts : 0 }, g.mode, g.signal);
    const facts = { health: [h], ...(checks ? { checks: [checks] } : {}) };
    if (h.kind === "pass") return go(facts);
    return stop(outcome("health_blocked", `health script blocked reboot ${lockHeld ? "under lock" : "before lock"} (${describe(h)})`), facts);
  },
};

export const cooldown: Gate = {
  name: "cooldown",
  async run(g) {
    if (!g.state) return go();
    const group = g.co.plan.group;
    const cd = g.state.cooldowns.get(group);
    g.co.ports.metrics.inc("cooldown_checks_total", { phase: "pre-lock", result: cd ? "active" : "inactive" });
    if (!cd) return go();
    const rec = cd.record;
    return stop(outcome("cooldown_active", `reboot cooldown active for group ${group}${rec ? ` (started by ${rec.node} at ${rec.released_at})` : ""}`), {
      cooldown: rec ? { node: rec.node, releasedAt: rec.released_at, durationSec: rec.duration_sec } : {},
    });
  },
};

/** Interactive users (bounded deferral, like locksmith/Zincati); only a pass that may reboot. */
export const users: Gate = {
  name: "users",
  async run(g) {
    const { plan, ports, memory } = g.co;
    if (!plan.deferForUsers || g.mode !== "run") return go();
    const names = await ports.host.loggedInUsers();
    const now = ports.clock.now();
    if (names.length === 0) return go(undefined, { kind: "users-deferring", since: undefined });
    const since = memory.deferredSince ?? now;
    const deferring: MemoryChange = { kind: "users-deferring", since };
    const waited = now - since;
    if (waited < plan.maxDeferMs)
      return stop(outcome("users_logged_in", `deferring reboot: ${names.join(", ")} logged in (${Math.round(waited / 1000)}s of at most ${Math.round(plan.maxDeferMs / 1000)}s)`), undefined, deferring);
    ports.log.event("warn", "deferral_expired", { users: names, waited_s: Math.round(waited / 1000) });
    return go(undefined, deferring);
  },
};

/**
 * A drain that did not finish is not retried at once: a PDB that blocked it a moment ago blocks it
 * again, and every attempt cordons and uncordons the node. Wait the check interval first.
 */
export const drainHoldoff: Gate = {
  name: "drain_holdoff",
  async run(g) {
    const { co } = g;
    if (!co.kube.drains) return go();
    const last = co.memory.drainFailures.get(co.plan.node);
    if (!last) return go();
    const left = last.atMs + co.plan.checkIntervalMs - co.ports.clock.now();
    if (left <= 0) return go(undefined, { kind: "drain-holdoff-over", node: co.plan.node, failure: last });
    return stop(outcome("drain_blocked", `the last drain of ${co.kube.node} did not finish (${last.message}); next attempt in ${Math.ceil(left / 1000)}s`));
  },
};

/** Unreadable member or reboot-history records block (never read as absent), naming the fix. */
export const records: Gate = {
  name: "records",
  async run(g) {
    const bad = g.state?.unreadable ?? [];
    if (bad.length === 0) return go();
    g.co.ports.log.event("error", "unreadable_record", { keys: bad });
    const fix = bad.map((k) => (k.includes("/reboots/") ? `clusterrebootd unlock ${k.slice(k.lastIndexOf("/") + 1)} --reset-history` : `clusterrebootd forget ${k.slice(k.lastIndexOf("/") + 1)} --force`));
    return stop(outcome("health_blocked", `unreadable record(s) in etcd: ${bad.join(", ")}; inspect them (etcdctl get KEY), then clean up with: ${fix.join("; ")}`));
  },
};

/**
 * Names are identities: a daemon finds its slot by node name, so a FleetLock client named like a
 * clusterrebootd node must never hold a slot.
 */
export const identity: Gate = {
  name: "identity",
  async run(g) {
    const { co } = g;
    if (co.mode !== "server" || !g.state) return go();
    const id = co.plan.node;
    if (g.state.members.has(id) || g.state.health.has(id))
      return stop(outcome("identity_conflict", `${id} is the name of a clusterrebootd node; FleetLock ids must differ from node names`));
    return go();
  },
};

/** The reboot command must expand (W22) before we take a slot for it. */
export const command: Gate = {
  name: "command",
  async run(g) {
    if (g.mode === "grant") return go();
    const cmd = commandFor(g.co, g.state?.members.size || undefined);
    if (!cmd.ok) return stop(outcome("runtime_error", `reboot_command has unknown placeholders: ${cmd.unknown.join(", ")}`));
    return go({ command: cmd.argv });
  },
};

/** Cordon and drain while we hold the slot (PDBs decide through the Eviction API). */
export const drain: Gate = {
  name: "drain",
  async run(g) {
    const { co } = g;
    if (!co.kube.drains || (g.mode !== "run" && g.mode !== "grant")) return go();
    if (co.plan.dryRun) {
      co.ports.log.event("info", "would_drain", { node: co.kube.node });
      return go();
    }
    const d = await co.kube.drain(g.signal);
    if (d.kind === "pending") return { kind: "hold", outcome: outcome("draining", `the node is being drained; the slot stays reserved, retry shortly`) };
    if (d.kind === "drained") return go({ drain: { kind: "drained", durationMs: d.durationMs } });
    // What happens to the cordon and the slot is giveBack's to say (the uncordon may fail).
    return stop(
      outcome("drain_blocked", `drain of ${co.kube.node} did not finish (${d.message})`),
      { drain: { kind: "blocked", durationMs: d.durationMs, message: d.message } },
      { kind: "drain-failed", node: co.plan.node, atMs: co.ports.clock.now(), message: d.message },
    );
  },
};

/** Before taking a slot, in this order (docs/ARCHITECTURE.md). Reads between them, and running them, are pass.ts's. */
export const BEFORE_SLOT = { local: [killSwitch], cluster: [etcdReset, pause, frozen, window, detectors], full: [records, identity, loopGuard, policy, health, cooldown, users, drainHoldoff, command] } as const;
/**
 * Under the slot, right before the fence: every gate again (W4), then the drain, then the window;
 * last the command, expanded on the view under the slot (RC_CLUSTER_SIZE), which is what `act` runs.
 */
export const UNDER_SLOT: readonly Gate[] = [etcdReset, killSwitch, pause, frozen, records, identity, loopGuard, policy, detectors, health, drain, window, command];

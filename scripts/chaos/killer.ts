/**
 * Daemon crashes for the chaos run, aimed at every phase: each time a daemon enters a phase
 * (seen in its log), a seeded coin decides whether to SIGKILL it a random few milliseconds later.
 * Dead daemons come back like under systemd (Restart=always, 0.2–1.5 s) unless their machine is
 * in a reboot cycle, which the fleet finishes itself. A daemon that dies without being killed is
 * recorded: that would be a product bug.
 */
import type { Fleet, SimNode } from "../sim/fleet.ts";
import { stream, type Rng } from "./rng.ts";

export type DaemonPhase = "starting" | "waiting" | "preparing" | "rebooting" | "verifying";
export const PHASES: readonly DaemonPhase[] = ["starting", "waiting", "preparing", "rebooting", "verifying"];

export interface KillPolicy {
  /** Chance to kill on entering each phase. */
  chance: Record<DaemonPhase, number>;
  /** Kill within this many ms after the phase was seen. */
  maxDelayMs: Record<DaemonPhase, number>;
  /** Kills per node per wave, so every reboot still completes. */
  perNodePerWave: number;
}

export const DEFAULT_POLICY: KillPolicy = {
  chance: { starting: 0.15, waiting: 0.25, preparing: 0.4, rebooting: 0.4, verifying: 0.4 },
  maxDelayMs: { starting: 400, waiting: 2500, preparing: 40, rebooting: 15, verifying: 40 },
  perNodePerWave: 3,
};

export interface Kill {
  node: string;
  /** Phase that triggered the decision, and the phase when the signal went out. */
  decided: DaemonPhase;
  phase: DaemonPhase;
  at: number;
}

interface NodeState {
  start: number;
  idx: number;
  phase: DaemonPhase;
  budget: number;
  killedStart: number;
  pendingKill?: { at: number; start: number; decided: DaemonPhase };
  restartAt?: number;
}

/** The phase of the node's current daemon from its log; undefined when no daemon runs. */
export class Killer {
  enabled = true;
  readonly kills: Kill[] = [];
  readonly unexpectedExits: string[] = [];
  restarts = 0;
  private state = new Map<string, NodeState>();
  private rngs = new Map<string, Rng>();

  constructor(
    private readonly fleet: Fleet,
    seed: number,
    private readonly machineRebooting: (node: string) => boolean,
    private readonly policy: KillPolicy = DEFAULT_POLICY,
  ) {
    for (const n of fleet.nodes) {
      this.rngs.set(n.name, stream(seed, `kill:${n.name}`));
      this.state.set(n.name, { start: 0, idx: 0, phase: "starting", budget: policy.perNodePerWave, killedStart: -1 });
    }
  }

  /** Someone else (a config change) is about to kill this node's daemon: not a crash. */
  expectExit(node: string): void {
    const n = this.fleet.node(node);
    this.state.get(node)!.killedStart = n.starts;
  }

  newWave(): void {
    for (const s of this.state.values()) s.budget = this.policy.perNodePerWave;
  }

  /** Call often (every ~10 ms): follows phases, fires due kills and restarts. */
  tick(now: number): void {
    for (const n of this.fleet.nodes) this.tickNode(n, this.state.get(n.name)!, this.rngs.get(n.name)!, now);
  }

  phaseOf(node: string): DaemonPhase {
    return this.state.get(node)!.phase;
  }

  private tickNode(n: SimNode, s: NodeState, rng: Rng, now: number): void {
    if (!n.running) {
      s.pendingKill = undefined;
      if (n.down || this.machineRebooting(n.name) || n.starts === 0) {
        s.restartAt = undefined;
        return;
      }
      if (s.restartAt === undefined) {
        if (s.killedStart !== n.starts && !this.unexpectedExits.some((u) => u.startsWith(`${n.name} start ${n.starts}:`)))
          this.unexpectedExits.push(`${n.name} start ${n.starts}: daemon exited without being killed\n${n.tail(8)}`);
        s.restartAt = now + rng.int(200, 1500);
      }
      if (now >= s.restartAt) {
        s.restartAt = undefined;
        n.start();
        this.restarts++;
      }
      return;
    }
    s.restartAt = undefined;
    if (n.starts !== s.start) {
      s.start = n.starts;
      this.enter(s, "starting", rng, now);
    }
    for (; s.idx < n.logs.length; s.idx++) {
      const e = n.logs[s.idx]!;
      if (e.start !== s.start) continue;
      const next = phaseAfter(e.event, e.fields, s.phase);
      if (next !== s.phase) this.enter(s, next, rng, now);
    }
    const k = s.pendingKill;
    if (k && now >= k.at) {
      s.pendingKill = undefined;
      if (k.start === n.starts && this.enabled) {
        s.killedStart = n.starts;
        this.kills.push({ node: n.name, decided: k.decided, phase: s.phase, at: now });
        void n.kill("SIGKILL");
      }
    }
  }

  private enter(s: NodeState, phase: DaemonPhase, rng: Rng, now: number): void {
    s.phase = phase;
    // Always draw both numbers, so one node's sequence of decisions depends only on its phases.
    const hit = rng.chance(this.policy.chance[phase]);
    const delay = rng.int(0, this.policy.maxDelayMs[phase]);
    if (!this.enabled || s.pendingKill || s.budget <= 0 || !hit) return;
    s.budget--;
    s.pendingKill = { at: now + delay, start: s.start, decided: phase };
  }
}

/** How a log event moves a daemon's phase (see orchestrate/: pass, under-slot, post-boot). */
export function phaseAfter(event: string, fields: Record<string, unknown>, current: DaemonPhase): DaemonPhase {
  switch (event) {
    case "starting":
      return "waiting";
    case "slot_acquired":
      return "preparing";
    case "reboot_started":
      return "rebooting";
    case "post_boot_verifying":
    case "reboot_not_happened":
      return "verifying";
    case "slot_released":
    case "slot_recovered":
      return "waiting";
    case "run_outcome":
      // A restarted daemon that finds its own slot still in `rebooting` waits for the machine.
      return fields["status"] === "rebooting" && current === "waiting" ? "rebooting" : current;
    default:
      return current;
  }
}

/** The machine around one daemon: the reboot cycle and the files that steer its sim scripts. */
import { NodeProcess, type NodeSetup } from "./_node.ts";
import type { SimNode } from "./fleet.ts";

/** A NodeProcess plus the machine around it: reboot cycle and the steering files. */
export class Machine extends NodeProcess implements SimNode {
  private autoBoot = true;
  private rebooting = false;
  down = false;

  constructor(
    setup: NodeSetup,
    /** Drawn per reboot: how long this machine stays down. */
    private readonly rebootDelayMs: () => number,
  ) {
    super(setup);
  }

  setHealthy(healthy: boolean, phases: readonly string[] = ["*"]): void {
    this.setFile("unhealthy", healthy ? null : phases.join("\n") + "\n");
  }

  setHangPhase(phase: string | null): void {
    this.setFile("hang", phase);
  }

  requireReboot(): void {
    this.setFile("rebootRequired", "");
  }

  clearRebootRequired(): void {
    this.setFile("rebootRequired", null);
  }

  setAutoBoot(on: boolean): void {
    this.autoBoot = on;
  }

  setRebootEffective(on: boolean): void {
    this.setFile("rebootNoop", on ? null : "");
  }

  boot(): void {
    if (this.running) throw new Error(`node ${this.name}: cannot boot, its daemon is running`);
    this.down = false;
    this.clearRebootRequired();
    this.setup.appendLedger(`${this.name} boot ${this.newBootId()}`);
    this.start();
  }

  /** Called every POLL_MS: a reboot request takes the machine down, then (maybe) boots it. */
  pollReboot(stopped: () => boolean): void {
    if (this.rebooting || !this.has("rebootRequested")) return;
    this.rebooting = true;
    void (async () => {
      try {
        this.setFile("rebootRequested", null);
        await this.kill("SIGKILL");
        this.setup.appendLedger(`${this.name} down`);
        this.down = true;
        if (!this.autoBoot) return;
        await Bun.sleep(this.rebootDelayMs()); // the simulated machine's boot time
        if (!stopped() && this.down) this.boot();
      } finally {
        this.rebooting = false;
      }
    })();
  }
}

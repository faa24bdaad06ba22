/** The machine around one daemon: the reboot cycle, power cuts and the files that steer its sim scripts. */
import { NodeProcess, type NodeSetup } from "./_node.ts";
import type { SimNode } from "./fleet.ts";

/**
 * How long a stopped daemon is left frozen before its slot is looked up: a transaction it had
 * already sent commits within this time, so the look-up sees it (loopback etcd answers in ms).
 */
const IN_FLIGHT_MS = 300;

/** A NodeProcess plus the machine around it: reboot cycle, power cuts and the steering files. */
export class Machine extends NodeProcess implements SimNode {
  private autoBoot = true;
  private rebooting = false;
  /** Down for a reboot its daemon asked for (the reboot command ran). */
  private downForReboot = false;
  /** Powered off (or being cut) without a reboot command: see {@link powerOff}. */
  private powered = true;

  constructor(
    setup: NodeSetup,
    /** Drawn per reboot: how long this machine stays down. */
    private readonly rebootDelayMs: () => number,
  ) {
    super(setup);
  }

  /** Not running and not to be restarted by a supervisor: rebooting, or the power is off. */
  get down(): boolean {
    return this.downForReboot || !this.powered;
  }

  get off(): boolean {
    return !this.powered;
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

  /**
   * A planned reboot's boot clears the detector (the reboot applied what required it); a boot after
   * a power cut does not: the simulated detector stands for a persistent sentinel (a staged update
   * applied by the coordinated reboot only), so the node still needs its reboot under a slot.
   */
  boot(): void {
    if (this.running) throw new Error(`node ${this.name}: cannot boot, its daemon is running`);
    if (this.downForReboot || this.powered) this.clearRebootRequired();
    this.downForReboot = false;
    this.powered = true;
    this.setup.appendLedger(`${this.name} boot ${this.newBootId()}`);
    this.start();
  }

  /**
   * An unplanned power cut of a machine whose daemon holds no slot: the daemon is frozen
   * (SIGSTOP: no more keep-alives, no more transactions), `holdsSlot` looks its slot up in etcd,
   * and only without one is it SIGKILLed and the machine left off (ledger `<node> off`) until
   * `boot()`. With a slot (or when the look-up fails) the daemon is thawed and nothing happened
   * but a short freeze. Returns whether the power went off.
   */
  async powerOff(holdsSlot: () => Promise<boolean>): Promise<boolean> {
    const pid = this.pid;
    if (pid === undefined || this.down || this.rebooting || this.has("rebootRequested")) return false;
    this.powered = false; // from here the supervisor and the reboot poller leave the machine alone
    try {
      process.kill(pid, "SIGSTOP");
    } catch {
      this.powered = true; // it died meanwhile; the supervisor restarts it
      return false;
    }
    await Bun.sleep(IN_FLIGHT_MS);
    const keep = await holdsSlot().catch(() => true);
    if (keep || this.has("rebootRequested")) {
      this.powered = true;
      if (this.pid === pid) process.kill(pid, "SIGCONT");
      return false;
    }
    await this.kill("SIGKILL");
    this.setup.appendLedger(`${this.name} off`);
    return true;
  }

  /** Called every POLL_MS: a reboot request takes the machine down, then (maybe) boots it. */
  pollReboot(stopped: () => boolean): void {
    if (this.rebooting || !this.powered || !this.has("rebootRequested")) return;
    this.rebooting = true;
    void (async () => {
      try {
        this.setFile("rebootRequested", null);
        await this.kill("SIGKILL");
        this.setup.appendLedger(`${this.name} down`);
        this.downForReboot = true;
        if (!this.autoBoot) return;
        await Bun.sleep(this.rebootDelayMs()); // the simulated machine's boot time
        if (!stopped() && this.downForReboot) this.boot();
      } finally {
        this.rebooting = false;
      }
    })();
  }
}

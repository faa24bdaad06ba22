import type { HardwareId, Host } from "../../src/platform/index.ts";

export interface FakeHostInit {
  bootId?: string;
  hostname?: string;
  pid?: number;
  uid?: number;
}

/** A Host with settable facts; `reboot()` changes the boot id like a real reboot would. */
export class FakeHost implements Host {
  bootIdValue: string;
  hostnameValue: string;
  pidValue: number;
  uidValue: number;
  private boots = 0;

  constructor(init: FakeHostInit = {}) {
    this.bootIdValue = init.bootId ?? "00000000-0000-4000-8000-000000000000";
    this.hostnameValue = init.hostname ?? "node-a";
    this.pidValue = init.pid ?? 4242;
    this.uidValue = init.uid ?? 0;
  }

  async bootId(): Promise<string> {
    return this.bootIdValue;
  }
  hostname(): string {
    return this.hostnameValue;
  }
  pid(): number {
    return this.pidValue;
  }
  users: string[] = [];
  async loggedInUsers(): Promise<string[]> {
    return [...this.users];
  }
  /** A cloned SD card: set the same node name, give another machine id. */
  machineIdValue = "0123456789abcdef0123456789abcdef";
  async machineId(): Promise<string> {
    return this.machineIdValue;
  }
  /** A clone keeps the machine id; set another hardware id here. undefined: the machine offers none. */
  hardwareIdValue: string | undefined = "file:fake-hardware-a";
  async hardwareId(): Promise<HardwareId | undefined> {
    return this.hardwareIdValue === undefined ? undefined : { id: this.hardwareIdValue, source: "file" };
  }
  stateDirValue = "/nonexistent/clusterrebootd-state";
  stateDir(): string {
    return this.stateDirValue;
  }
  uid(): number {
    return this.uidValue;
  }

  /** New boot id, as after a reboot. */
  reboot(): void {
    this.boots += 1;
    this.bootIdValue = `00000000-0000-4000-8000-${String(this.boots).padStart(12, "0")}`;
  }
}

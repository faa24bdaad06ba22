/**
 * One qemu virtual machine of the VM tier: a qcow2 overlay on the cached image, direct kernel
 * boot, the serial console read line by line and timestamped on the host (the external ledger),
 * SSH through a loopback hostfwd, and the host's etcd (and a binary server) reachable from the
 * guest at 10.0.2.100 through qemu's user network. The host side binds loopback only; the qemu
 * process is killed by its own handle (its PID), never by name.
 */
import type { Subprocess } from "bun";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { CONSOLE, type Image } from "./_image.ts";
import { parentDeathPrefix, trackChild } from "../support/reaper.ts";
import { freePort } from "../support/ports.ts";
import { waitFor } from "../support/wait.ts";
import { requireTool } from "../support/tools.ts";

/** Address of the host's services inside every guest (qemu guestfwd). */
export const HOST_IN_GUEST = "10.0.2.100";
export const GUEST_ETCD = `http://${HOST_IN_GUEST}:2379`;
export const GUEST_HTTP = `http://${HOST_IN_GUEST}:8080`;

export type Accel = "kvm" | "tcg";

/**
 * The CPU under TCG is the oldest model each binary supports: for amd64 that is x86-64-v2
 * (Nehalem: SSE4.2, POPCNT), what Bun's baseline runtime needs; qemu's default qemu64 (like
 * Proxmox's kvm64) lacks it and the binary dies with SIGILL before any of our code runs.
 */
function accelArgs(accel: Accel, arch: "amd64" | "arm64"): string[] {
  if (accel === "kvm") return ["-accel", "kvm", "-cpu", "host"];
  // tb-size: without a cap, qemu's code cache grows with every guest reboot (~1.6 GiB after two).
  return ["-accel", "tcg,tb-size=128", "-cpu", arch === "amd64" ? "Nehalem" : "cortex-a72"];
}

export interface LedgerEntry {
  /** Host time (ms since epoch) the line arrived. */
  at: number;
  vm: string;
  /** UP/DOWN: printed by the guest's ledger unit; OFF/ON: the host cut or restored the power. */
  kind: "UP" | "DOWN" | "OFF" | "ON";
  bootId?: string;
}

export interface VmOptions {
  name: string;
  image: Image;
  /** Per-run temp dir; the overlay and the console log go there. */
  dir: string;
  etcdPort: number;
  httpPort?: number;
  /** A NoCloud seed (iso9660 labelled cidata) attached as a second disk. */
  seed?: string;
  /** Extra kernel command line (e.g. `cloud-init=disabled`). */
  append?: string;
  accel: Accel;
  ledger: LedgerEntry[];
  log: (line: string) => void;
  memMb?: number;
}

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

export class Vm {
  readonly name: string;
  readonly overlay: string;
  sshPort = 0;
  /** Every console line since the first start, with the host time it arrived. */
  readonly console: { at: number; text: string }[] = [];
  private proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  /** SMBIOS system UUID: each VM its own, the same across its restarts, as real hardware. */
  private readonly uuid = randomUUID();

  constructor(private readonly o: VmOptions) {
    this.name = o.name;
    this.overlay = join(o.dir, `${o.name}.qcow2`);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Creates the overlay (first start only) and starts qemu; returns once the process runs. */
  async start(): Promise<void> {
    const arch = this.o.image.arch;
    requireTool(arch === "amd64" ? "qemu-system-x86_64" : "qemu-system-aarch64", arch === "amd64" ? "qemu-system-x86" : "qemu-system-arm");
    if (!(await Bun.file(this.overlay).exists())) {
      const p = Bun.spawnSync(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", this.o.image.rootfs, this.overlay]);
      if (p.exitCode !== 0) throw new Error(`qemu-img create failed: ${p.stderr.toString()}`);
    }
    if (!this.sshPort) this.sshPort = await freePort();
    const fwd = [
      `hostfwd=tcp:127.0.0.1:${this.sshPort}-:22`,
      // The cmd: form opens one connection per guest connection; the tcp: form is a single
      // connection made at start, useless for gRPC. -N: close towards the host when the guest does.
      `guestfwd=tcp:${HOST_IN_GUEST}:2379-cmd:nc -N 127.0.0.1 ${this.o.etcdPort}`,
      ...(this.o.httpPort ? [`guestfwd=tcp:${HOST_IN_GUEST}:8080-cmd:nc -N 127.0.0.1 ${this.o.httpPort}`] : []),
    ];
    const append = [`console=${CONSOLE[arch]}`, "root=/dev/vda", "rw", "quiet", `systemd.hostname=${this.name}`, "net.ifnames=0", this.o.append ?? ""].join(" ").trim();
    const argv = [
      arch === "amd64" ? "qemu-system-x86_64" : "qemu-system-aarch64",
      ...(arch === "arm64" ? ["-M", "virt"] : []), ...accelArgs(this.o.accel, arch), "-m", String(this.o.memMb ?? 512), "-smp", "1", "-uuid", this.uuid,
      "-nodefaults", "-no-user-config", "-display", "none",
      "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
      "-kernel", this.o.image.kernel, "-initrd", this.o.image.initrd, "-append", append,
      "-drive", `file=${this.overlay},if=virtio,format=qcow2,cache=unsafe`,
      ...(this.o.seed ? ["-drive", `file=${this.o.seed},if=virtio,format=raw,readonly=on`] : []),
      "-netdev", `user,id=n0,restrict=on,${fwd.join(",")}`, "-device", "virtio-net-pci,netdev=n0",
      "-device", "virtio-rng-pci",
    ];
    // Under setpriv --pdeathsig: the kernel kills qemu if this runner dies, however it dies.
    const proc = Bun.spawn([...parentDeathPrefix(), ...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    trackChild(proc);
    this.proc = proc;
    this.o.ledger.push({ at: Date.now(), vm: this.name, kind: "ON" });
    this.o.log(`${this.name}: qemu started (pid ${proc.pid}, ssh 127.0.0.1:${this.sshPort})`);
    void this.readConsole(proc);
  }

  /** Hard power-off: SIGKILL of this VM's qemu (by its PID), as pulling the plug. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    proc.kill("SIGKILL");
    await proc.exited;
    this.o.ledger.push({ at: Date.now(), vm: this.name, kind: "OFF" });
    this.o.log(`${this.name}: powered off (qemu pid ${proc.pid} killed)`);
  }

  private async readConsole(proc: Subprocess<"ignore", "pipe", "pipe">): Promise<void> {
    const file = Bun.file(join(this.o.dir, `${this.name}.console.log`)).writer();
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of proc.stdout) {
      file.write(chunk);
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const text of lines) this.onLine(text);
    }
    await file.end();
    const err = await new Response(proc.stderr).text();
    if (err.trim() && proc.signalCode !== "SIGKILL") this.o.log(`${this.name}: qemu stderr: ${err.trim().slice(-500)}`);
  }

  private onLine(text: string): void {
    const at = Date.now();
    this.console.push({ at, text });
    const m = /VMLEDGER (UP|DOWN) ([0-9a-f-]+)/.exec(text);
    if (!m) return;
    const kind = m[1] as "UP" | "DOWN";
    this.o.ledger.push({ at, vm: this.name, kind, bootId: m[2] });
    this.o.log(`${this.name}: ${kind === "UP" ? "up (multi-user reached)" : "going down"} boot ${m[2]!.slice(0, 8)}`);
  }

  /** Runs `command` in the guest as root through sh; never throws for a non-zero exit. */
  async ssh(command: string, timeoutMs = 120_000): Promise<Exec> {
    const p = Bun.spawn(["ssh", ...this.sshOptions(), "-p", String(this.sshPort), "root@127.0.0.1", command], {
      stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs, killSignal: "SIGKILL",
    });
    const [code, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code, stdout, stderr };
  }

  /** Like {@link ssh}, but a non-zero exit is an error quoting the output. */
  async sshOk(command: string, timeoutMs = 120_000): Promise<string> {
    const r = await this.ssh(command, timeoutMs);
    if (r.code !== 0) throw new Error(`${this.name}: '${command}' exited ${r.code}:\n${(r.stdout + r.stderr).slice(-3000)}`);
    return r.stdout;
  }

  async scp(local: string, remote: string): Promise<void> {
    const p = Bun.spawn(["scp", "-q", ...this.sshOptions(), "-P", String(this.sshPort), local, `root@127.0.0.1:${remote}`], {
      stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 300_000, killSignal: "SIGKILL",
    });
    const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
    if (code !== 0) throw new Error(`${this.name}: scp ${local} failed (exit ${code}): ${err}`);
  }

  /** Waits until SSH answers (the guest booted far enough for sshd). */
  async waitSsh(timeoutMs: number): Promise<void> {
    await waitFor(async () => this.running && (await this.ssh("true", 15_000)).code === 0, { timeoutMs, intervalMs: 2000, what: `${this.name} to answer ssh` });
  }

  async bootId(): Promise<string> {
    return (await this.sshOk("cat /proc/sys/kernel/random/boot_id")).trim();
  }

  private sshOptions(): string[] {
    return [
      "-i", this.o.image.sshKey, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
      "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
    ];
  }
}

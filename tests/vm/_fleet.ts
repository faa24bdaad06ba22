/**
 * The host side of the VM tier: one real etcd on loopback for every guest, a loopback HTTP server
 * for the binaries (the cloud-init and first-boot paths download them), the accelerator choice,
 * a temp dir, and the teardown that kills every qemu by its PID and removes what was made.
 */
import type { Server } from "bun";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { stringify } from "yaml";
import { etcdctl, startEtcd, type EtcdCluster } from "../support/etcd.ts";
import { ownedDirPrefix, parentDeathPrefix, sweepStaleDirs, trackChild, trackDir, untrackDir } from "../support/reaper.ts";
import { requireTool } from "../support/tools.ts";
import { waitFor } from "../support/wait.ts";
import type { Arch, Image } from "./_image.ts";
import { Vm, type Accel, type LedgerEntry, type VmOptions } from "./_vm.ts";

export const NAMESPACE = "/clusterrebootd";

export interface Fleet {
  etcd: EtcdCluster;
  etcdPort: number;
  httpPort: number;
  dir: string;
  accel: Accel;
  ledger: LedgerEntry[];
  vms: Vm[];
  log: (line: string) => void;
  addVm(o: Pick<VmOptions, "name" | "seed" | "append">): Vm;
  /** Slot keys in etcd (`/clusterrebootd/slots/<group>/<node>`) with their phase. */
  slots(): Promise<{ key: string; phase: string }[]>;
  stop(): Promise<void>;
}

/** Progress lines for a person watching the run, with the seconds since the tier started. */
export function progress(): (line: string) => void {
  const t0 = performance.now();
  return (line) => process.stderr.write(`[vm ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

/** Files the guests may download from http://10.0.2.100:8080/<name> (plus a SHA256SUMS of them). */
export async function startFleet(image: Image, files: string[], log: (line: string) => void): Promise<Fleet> {
  requireTool("nc", "netcat-openbsd");
  sweepStaleDirs("vm");
  const dir = mkdtempSync(ownedDirPrefix("vm"));
  trackDir(dir);
  const etcd = await startEtcd();
  const etcdPort = Number(new URL(etcd.endpoints[0]!).port);
  const server = await serveFiles(files);
  const accel = await chooseAccel(image);
  log(`host: etcd on 127.0.0.1:${etcdPort}, files on 127.0.0.1:${server.port}, qemu accel ${accel}, temp ${dir}`);
  const ledger: LedgerEntry[] = [];
  const vms: Vm[] = [];
  return {
    etcd, etcdPort, httpPort: server.port!, dir, accel, ledger, vms, log,
    addVm(o) {
      const vm = new Vm({ ...o, image, dir, etcdPort, httpPort: server.port!, accel, ledger, log });
      vms.push(vm);
      return vm;
    },
    async slots() {
      const out = await etcdctl(etcd, ["get", "--prefix", `${NAMESPACE}/slots/`, "-w", "json"]);
      const kvs = (JSON.parse(out) as { kvs?: { key: string; value: string }[] }).kvs ?? [];
      return kvs.map((kv) => {
        const value = JSON.parse(Buffer.from(kv.value, "base64").toString()) as { phase?: string };
        return { key: Buffer.from(kv.key, "base64").toString(), phase: value.phase ?? "?" };
      });
    },
    async stop() {
      await Promise.all(vms.map((vm) => vm.kill()));
      void server.stop(true);
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}

async function serveFiles(files: string[]): Promise<Server<undefined>> {
  const byName = new Map(files.map((f) => [basename(f), f]));
  const sums: string[] = [];
  for (const f of files) sums.push(`${createHash("sha256").update(await Bun.file(f).bytes()).digest("hex")}  ${basename(f)}`);
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const name = new URL(req.url).pathname.slice(1);
      if (name === "SHA256SUMS") return new Response(sums.join("\n") + "\n");
      const path = byName.get(name);
      return path ? new Response(Bun.file(path)) : new Response("not found\n", { status: 404 });
    },
  });
}

/**
 * KVM when it can boot this kernel, TCG otherwise. Some hosts have a /dev/kvm that cannot run a
 * stock kernel (qemu fails at once, or the guest hangs in decompression): a 10 s probe boots the
 * kernel alone and looks for its first console line. CRD_VM_ACCEL=tcg|kvm skips the probe.
 */
async function chooseAccel(image: Image): Promise<Accel> {
  const forced = process.env["CRD_VM_ACCEL"];
  if (forced === "kvm" || forced === "tcg") return forced;
  if (image.arch !== hostArch() || !existsSync("/dev/kvm")) return "tcg";
  // A KVM that cannot boot this kernel stays that way until the host reboots: probe once per host boot.
  const hostBoot = (await Bun.file("/proc/sys/kernel/random/boot_id").text()).trim();
  const memo = join(image.dir, `accel-${hostBoot}`);
  if (existsSync(memo)) return (await Bun.file(memo).text()).trim() === "kvm" ? "kvm" : "tcg";
  const qemu = image.arch === "amd64" ? "qemu-system-x86_64" : "qemu-system-aarch64";
  const machine = image.arch === "arm64" ? ["-M", "virt"] : [];
  const console = image.arch === "amd64" ? "ttyS0" : "ttyAMA0";
  const p = Bun.spawn([...parentDeathPrefix(), qemu, ...machine, "-accel", "kvm", "-cpu", "host", "-m", "256", "-nodefaults", "-display", "none", "-no-reboot",
    "-serial", "stdio", "-kernel", image.kernel, "-append", `console=${console} panic=-1`], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  trackChild(p);
  let out = "";
  const reader = (async () => { for await (const c of p.stdout) out += new TextDecoder().decode(c); })();
  const works = await waitFor(() => (/Linux version/.test(out) ? "yes" : p.exitCode !== null ? "no" : false), { timeoutMs: 10_000, intervalMs: 100, what: "the KVM probe" }).catch(() => "no");
  p.kill("SIGKILL");
  await p.exited;
  await reader.catch(() => undefined);
  const accel: Accel = works === "yes" ? "kvm" : "tcg";
  await Bun.write(memo, accel + "\n");
  return accel;
}

function hostArch(): Arch {
  return process.arch === "arm64" ? "arm64" : "amd64";
}

/** The daemon's config for a VM of the fleet (service or timer mode; the same file for both). */
export function nodeConfig(name: string, extra: Record<string, unknown> = {}): string {
  const base: Record<string, unknown> = {
    node_name: name,
    group: "workers",
    max_concurrent_reboots: 1,
    reboot_required_detectors: [{ type: "file", path: "/var/run/reboot-required" }],
    health_script: "/usr/local/bin/clusterrebootd-health",
    etcd_endpoints: ["http://10.0.2.100:2379"],
    dry_run: false,
    check_interval_sec: 5,
    reboot_grace_sec: 60,
    reboot_slot_timeout_sec: 900,
    ...extra,
  };
  return stringify(base);
}

/** The health script the VMs use: healthy once boot has finished (as configs/cloud-init.yaml). */
export const HEALTH_SCRIPT = `#!/bin/sh
set -eu
systemctl is-system-running --quiet || [ "$(systemctl is-system-running)" = degraded ]
`;

/** Writes `content` to `path` in the guest (base64 through ssh: no quoting surprises). */
export async function putFile(vm: Vm, path: string, content: string, mode = "0644"): Promise<void> {
  const b64 = Buffer.from(content).toString("base64");
  await vm.sshOk(`mkdir -p "$(dirname ${path})" && echo ${b64} | base64 -d > ${path} && chmod ${mode} ${path}`);
}

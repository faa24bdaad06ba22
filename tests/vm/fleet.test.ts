/**
 * The VM tier (amd64): three real Debian machines under qemu, installed the three ways operators
 * install clusterrebootd, reboot for real under systemd against one etcd on the host, and meet
 * real faults. The ledger of who is down is external: the guests print UP/DOWN on their serial
 * consoles and the host timestamps the lines. Progress goes to stderr as it happens.
 *
 *   vm1  .deb with apt, service mode        vm2  scp + `install --timer`, timer mode
 *   vm3  configs/cloud-init.yaml run by cloud-init (service mode)
 *
 * Run alone: `npm run test:vm`. ~10 min warm on 2 busy cores (README, "The VM tier").
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { artifacts } from "../packaging/_artifacts.ts";
import { history, journal, named, ups, waitRebooted } from "./_checks.ts";
import { nodeConfig, progress, putFile, startFleet, type Fleet } from "./_fleet.ts";
import { ensureImage } from "./_image.ts";
import { cloudInitDone, cloudInitSeed, installDeb, installScpTimer } from "./_install.ts";
import { maxDown, render } from "./_ledger.ts";
import type { Vm } from "./_vm.ts";
import { waitFor } from "../support/wait.ts";

const MIN = 60_000;
const log = progress();
let fleet: Fleet;
let vm1: Vm, vm2: Vm, vm3: Vm;
const firstBoot = new Map<string, { bootId: string; machineId: string }>();
let failed: string | undefined;

/** The steps build on each other: after one fails, the next ones fail at once instead of waiting out their deadlines. */
function step(name: string, fn: () => Promise<void>, timeoutMs: number): void {
  test(name, async () => {
    if (failed) throw new Error(`not run: an earlier step failed (${failed})`);
    try {
      await fn();
    } catch (error) {
      failed = name;
      throw error;
    }
  }, timeoutMs);
}

beforeAll(async () => {
  const image = await ensureImage("amd64", log);
  const a = await artifacts();
  fleet = await startFleet(image, [join(a.dist, "clusterrebootd-linux-amd64")], log);
  vm1 = fleet.addVm({ name: "vm1", append: "cloud-init=disabled" });
  vm2 = fleet.addVm({ name: "vm2", append: "cloud-init=disabled" });
  vm3 = fleet.addVm({ name: "vm3", seed: await cloudInitSeed(fleet.dir, "vm3") });
  const t = performance.now();
  for (const vm of fleet.vms) await vm.start();
  await Promise.all(fleet.vms.map((vm) => vm.waitSsh(5 * MIN)));
  log(`fleet: 3 VMs answer ssh after ${((performance.now() - t) / 1000).toFixed(0)} s`);
}, 15 * MIN);

afterAll(async () => {
  if (!fleet) return;
  for (const vm of fleet.vms) log(`${vm.name}: qemu pid ${vm.pid} RSS ${await rssMiB(vm)} MiB at the end`);
  await fleet.stop();
}, MIN);

describe("VM tier, amd64", () => {
  step("each install path reaches a valid config and an active unit", async () => {
    const a = await artifacts();
    const t = performance.now();
    await Promise.all([
      installDeb(vm1, a.deb.amd64, nodeConfig("vm1")).then(() => log("vm1: .deb installed, clusterrebootd.service enabled")),
      installScpTimer(vm2, join(a.dist, "clusterrebootd-linux-amd64"), nodeConfig("vm2")).then(() => log("vm2: scp + install --timer, clusterrebootd.timer enabled")),
      cloudInitDone(vm3).then((s) => log(`vm3: cloud-init finished (${/status: \S+/.exec(s)?.[0] ?? "?"})`)),
    ]);
    log(`install: all three done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    // One ssh round trip per VM (each costs seconds under emulation), the three in parallel.
    const units = { vm1: "clusterrebootd.service", vm2: "clusterrebootd.timer", vm3: "clusterrebootd.service" } as Record<string, string>;
    await Promise.all(fleet.vms.map(async (vm) => {
      const out = await vm.sshOk(`clusterrebootd validate-config >&2 && systemctl is-active ${units[vm.name]} && clusterrebootd status --skip-lock >&2 && cat /proc/sys/kernel/random/boot_id /etc/machine-id && grep '^node_name:' /etc/clusterrebootd/config.yaml`);
      const [active, bootId, machineId, nodeName] = out.trim().split("\n");
      expect(active).toBe("active");
      // cloud-init's runcmd filled in the hostname; the others got their name from us.
      expect(nodeName).toBe(`node_name: ${vm.name}`);
      firstBoot.set(vm.name, { bootId: bootId!, machineId: machineId! });
    }));
  }, 15 * MIN);

  step("a rolling reboot: three VMs need one, group limit 1; each really reboots once and releases after boot", async () => {
    const since = Date.now();
    await Promise.all(fleet.vms.map((vm) => vm.sshOk("touch /var/run/reboot-required")));
    log("rolling: /var/run/reboot-required on vm1, vm2, vm3");
    await waitRebooted(fleet, fleet.vms, since, 10 * MIN);
    const phase = fleet.ledger.filter((e) => e.at >= since);
    log(`rolling: done in ${((Date.now() - since) / 1000).toFixed(0)} s\n${render(phase)}`);
    expect(maxDown(phase, ["vm1", "vm2", "vm3"]).count).toBe(1);
    await Promise.all(fleet.vms.map(async (vm) => {
      expect(phase.filter((e) => e.vm === vm.name && e.kind === "DOWN")).toHaveLength(1);
      const before = firstBoot.get(vm.name)!;
      expect(ups(phase, vm.name, since)[0]!.bootId).not.toBe(before.bootId);
      // Nothing needed any more: status says so without touching a slot.
      const [bootId, machineId] = (await vm.sshOk("clusterrebootd status --skip-lock >&2 && cat /proc/sys/kernel/random/boot_id /etc/machine-id")).trim().split("\n");
      expect(bootId).not.toBe(before.bootId);
      expect(machineId).toBe(before.machineId);
    }));
    const entries = await history(vm1);
    for (const vm of fleet.vms) {
      const mine = entries.filter((e) => e.node === vm.name);
      expect(mine.map((e) => e.outcome)).toEqual(["rebooted"]);
      expect(mine[0]!.boot_id_before).toBe(firstBoot.get(vm.name)!.bootId);
    }
    for (const [vm, unit] of [[vm1, "clusterrebootd.service"], [vm2, "clusterrebootd-pass.service"], [vm3, "clusterrebootd.service"]] as const) {
      const j = await journal(vm, unit, { report: vm === vm2 });
      log(`${vm.name}: ${unit}: systemd said: ${j.systemd.join(" | ")}`);
      log(`${vm.name}: ${unit}: events: ${j.events.map((e) => e.event).join(" ")}`);
      expect(named(j.events, "reboot_started")).toHaveLength(1);
      const released = named(j.events, "slot_released").filter((e) => e.fields?.["reason"] === "post_boot_healthy");
      expect(released).toHaveLength(1);
      // Stopped by systemd during the shutdown without a failure, a timeout or a SIGKILL.
      expect(j.systemd.filter((m) => /Failed with result|timed out|Killing process|SIGKILL/.test(m))).toEqual([]);
    }
  }, 12 * MIN);

  step("power cut while holding the slot: nobody else reboots while it is off; back on, it finishes and releases", async () => {
    const since = Date.now();
    await vm1.sshOk("touch /var/run/reboot-required");
    await waitFor(async () => (await fleet.slots()).some((s) => s.key.endsWith("/workers/vm1") && s.phase === "rebooting"), {
      timeoutMs: 3 * MIN, intervalMs: 100, what: "vm1 to hold its slot in phase rebooting",
    });
    await vm1.kill();
    // vm2 needs a reboot while vm1 is off; vm3 needs one too but its kill switch stops it.
    await vm3.sshOk("touch /etc/clusterrebootd/disable /var/run/reboot-required");
    await vm2.sshOk("touch /var/run/reboot-required");
    const offUntil = Date.now() + 45_000;
    log("power: vm1 powered off holding its slot; kept off for 45 s while vm2 and vm3 need a reboot");
    await waitFor(async () => {
      if (fleet.ledger.some((e) => e.at > since && e.kind === "DOWN" && e.vm !== "vm1")) throw new Error("another VM went down while vm1 was off");
      return Date.now() >= offUntil;
    }, { timeoutMs: 60_000, intervalMs: 500, what: "45 s with vm1 off" }).catch((e) => {
      throw new Error(`${(e as Error).message}\n${render(fleet.ledger.filter((x) => x.at >= since))}`);
    });
    expect(await fleet.slots()).toEqual([{ key: "/clusterrebootd/slots/workers/vm1", phase: "rebooting" }]);
    expect((await vm2.ssh("clusterrebootd status")).code).toBe(4);
    expect((await vm3.ssh("clusterrebootd status")).code).toBe(5);
    await vm1.start();
    log("power: vm1 powered on again");
    await waitRebooted(fleet, [vm1, vm2], since, 8 * MIN);
    const phase = fleet.ledger.filter((e) => e.at >= since);
    log(`power: done\n${render(phase)}`);
    expect(maxDown(phase, ["vm1", "vm2", "vm3"]).count).toBe(1);
    expect(phase.filter((e) => e.vm === "vm3" && (e.kind === "DOWN" || e.kind === "UP"))).toEqual([]);
    const vm1History = (await history(vm1)).filter((e) => e.node === "vm1");
    expect(vm1History.map((e) => e.outcome)).toEqual(["rebooted", "rebooted"]);
    // The kill switch held vm3 back through free slots: its passes said so.
    const held = named((await journal(vm3, "clusterrebootd.service")).events, "run_outcome").filter((e) => Date.parse(e.ts) >= since - 5000);
    expect(held.some((e) => e.fields?.["status"] === "kill_switch_active")).toBe(true);
    await vm3.sshOk("rm -f /etc/clusterrebootd/disable /var/run/reboot-required");
  }, 12 * MIN);

  step("a reboot command that fails ends with reboot_not_happened and the slot given back", async () => {
    const since = Date.now();
    // A broken command that also withdraws the need, so the daemon does not simply try again.
    const broken = ["/bin/sh", "-c", "rm -f /run/reboot-required; echo 'reboot refused' >&2; exit 1"];
    await putFile(vm3, "/etc/clusterrebootd/config.yaml", nodeConfig("vm3", { reboot_command: broken, reboot_grace_sec: 10 }), "0640");
    await vm3.sshOk("clusterrebootd validate-config && systemctl restart clusterrebootd.service && touch /var/run/reboot-required");
    log("broken: vm3's reboot_command now fails");
    const events = await waitFor(async () => {
      const j = await journal(vm3, "clusterrebootd.service");
      const fresh = j.events.filter((e) => Date.parse(e.ts) >= since - 5000);
      return named(fresh, "slot_released").length > 0 && fresh;
    }, { timeoutMs: 4 * MIN, intervalMs: 3000, what: "vm3 to give its slot back after the failed reboot" });
    for (const name of ["reboot_started", "reboot_command_failed", "reboot_not_happened", "slot_released"]) expect(named(events, name).length).toBeGreaterThan(0);
    expect(await fleet.slots()).toEqual([]);
    expect(fleet.ledger.filter((e) => e.at >= since && e.vm === "vm3")).toEqual([]);
    const last = (await history(vm1)).filter((e) => e.node === "vm3").at(-1);
    expect(last?.outcome).toBe("reboot_not_happened");
  }, 6 * MIN);
});

async function rssMiB(vm: Vm): Promise<number> {
  const status = await Bun.file(`/proc/${vm.pid}/status`).text().catch(() => "");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/**
 * The three ways an operator installs clusterrebootd, done the way the README says, one VM each:
 * the .deb with apt (service mode), the binary copied with scp and `install --timer` over SSH
 * (timer mode), and configs/cloud-init.yaml as NoCloud user-data run by the guest's cloud-init.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { requireTool } from "../support/tools.ts";
import { HEALTH_SCRIPT, putFile } from "./_fleet.ts";
import { GUEST_ETCD, GUEST_HTTP, type Vm } from "./_vm.ts";

const REPO = resolve(import.meta.dir, "../..");

/** `apt install ./clusterrebootd_*.deb`, the node's config, then `systemctl enable --now` the daemon. */
export async function installDeb(vm: Vm, deb: string, config: string): Promise<void> {
  await vm.scp(deb, `/tmp/${basename(deb)}`);
  await vm.sshOk(`cd /tmp && DEBIAN_FRONTEND=noninteractive apt install -y -q ./${basename(deb)} 2>&1`, 300_000);
  await putFile(vm, "/usr/local/bin/clusterrebootd-health", HEALTH_SCRIPT, "0755");
  await putFile(vm, "/etc/clusterrebootd/config.yaml", config, "0640");
  await vm.sshOk("clusterrebootd validate-config && systemctl enable --now clusterrebootd.service");
}

/**
 * scp the binary, `install --timer` over SSH, the node's config, and the timer made faster with a
 * drop-in (the documented way to change its schedule): the shipped 1 min after boot and every
 * 5 min would make a rolling reboot of three VMs take half an hour.
 */
export async function installScpTimer(vm: Vm, binary: string, config: string): Promise<void> {
  await vm.scp(binary, "/tmp/clusterrebootd");
  await vm.sshOk("chmod 0755 /tmp/clusterrebootd && /tmp/clusterrebootd install --timer");
  await putFile(vm, "/usr/local/bin/clusterrebootd-health", HEALTH_SCRIPT, "0755");
  await putFile(vm, "/etc/clusterrebootd/config.yaml", config, "0640");
  await putFile(vm, "/etc/systemd/system/clusterrebootd.timer.d/fast.conf", TIMER_DROP_IN);
  await vm.sshOk("clusterrebootd validate-config && systemctl daemon-reload && systemctl enable --now clusterrebootd.timer");
}

/**
 * One empty assignment only: in a [Timer] section it clears every timer of the unit, not just the
 * one named, so a second reset would wipe the OnBootSec= set before it.
 */
export const TIMER_DROP_IN = `[Timer]
OnBootSec=
OnBootSec=5s
OnUnitInactiveSec=10s
RandomizedDelaySec=0
AccuracySec=1s
`;

/**
 * configs/cloud-init.yaml with exactly the parts its header says to replace before use: BASE (the
 * loopback file server the guest reaches at 10.0.2.100:8080), the etcd endpoints and TLS (the
 * host's plain etcd), plus what a test of a real reboot needs: no maintenance window, no dry run,
 * short intervals. Each replacement must match exactly once, so an edit of the file that moves
 * what we rely on fails here instead of testing something else.
 */
export function cloudInitUserData(raw: string): string {
  const swaps: [string | RegExp, string][] = [
    ["BASE=https://downloads.example.org/clusterrebootd/v0.1.0", `BASE=${GUEST_HTTP}`],
    [/      etcd_endpoints:\n(        - https:\/\/etcd-\d\.example\.internal:2379\n){3}/, `      etcd_endpoints:\n        - ${GUEST_ETCD}\n`],
    ["      etcd_tls:\n        enabled: true\n", "      etcd_tls:\n        enabled: false\n"],
    ['      windows:\n        allow:\n          - "Mon-Fri 02:00-05:00"\n', ""],
    ["      dry_run: true\n", "      dry_run: false\n      check_interval_sec: 5\n      reboot_grace_sec: 60\n      reboot_slot_timeout_sec: 900\n"],
  ];
  let out = raw;
  for (const [from, to] of swaps) {
    const n = typeof from === "string" ? out.split(from).length - 1 : (out.match(new RegExp(from.source, "g")) ?? []).length;
    if (n !== 1) throw new Error(`configs/cloud-init.yaml: expected exactly one ${String(from).slice(0, 60)}…, found ${n}`);
    out = out.replace(from, to);
  }
  return out;
}

/** A NoCloud seed disk (iso9660, label cidata) holding the user-data and the instance's meta-data. */
export async function cloudInitSeed(dir: string, hostname: string): Promise<string> {
  requireTool("genisoimage", "genisoimage");
  const raw = await readFile(join(REPO, "configs/cloud-init.yaml"), "utf8");
  const seedDir = join(dir, `seed-${hostname}`);
  await Bun.write(join(seedDir, "user-data"), cloudInitUserData(raw));
  await writeFile(join(seedDir, "meta-data"), `instance-id: ${hostname}\nlocal-hostname: ${hostname}\n`);
  const iso = join(dir, `seed-${hostname}.iso`);
  const p = Bun.spawn(["genisoimage", "-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock", join(seedDir, "user-data"), join(seedDir, "meta-data")], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`genisoimage failed (exit ${code}): ${err}`);
  return iso;
}

/** Waits for cloud-init's verdict in the guest; returns its `status --long` text. */
export async function cloudInitDone(vm: Vm): Promise<string> {
  const r = await vm.ssh("cloud-init status --wait --long", 600_000);
  // 0 done, 2 done with recoverable errors (e.g. a deprecated key); anything else is a failure.
  if (r.code !== 0) throw new Error(`${vm.name}: cloud-init did not finish cleanly (exit ${r.code}):\n${r.stdout}${r.stderr}\n${(await vm.ssh("tail -n 60 /var/log/cloud-init-output.log")).stdout}`);
  return r.stdout;
}

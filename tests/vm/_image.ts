/**
 * The guest image of the VM tier: a minimal Debian bookworm built by mmdebstrap from Debian's
 * packages only, as an ext4 file made with `mkfs.ext4 -d` (no loop mount, no root-only kernel
 * feature beyond what mmdebstrap itself needs), plus the kernel and initrd copied out of its /boot
 * for qemu's direct kernel boot. Building costs minutes, so the result is cached outside the repo
 * under a hash of everything that goes into it; VMs boot from qcow2 overlays on top of it.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { requireTool } from "../support/tools.ts";
import { alive } from "../support/reaper.ts";

export type Arch = "amd64" | "arm64";

export interface Image {
  arch: Arch;
  dir: string;
  rootfs: string;
  kernel: string;
  initrd: string;
  /** Private key whose public half is root's authorized key in the image. */
  sshKey: string;
  /** Seconds the build took, or 0 when the cache had it. */
  builtInSec: number;
}

/** Bump to rebuild every cached image (e.g. after a Debian point release changed something we rely on). */
const RECIPE_VERSION = 1;

/**
 * The cloud kernel: every virtio driver qemu needs, a tenth of the generic kernel's modules, so
 * the image and (under qemu-user, for arm64) depmod and the initrd are much cheaper.
 */
function packages(arch: Arch): string[] {
  const common = ["systemd-sysv", "udev", "dbus", "openssh-server", "iproute2", "kmod", "initramfs-tools", "curl"];
  // cloud-init (python) only where a test uses it: it doubles the arm64 build under emulation.
  return arch === "amd64" ? [`linux-image-cloud-${arch}`, ...common, "cloud-init"] : [`linux-image-cloud-${arch}`, ...common];
}

/** Console device of qemu's first serial port on each machine type. */
export const CONSOLE: Record<Arch, string> = { amd64: "ttyS0", arm64: "ttyAMA0" };

/**
 * Runs in the image before the kernel is installed: a small initrd with just the drivers the
 * VM boots from (mkinitramfs cannot detect hardware in a chroot, and "most" drivers is what makes
 * the arm64 build slow under emulation).
 */
const ESSENTIAL_HOOK = String.raw`set -e
mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\n' > "$1/etc/initramfs-tools/conf.d/vm.conf"
printf 'virtio_pci\nvirtio_mmio\nvirtio_blk\next4\ncrc32c_generic\n' > "$1/usr/share/initramfs-tools/modules.d/vm"`;

/** Everything that makes the rootfs a bootable, reachable test machine. $1 is the rootfs. */
function customizeHook(arch: Arch): string {
  const tty = CONSOLE[arch];
  return String.raw`set -e
R="$1"
echo vm > "$R/etc/hostname"
# Empty machine-id: each VM makes its own on first boot and keeps it (the daemon's identity).
: > "$R/etc/machine-id"; rm -f "$R/var/lib/dbus/machine-id"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 0\n' > "$R/etc/fstab"
printf '[Match]\nName=en* eth*\n[Network]\nDHCP=ipv4\n' > "$R/etc/systemd/network/80-vm.network"
mkdir -p "$R/var/log/journal" "$R/root/.ssh"; chmod 700 "$R/root/.ssh"
cp "$VM_PUBKEY" "$R/root/.ssh/authorized_keys"; chmod 600 "$R/root/.ssh/authorized_keys"
# The external ledger: UP once the machine reached multi-user, DOWN as the first step of a
# shutdown, on the console, where the host timestamps them (a guest clock cannot be trusted).
cat > "$R/etc/systemd/system/vm-ledger.service" <<'EOF'
[Unit]
Description=VM test ledger (UP/DOWN on the console)
After=multi-user.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'echo "VMLEDGER UP $(cat /proc/sys/kernel/random/boot_id)" > /dev/console'
ExecStop=/bin/sh -c 'echo "VMLEDGER DOWN $(cat /proc/sys/kernel/random/boot_id)" > /dev/console'
[Install]
WantedBy=multi-user.target
EOF
if [ -d "$R/etc/cloud" ]; then
  # NoCloud seed disk only; the VM's network is the image's own (networkd, DHCP); C.UTF-8 is
  # built into glibc (cloud-init's default en_US.UTF-8 would need the locale data we leave out).
  printf 'datasource_list: [NoCloud, None]\nnetwork: {config: disabled}\nlocale: C.UTF-8\n' > "$R/etc/cloud/cloud.cfg.d/90-vm.cfg"
fi
systemctl --root="$R" enable systemd-networkd.service vm-ledger.service
# Timers and gettys that only cost CPU under emulation.
systemctl --root="$R" mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer serial-getty@${tty}.service getty@tty1.service
cp "$R"/boot/vmlinuz-* "$VM_OUT/vmlinuz"
cp "$R"/boot/initrd.img-* "$VM_OUT/initrd.img"`;
}

function mmdebstrapArgs(arch: Arch): string[] {
  return [
    "--variant=minbase", `--architectures=${arch}`, `--include=${packages(arch).join(",")}`,
    // No docs or man pages: nothing reads them, and man-db's trigger is slow under emulation.
    "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    `--essential-hook=${ESSENTIAL_HOOK}`, `--customize-hook=${customizeHook(arch)}`,
    "bookworm",
  ];
}

export function cacheRoot(): string {
  if (process.env["CRD_VM_CACHE"]) return process.env["CRD_VM_CACHE"];
  return process.getuid?.() === 0 ? "/var/cache/clusterrebootd-vm" : join(homedir(), ".cache/clusterrebootd-vm");
}

/** Cache key: the recipe, not the time of the build (Debian point releases do not rebuild it). */
export function imageKey(arch: Arch): string {
  const h = createHash("sha256").update(JSON.stringify({ RECIPE_VERSION, arch, args: mmdebstrapArgs(arch), size: IMAGE_SIZE }));
  return `${arch}-${h.digest("hex").slice(0, 16)}`;
}

const IMAGE_SIZE = "3G";

/** The cached image for `arch`, built first if needed; `log` gets progress lines. */
export async function ensureImage(arch: Arch, log: (line: string) => void): Promise<Image> {
  for (const [tool, pkg] of [["mmdebstrap", "mmdebstrap"], ["mkfs.ext4", "e2fsprogs"], ["ssh-keygen", "openssh-client"], ["qemu-img", "qemu-utils"]] as const) requireTool(tool, pkg);
  if (arch === "arm64") await ensureBinfmt();
  const dir = join(cacheRoot(), imageKey(arch));
  const image = (builtInSec: number): Image => ({
    arch, dir, rootfs: join(dir, "rootfs.img"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img"), sshKey: join(dir, "id_ed25519"), builtInSec,
  });
  if (existsSync(join(dir, "done"))) return image(0);
  const started = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, "root"), { recursive: true });
  try {
    log(`image: building Debian bookworm ${arch} with mmdebstrap into ${tmp} (a few minutes; cached afterwards)`);
    await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "clusterrebootd-vm", "-f", join(tmp, "id_ed25519")]);
    const env = { ...process.env, VM_PUBKEY: join(tmp, "id_ed25519.pub"), VM_OUT: tmp };
    await run(["mmdebstrap", "--quiet", ...mmdebstrapArgs(arch), join(tmp, "root")], env);
    log(`image: rootfs done after ${secs(started)} s; mkfs.ext4 -d`);
    await run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", join(tmp, "root"), join(tmp, "rootfs.img"), IMAGE_SIZE]);
    await rm(join(tmp, "root"), { recursive: true, force: true });
    await writeFile(join(tmp, "done"), `${new Date().toISOString()} ${secs(started)} s\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await prune(arch, dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  log(`image: ${arch} built in ${secs(started)} s: ${dir}`);
  return image(Number(secs(started)));
}

/** Images of older recipes for this arch, and builds whose process died, are dead weight (~0.5 GiB each). */
async function prune(arch: Arch, keep: string): Promise<void> {
  for (const name of await readdir(cacheRoot())) {
    if (!name.startsWith(`${arch}-`) || join(cacheRoot(), name) === keep) continue;
    const pid = Number(/\.tmp-(\d+)$/.exec(name)?.[1] ?? 0);
    if (pid > 0 && alive(pid)) continue;
    await rm(join(cacheRoot(), name), { recursive: true, force: true });
  }
}


/**
 * mmdebstrap runs the arm64 maintainer scripts through qemu-user, which needs the kernel's
 * binfmt_misc entry. systemd-binfmt registers it when qemu-user-static is installed on a host
 * that runs systemd; containers often do not, so as root we register Debian's own entry here.
 */
async function ensureBinfmt(): Promise<void> {
  const entry = "/proc/sys/fs/binfmt_misc/qemu-aarch64";
  const conf = "/usr/lib/binfmt.d/qemu-aarch64.conf";
  if (existsSync(entry)) return;
  requireTool(conf, "qemu-user-static");
  const how = `mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; cat ${conf} > /proc/sys/fs/binfmt_misc/register`;
  if (process.getuid?.() !== 0) throw new Error(`arm64 binaries cannot run here (no binfmt_misc entry ${entry}); as root: ${how}`);
  if (!existsSync("/proc/sys/fs/binfmt_misc/register")) await run(["mount", "-t", "binfmt_misc", "binfmt_misc", "/proc/sys/fs/binfmt_misc"]);
  await writeFile("/proc/sys/fs/binfmt_misc/register", await Bun.file(conf).text());
  if (!existsSync(entry)) throw new Error(`registering ${conf} did not create ${entry}; try: ${how}`);
}

async function run(argv: string[], env?: Record<string, string | undefined>): Promise<void> {
  const p = Bun.spawn(argv, { env: env ?? process.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`${argv[0]} failed (exit ${code}):\n${(out + err).slice(-4000)}`);
}

function secs(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(0);
}

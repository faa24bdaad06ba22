/**
 * The POSIX sh scripts a simulated fleet runs: one shared reboot command and one health script per
 * node. They keep no state of their own: everything they decide comes from small files in the node
 * dir that the fleet (and the tests through it) write, so a test flips behaviour by writing a file.
 *
 * Ledger lines (one shared file, appended with `>>`, which is atomic for lines this short):
 *   <epoch-ms> <node> reboot <boot_id> [noop]
 *   <epoch-ms> <node> health <phase> ok|fail|hang
 * `date +%s%3N` is GNU date (coreutils); busybox would need another clock.
 */

/** Files in a node dir that steer the scripts (names shared with fleet.ts). */
export const NODE_FILES = {
  name: "name",
  bootId: "boot_id",
  /** The machine's /etc/machine-id (CLUSTERREBOOTD_MACHINE_ID_FILE). */
  machineId: "machine-id",
  /**
   * The machine's hardware id (CLUSTERREBOOTD_HARDWARE_ID_FILE; stands in for DMI product_uuid or
   * the device-tree serial): a disk clone copies the machine id, not this.
   */
  hardwareId: "hardware-id",
  /** CLUSTERREBOOTD_STATE_DIR and CLUSTERREBOOTD_RUNTIME_DIR of the node. */
  stateDir: "state",
  runtimeDir: "run",
  /** The file detector: a reboot is required while it exists. */
  rebootRequired: "reboot-required",
  /** Touched by the reboot command: the fleet takes the machine down. */
  rebootRequested: "reboot-requested",
  /** While present, the reboot command succeeds but the machine does not go down. */
  rebootNoop: "reboot-noop",
  /** Phases (one a line, `*` = all) in which the health script fails. */
  unhealthy: "unhealthy",
  /** The one phase in which the health script hangs. */
  hang: "hang",
  killSwitch: "disable",
  health: "health.sh",
  config: "config.yaml",
  daemonLog: "daemon.log",
} as const;

/** Present while the fleet runs; hung health scripts give up once it is gone. */
export const ALIVE_FILE = "alive";
export const LEDGER_FILE = "ledger";
export const REBOOT_SCRIPT = "sim-reboot.sh";

/** Longest a hung health script lingers after its daemon died and nobody cleaned up (orphans). */
const HANG_CAP_TENTHS = 3000;

/** Single-quotes a value for sh. */
export function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The reboot command, shared by every node: `sim-reboot.sh <nodeDir>`. */
export function rebootScript(ledger: string): string {
  return `#!/bin/sh
# Simulated 'shutdown -r now' (written by scripts/sim/fleet.ts). Usage: sim-reboot.sh NODE_DIR
# Records the reboot in the ledger and asks the fleet to take the machine down; with
# NODE_DIR/${NODE_FILES.rebootNoop} present the command succeeds and nothing goes down.
set -eu
d=$1
ledger=${shq(ledger)}
node=$(cat "$d/${NODE_FILES.name}")
boot=$(cat "$d/${NODE_FILES.bootId}")
if [ -e "$d/${NODE_FILES.rebootNoop}" ]; then
  echo "$(date +%s%3N) $node reboot $boot noop" >> "$ledger"
  exit 0
fi
echo "$(date +%s%3N) $node reboot $boot" >> "$ledger"
: > "$d/${NODE_FILES.rebootRequested}"
`;
}

/** The health script of one node; its verdict comes from files in the node dir. */
export function healthScript(o: { node: string; nodeDir: string; ledger: string; aliveFile: string }): string {
  return `#!/bin/sh
# Simulated health script of node ${o.node} (written by scripts/sim/fleet.ts).
# hang: NODE_DIR/${NODE_FILES.hang} names RC_PHASE -> sleep until that changes, the machine reboots
#       (new boot id) or the fleet stops; then fail.
# fail: NODE_DIR/${NODE_FILES.unhealthy} lists RC_PHASE or '*' -> exit 1.  Otherwise exit 0.
d=${shq(o.nodeDir)}
ledger=${shq(o.ledger)}
alive=${shq(o.aliveFile)}
node=${shq(o.node)}
phase=\${RC_PHASE:-unknown}
note() { echo "$(date +%s%3N) $node health $phase $1" >> "$ledger"; }
if [ -f "$d/${NODE_FILES.hang}" ] && [ "$(cat "$d/${NODE_FILES.hang}" 2>/dev/null)" = "$phase" ]; then
  note hang
  boot=$(cat "$d/${NODE_FILES.bootId}")
  n=0
  while [ -e "$alive" ] && [ "$(cat "$d/${NODE_FILES.hang}" 2>/dev/null)" = "$phase" ] \\
    && [ "$(cat "$d/${NODE_FILES.bootId}" 2>/dev/null)" = "$boot" ] && [ "$n" -lt ${HANG_CAP_TENTHS} ]; do
    sleep 0.1
    n=$((n + 1))
  done
  exit 1
fi
if [ -f "$d/${NODE_FILES.unhealthy}" ] && grep -qxF -e "$phase" -e '*' "$d/${NODE_FILES.unhealthy}"; then
  note fail
  exit 1
fi
note ok
exit 0
`;
}

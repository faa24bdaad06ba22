/**
 * A clone: a second machine configured with another machine's node_name (a copied disk image, a
 * mistyped config). It gets its own machine id, hardware id, boot id, state and runtime dirs, its own detector
 * (a reboot pending, so it would reboot if it could), health script and kill switch; its reboot
 * command is the fleet's, pointed at the clone's dir, so a reboot would show in the ledger as
 * `<node>~clone reboot` and leave `reboot-requested` in its dir. It must never get that far: the
 * product refuses a node name whose live record or slot belongs to another machine.
 *
 * A disk clone (`diskOf`: an SD card copied with rpi-clone or dd from a running machine) has the
 * original's machine id and a copy of its state dir (so its "rebooting under slot S" marker too);
 * only the hardware id (DMI product_uuid, device-tree serial) and the boot id differ. The product
 * must tell it apart by the hardware id: exit 2, the original's slot untouched.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { newHardwareId, newMachineId, NodeProcess } from "./_node.ts";
import { healthScript, NODE_FILES } from "./_scripts.ts";

export interface CloneSpec {
  /** The node whose name it claims. */
  of: string;
  /** The original's node dir: a disk clone, with its machine id and state dir (see the header). */
  diskOf?: string;
  group: string;
  configPath: string;
  dir: string;
  argv: string[];
  baseEnv: Record<string, string>;
  ledger: string;
  aliveFile: string;
  rebootCmd: string;
  appendLedger(line: string): void;
}

export class Clone extends NodeProcess {
  readonly of: string;
  /** A disk clone: same machine id as the original, another hardware id. */
  readonly sameMachineId: boolean;

  constructor(spec: CloneSpec, env: Record<string, string>) {
    super({ name: `${spec.of}~clone`, group: spec.group, dir: spec.dir, argv: spec.argv, env, appendLedger: spec.appendLedger });
    this.of = spec.of;
    this.sameMachineId = spec.diskOf !== undefined;
  }

  /** The clone ran its reboot command (a violation: two machines with one name must not reboot). */
  get rebooted(): boolean {
    return this.has("rebootRequested");
  }
}

export function makeClone(spec: CloneSpec): Clone {
  const d = spec.dir;
  const stateOf = spec.diskOf && join(spec.diskOf, NODE_FILES.stateDir);
  // A disk copy carries the original's state (taken while it runs: whatever is on disk now).
  if (stateOf && existsSync(stateOf)) cpSync(stateOf, join(d, NODE_FILES.stateDir), { recursive: true });
  mkdirSync(join(d, NODE_FILES.stateDir), { recursive: true });
  mkdirSync(join(d, NODE_FILES.runtimeDir), { recursive: true });
  const env = {
    ...spec.baseEnv,
    HOME: d,
    CLUSTERREBOOTD_BOOT_ID_FILE: join(d, NODE_FILES.bootId),
    CLUSTERREBOOTD_MACHINE_ID_FILE: join(d, NODE_FILES.machineId),
    CLUSTERREBOOTD_HARDWARE_ID_FILE: join(d, NODE_FILES.hardwareId),
    CLUSTERREBOOTD_STATE_DIR: join(d, NODE_FILES.stateDir),
    CLUSTERREBOOTD_RUNTIME_DIR: join(d, NODE_FILES.runtimeDir),
  };
  const c = new Clone(spec, env);
  writeFileSync(c.path("name"), c.name + "\n");
  const machineId = spec.diskOf ? readFileSync(join(spec.diskOf, NODE_FILES.machineId), "utf8").trim() : newMachineId();
  writeFileSync(c.path("machineId"), machineId + "\n");
  writeFileSync(c.path("hardwareId"), newHardwareId() + "\n");
  c.newBootId();
  c.setFile("rebootRequired", "");
  writeFileSync(c.path("health"), healthScript({ node: c.name, nodeDir: d, ledger: spec.ledger, aliveFile: spec.aliveFile }));
  chmodSync(c.path("health"), 0o755);
  const cfg = parse(readFileSync(spec.configPath, "utf8")) as Record<string, unknown>;
  // Same node_name and group (the point of a clone); everything local is the clone's own.
  cfg["reboot_required_detectors"] = [{ type: "file", path: c.path("rebootRequired") }];
  cfg["health_script"] = c.path("health");
  cfg["kill_switch_file"] = c.path("killSwitch");
  cfg["reboot_command"] = [spec.rebootCmd, d];
  cfg["windows"] = { deny: [], allow: [], timezone: "UTC" };
  writeFileSync(c.configPath, stringify(cfg));
  return c;
}

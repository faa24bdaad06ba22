/**
 * A clone: a second machine configured with another machine's node_name (a copied disk image, a
 * mistyped config). It gets its own machine id, boot id, state and runtime dirs, its own detector
 * (a reboot pending, so it would reboot if it could), health script and kill switch; its reboot
 * command is the fleet's, pointed at the clone's dir, so a reboot would show in the ledger as
 * `<node>~clone reboot` and leave `reboot-requested` in its dir. It must never get that far: the
 * product refuses a node name whose live record or slot belongs to another machine.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { newMachineId, NodeProcess } from "./_node.ts";
import { healthScript, NODE_FILES } from "./_scripts.ts";

export interface CloneSpec {
  /** The node whose name it claims. */
  of: string;
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

  constructor(spec: CloneSpec, env: Record<string, string>) {
    super({ name: `${spec.of}~clone`, group: spec.group, dir: spec.dir, argv: spec.argv, env, appendLedger: spec.appendLedger });
    this.of = spec.of;
  }

  /** The clone ran its reboot command (a violation: two machines with one name must not reboot). */
  get rebooted(): boolean {
    return this.has("rebootRequested");
  }
}

export function makeClone(spec: CloneSpec): Clone {
  const d = spec.dir;
  mkdirSync(join(d, NODE_FILES.stateDir), { recursive: true });
  mkdirSync(join(d, NODE_FILES.runtimeDir), { recursive: true });
  const env = {
    ...spec.baseEnv,
    HOME: d,
    CLUSTERREBOOTD_BOOT_ID_FILE: join(d, NODE_FILES.bootId),
    CLUSTERREBOOTD_MACHINE_ID_FILE: join(d, NODE_FILES.machineId),
    CLUSTERREBOOTD_STATE_DIR: join(d, NODE_FILES.stateDir),
    CLUSTERREBOOTD_RUNTIME_DIR: join(d, NODE_FILES.runtimeDir),
  };
  const c = new Clone(spec, env);
  writeFileSync(c.path("name"), c.name + "\n");
  writeFileSync(c.path("machineId"), newMachineId() + "\n");
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

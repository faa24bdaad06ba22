/**
 * Fleet simulator: N real clusterrebootd daemons on one machine against a real etcd, each a
 * "node" with its own dir, boot id, health script and reboot command — so slot hand-offs, crashes
 * and etcd trouble can be exercised end to end without rebooting anything.
 *
 *   const fleet = await createFleet({ endpoints, dir, nodes: [{ name: "n1", group: "g1" }, …] });
 *   try {
 *     for (const n of fleet.nodes) n.requireReboot();
 *     fleet.startAll();
 *     await fleet.node("n1").waitForEvent("slot_released");
 *   } finally { await fleet.stop(); }
 *
 * How a reboot is simulated: the reboot command (`<dir>/sim-reboot.sh <nodeDir>`) appends
 * `<epoch-ms> <node> reboot <boot_id>` to the shared ledger (`<dir>/ledger`) and touches
 * `<nodeDir>/reboot-requested`. The fleet polls for that file, SIGKILLs the node's daemon (the
 * machine goes down: no graceful stop, leases are not revoked), waits `rebootDelayMs`, removes the
 * detector file, writes a new boot id (the daemons read it through CLUSTERREBOOTD_BOOT_ID_FILE)
 * and starts the daemon again (the machine boots). Every node has its own machine id, state dir and
 * runtime dir (CLUSTERREBOOTD_MACHINE_ID_FILE, _STATE_DIR, _RUNTIME_DIR) and its own hardware id
 * (CLUSTERREBOOTD_HARDWARE_ID_FILE). `setAutoBoot(false)` keeps a node down until `boot()`;
 * `setRebootEffective(false)` makes the command succeed without the machine going down;
 * `powerOff()` cuts a machine that holds no slot, until `boot()`.
 * The fleet adds `<ms> <node> down|off` and `<ms> <node> boot <boot_id>` lines to the ledger; the
 * health scripts add `<ms> <node> health <phase> ok|fail|hang` (see ledger.ts, _scripts.ts).
 *
 * Every daemon runs under `setpriv --pdeathsig KILL` where available, so none outlives the
 * process that created the fleet; `stop()` kills them by their process handles. The caller owns
 * `dir` (create it, remove it after `stop()`).
 */
import { appendFileSync, chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { awayWindows, maxOverlap, parseLedger, type LedgerEntry } from "./ledger.ts";
import { makeClone, type Clone } from "./_clone.ts";
import { Machine } from "./_machine.ts";
import { newHardwareId, newMachineId, type CliResult, type DaemonEvent, type WaitEventOptions } from "./_node.ts";
import { ALIVE_FILE, healthScript, LEDGER_FILE, NODE_FILES, REBOOT_SCRIPT, rebootScript } from "./_scripts.ts";

export type { CliResult, DaemonEvent, WaitEventOptions } from "./_node.ts";
export type { Clone } from "./_clone.ts";
export { awayWindows, handoffs, maxOverlap, parseLedger, percentile, type AwayWindow, type Handoff, type LedgerEntry } from "./ledger.ts";

const REPO = resolve(import.meta.dir, "../..");
/** How often the fleet looks for reboot requests; bounds the simulated "time to go down". */
const POLL_MS = 20;

/** Config keys of the daemon (see configs/config.example.yaml); merged shallowly over the defaults. */
export type ConfigOverrides = Record<string, unknown>;

export interface NodeSpec {
  name: string;
  group: string;
  /** Per-node overrides, applied after the fleet-wide ones. */
  config?: ConfigOverrides;
}

export interface FleetOptions {
  endpoints: string[];
  /** An existing, empty directory owned by the caller. */
  dir: string;
  nodes: NodeSpec[];
  /** Fleet-wide config overrides. */
  config?: ConfigOverrides;
  /**
   * Time a machine stays down between the daemon's death and the next boot; default 200. A
   * function is asked once per reboot (`node` is the machine going down).
   */
  rebootDelayMs?: number | ((node: string) => number);
  /** A compiled clusterrebootd binary; default: this Bun running `<repo>/src/main.ts`. */
  binary?: string;
  /** Extra environment for every daemon and CLI call. */
  env?: Record<string, string>;
}

/** Fast timings for tests: a 3 s lease, 2 s checks, 1 s heartbeats, 3 s reboot grace. */
export const FAST_CONFIG: ConfigOverrides = {
  health_timeout_sec: 2,
  lock_ttl_sec: 3,
  etcd_request_timeout_sec: 2,
  check_interval_sec: 2,
  health_publish_interval_sec: 1,
  reboot_grace_sec: 3,
  backoff_min_sec: 1,
  backoff_max_sec: 2,
  max_concurrent_reboots: 1,
};

export interface SimNode {
  readonly name: string;
  readonly group: string;
  readonly dir: string;
  readonly configPath: string;
  /** PID of the running daemon; undefined while the machine is down or the daemon stopped. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** The machine's current boot id. */
  readonly bootId: string;
  /** The machine id (its own per node, like /etc/machine-id). */
  readonly machineId: string;
  /** Parsed JSON log records of every daemon process of this node, oldest first. */
  readonly logs: readonly DaemonEvent[];
  /** Daemon starts so far (1 after the first start, +1 per simulated boot). */
  readonly starts: number;
  /** The machine's hardware id (its own per node; a same-machine-id clone has another). */
  readonly hardwareId: string;
  /** Machine is down: after a simulated reboot until it boots, or powered off until `boot()`. */
  readonly down: boolean;
  /** Powered off (an unplanned down, see `powerOff`). */
  readonly off: boolean;
  /**
   * Cuts the power of a machine whose daemon holds no slot (`holdsSlot` is asked while the daemon
   * is frozen); it stays off until `boot()`. False when it did not (a slot, or not running).
   */
  powerOff(holdsSlot: () => Promise<boolean>): Promise<boolean>;
  start(): void;
  /** Signals the daemon (default SIGKILL) and waits until it exited; returns its exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  events(event: string, since?: number): DaemonEvent[];
  waitForEvent(event: string, opts?: WaitEventOptions): Promise<DaemonEvent>;
  /** healthy=false: the health script fails in `phases` (default: every phase). */
  setHealthy(healthy: boolean, phases?: readonly string[]): void;
  /** The health script sleeps "forever" when RC_PHASE is `phase`; null stops hanging. */
  setHangPhase(phase: string | null): void;
  requireReboot(): void;
  clearRebootRequired(): void;
  /** false: after the next reboot the machine stays down until `boot()`. */
  setAutoBoot(on: boolean): void;
  /** false: the reboot command succeeds but the machine does not go down (same boot id). */
  setRebootEffective(on: boolean): void;
  /** Boots a machine that is down: detector cleared (not after a power cut), new boot id, daemon started. */
  boot(): void;
  /** Runs `clusterrebootd <args> --config <this node's config>`, with `env` added to the node's. */
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Log tail for failure messages. */
  tail(n?: number): string;
}

export interface Release {
  node: string;
  group: string;
  /** Epoch ms of the daemon's log record. */
  at: number;
  rebooted: boolean;
}

export interface Fleet {
  readonly dir: string;
  readonly ledgerPath: string;
  readonly nodes: readonly SimNode[];
  node(name: string): SimNode;
  /** The ledger as it is now. */
  ledger(): LedgerEntry[];
  /** Polls the ledger until an entry satisfies `match`; rejects after `timeoutMs` (default 30 000). */
  waitForLedger(match: (e: LedgerEntry) => boolean, opts: { what: string; timeoutMs?: number }): Promise<LedgerEntry>;
  /**
   * Per group, the most nodes that were away at once (reboot command → post-boot release, from
   * the ledger and the daemons' release events). The property a rolling reboot must keep.
   */
  maxAwayByGroup(): Map<string, { max: number; at: number | undefined; nodes: string[] }>;
  /** Every post-boot slot release so far (the daemons' `slot_released` with reason post_boot_healthy). */
  releases(): Release[];
  startAll(): void;
  /**
   * A second machine claiming `name` (same node_name, another machine id, own dirs, a reboot
   * pending): see _clone.ts. With `sameMachineId`, a disk clone: the original's machine id and a
   * copy of its state dir, but its own hardware id. Not started; the caller starts, watches and
   * kills it.
   */
  clone(name: string, opts?: { sameMachineId?: boolean }): Clone;
  /** Kills every daemon (SIGKILL, by handle), stops the reboot watcher, ends hung health scripts. */
  stop(): Promise<void>;
}

export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const dir = resolve(opts.dir);
  const ledgerPath = join(dir, LEDGER_FILE);
  const aliveFile = join(dir, ALIVE_FILE);
  const rebootCmd = join(dir, REBOOT_SCRIPT);
  writeFileSync(ledgerPath, "");
  writeFileSync(aliveFile, `${process.pid}\n`);
  writeExecutable(rebootCmd, rebootScript(ledgerPath));
  const argv = opts.binary ? [opts.binary] : [process.execPath, join(REPO, "src/main.ts")];
  const appendLedger = (line: string) => appendFileSync(ledgerPath, `${Date.now()} ${line}\n`);

  const machines = opts.nodes.map((spec) => {
    const nodeDir = join(dir, "nodes", spec.name);
    mkdirSync(nodeDir, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: nodeDir,
      CLUSTERREBOOTD_BOOT_ID_FILE: join(nodeDir, NODE_FILES.bootId),
      // Each simulated machine is its own machine: its own /etc/machine-id, state and runtime dirs
      // (otherwise every node would share the host's id and the identity checks could not bite).
      CLUSTERREBOOTD_MACHINE_ID_FILE: join(nodeDir, NODE_FILES.machineId),
      // ...and its own hardware: a disk clone (same machine id) is told apart by this.
      CLUSTERREBOOTD_HARDWARE_ID_FILE: join(nodeDir, NODE_FILES.hardwareId),
      CLUSTERREBOOTD_STATE_DIR: join(nodeDir, NODE_FILES.stateDir),
      CLUSTERREBOOTD_RUNTIME_DIR: join(nodeDir, NODE_FILES.runtimeDir),
      ...opts.env,
    };
    const delay = opts.rebootDelayMs ?? 200;
    const m = new Machine({ name: spec.name, group: spec.group, dir: nodeDir, argv, env, appendLedger }, typeof delay === "number" ? () => delay : () => delay(spec.name));
    writeFileSync(m.path("name"), spec.name + "\n");
    writeFileSync(m.path("machineId"), newMachineId() + "\n");
    writeFileSync(m.path("hardwareId"), newHardwareId() + "\n");
    mkdirSync(m.path("stateDir"), { recursive: true });
    mkdirSync(m.path("runtimeDir"), { recursive: true });
    m.newBootId();
    writeExecutable(m.path("health"), healthScript({ node: spec.name, nodeDir, ledger: ledgerPath, aliveFile }));
    const config = {
      node_name: spec.name,
      group: spec.group,
      reboot_required_detectors: [{ type: "file", path: m.path("rebootRequired") }],
      health_script: m.path("health"),
      etcd_endpoints: opts.endpoints,
      kill_switch_file: m.path("killSwitch"),
      reboot_command: [rebootCmd, nodeDir],
      ...FAST_CONFIG,
      ...opts.config,
      ...spec.config,
    };
    writeFileSync(m.configPath, stringify(config));
    return m;
  });

  let stopped = false;
  let clones = 0;
  const watcher = setInterval(() => {
    for (const m of machines) m.pollReboot(() => stopped);
  }, POLL_MS);

  const fleet: Fleet = {
    dir,
    ledgerPath,
    nodes: machines,
    node(name) {
      const m = machines.find((x) => x.name === name);
      if (!m) throw new Error(`no node ${name} in this fleet`);
      return m;
    },
    ledger: () => parseLedger(readFileSync(ledgerPath, "utf8")),
    releases: () =>
      machines
        .flatMap((m) =>
          m.events("slot_released")
            .filter((e) => e.fields["reason"] === "post_boot_healthy")
            .map((e) => ({ node: m.name, group: m.group, at: e.at, rebooted: e.fields["rebooted"] === true })),
        )
        .sort((x, y) => x.at - y.at),
    async waitForLedger(match, o) {
      const timeoutMs = o.timeoutMs ?? 30_000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = fleet.ledger().find(match);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ledger: ${o.what}\n${readFileSync(ledgerPath, "utf8").split("\n").filter((l) => !l.includes(" heartbeat ")).slice(-20).join("\n")}`);
        await Bun.sleep(POLL_MS);
      }
    },
    maxAwayByGroup() {
      const releases = new Map<string, number[]>();
      for (const r of fleet.releases()) releases.set(r.node, [...(releases.get(r.node) ?? []), r.at]);
      const windows = awayWindows(fleet.ledger(), releases);
      const out = new Map<string, ReturnType<typeof maxOverlap>>();
      for (const m of machines) {
        if (out.has(m.group)) continue;
        const members = new Set(machines.filter((x) => x.group === m.group).map((x) => x.name));
        out.set(m.group, maxOverlap(windows.filter((w) => members.has(w.node))));
      }
      return out;
    },
    clone(name, o = {}) {
      const m = fleet.node(name);
      return makeClone({ of: m.name, ...(o.sameMachineId ? { diskOf: m.dir } : {}), group: m.group, configPath: m.configPath, dir: join(dir, "clones", `${m.name}-${++clones}`), argv, baseEnv: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", ...opts.env }, ledger: ledgerPath, aliveFile, rebootCmd, appendLedger });
    },
    startAll() {
      for (const m of machines) m.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(watcher);
      rmSync(aliveFile, { force: true });
      await Promise.all(machines.map((m) => m.kill("SIGKILL")));
    },
  };
  return fleet;
}

// --- internal ---

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  // The daemon refuses a health script that others may write (it runs it as root): 0755 exactly.
  chmodSync(path, 0o755);
}

/**
 * Shared set-up for commands: load the config (exit 2 on any problem), turn it into a Plan, and
 * connect to etcd. The Coordinator itself is built in one place: _runtime.ts.
 */
import { readFile } from "node:fs/promises";
import { baseEnvironment, groupLimit, keyPrefix, loadConfigFile, policyConfig, type Config, type ResolvedConfig } from "../config/index.ts";
import type { DetectorSpec } from "../detect/index.ts";
import type { EtcdConnectOptions, EtcdGateway } from "../etcd/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import type { Plan } from "../orchestrate/context.ts";
import { makeKeys, type Keys } from "../slots/index.ts";
import { createLogger, type Logger } from "../observe/index.ts";
import type { CliContext, Env, HostIdentity } from "./_context.ts";

/** Loads and validates; prints every problem to stderr and returns a config_error outcome. */
export async function loadOrFail(path: string, cli: Pick<CliContext, "env" | "stderr">): Promise<{ ok: true; config: Config; warnings: string[] } | { ok: false; outcome: Outcome }> {
  const res = await loadConfigFile(path, { env: cli.env });
  if (res.ok) return res;
  cli.stderr(`configuration invalid: ${path}\n${res.problems.map((p) => `  - ${p}`).join("\n")}\n`);
  return { ok: false, outcome: outcome("config_error", `${res.problems.length} configuration problem(s)`) };
}

export function detectorSpecs(cfg: Config): DetectorSpec[] {
  return cfg.reboot_required_detectors.map((d): DetectorSpec =>
    d.type === "file"
      ? { name: d.name, type: "file", path: d.path }
      : { name: d.name, type: "command", cmd: d.cmd, successExitCodes: d.success_exit_codes, timeoutMs: d.timeout_sec * 1000 },
  );
}

/** How this run differs from the config file: flags, the metrics listener's address. */
export interface PlanOptions {
  dryRun: boolean;
  skipHealth?: boolean;
  skipLock?: boolean;
  metricsEndpoint?: string;
}

/**
 * The Plan of one config: called once per (re)load (cli/run.ts, cli/status.ts), never twice for
 * the same config, so the session, the lock and the lifecycle all decide with the same values.
 */
export function planFromConfig(cfg: ResolvedConfig, id: HostIdentity, env: Env, rt: PlanOptions): Plan {
  const cp = cfg.cluster_policies;
  const rcEnv = baseEnvironment(cfg, {
    dryRun: rt.dryRun,
    ...(rt.metricsEndpoint ? { metricsEndpoint: rt.metricsEndpoint } : {}),
    ...(rt.skipHealth ? { skipHealth: true } : {}),
    ...(rt.skipLock ? { skipLock: true } : {}),
  });
  return {
    node: cfg.node_name,
    group: cfg.group,
    fallback: cp.fallback_nodes.includes(cfg.node_name),
    limit: groupLimit(cfg, cfg.group),
    globalCap: cfg.global_max_concurrent_reboots,
    detectors: detectorSpecs(cfg),
    policy: policyConfig(cfg),
    windows: cfg.window_set,
    killSwitchFile: cfg.kill_switch_file,
    rebootCommand: cfg.reboot_command,
    dryRun: rt.dryRun,
    healthTimeoutMs: cfg.health_timeout_sec * 1000,
    publishIntervalMs: cfg.health_publish_interval_sec * 1000,
    checkIntervalMs: cfg.check_interval_sec * 1000,
    backoffMinMs: cfg.backoff_min_sec * 1000,
    backoffMaxMs: cfg.backoff_max_sec * 1000,
    cooldownSec: cfg.min_reboot_interval_sec,
    lockTtlSec: cfg.lock_ttl_sec,
    slotTimeoutSec: cfg.reboot_slot_timeout_sec,
    rebootGraceMs: cfg.reboot_grace_sec * 1000,
    maxRebootsPerNode: cfg.max_reboots_per_node,
    countDownNodes: cfg.count_down_nodes,
    maxFailedReboots: cfg.max_failed_reboots,
    timerPresenceSec: cfg.timer_presence_sec,
    rebootLoopWindowMs: cfg.reboot_loop_window_sec * 1000,
    // The simulator gives every node its own; production uses the tmpfiles/systemd runtime dir.
    runtimeDir: env["CLUSTERREBOOTD_RUNTIME_DIR"] || "/run/clusterrebootd",
    blockedThresholdMs: cfg.notifications.blocked_threshold_sec * 1000,
    unhealthyAfterBootMs: cfg.notifications.unhealthy_after_boot_sec * 1000,
    deferForUsers: cfg.interactive_users.defer,
    maxDeferMs: cfg.interactive_users.max_defer_sec * 1000,
    baseEnv: { ...rcEnv, RC_BOOT_ID: id.bootId },
    ...(id.machineId ? { machineId: id.machineId } : {}),
    ...(id.hardwareId ? { hardwareId: id.hardwareId } : {}),
  };
}

/** Reads TLS material and the password file (already checked by the loader) into connect options. */
export async function etcdOptions(cfg: Config): Promise<EtcdConnectOptions> {
  const t = cfg.etcd_tls;
  const read = (p: string | null | undefined) => (p ? readFile(p) : Promise.resolve(undefined));
  const a = cfg.etcd_auth;
  const password = a ? (a.password_file ? (await readFile(a.password_file, "utf8")).replace(/\r?\n$/, "") : a.password ?? "") : "";
  const [ca, cert, key] = t.enabled ? await Promise.all([read(t.ca_file), read(t.cert_file), read(t.key_file)]) : [];
  return {
    endpoints: cfg.etcd_endpoints,
    requestTimeoutMs: cfg.etcd_request_timeout_sec * 1000,
    ...(t.enabled
      ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(t.server_name ? { serverName: t.server_name } : {}) } }
      : {}),
    ...(a && a.username ? { auth: { username: a.username, password } } : {}),
  };
}

export async function connect(cfg: Config): Promise<{ gw: EtcdGateway; keys: Keys }> {
  const { connectEtcd } = await import("../etcd/index.ts");
  return { gw: await connectEtcd(await etcdOptions(cfg)), keys: makeKeys(keyPrefix(cfg)) };
}

/** The environment with its unset names dropped: what child processes and detectors get. */
export function processEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** The log of a long-running command: JSON lines on stderr unless stderr is a terminal. */
export function commandLogger(cfg: Config, cli: Pick<CliContext, "stderr" | "stderrIsTTY">): Logger {
  return createLogger({ node: cfg.node_name, level: cfg.log_level, json: !cli.stderrIsTTY, write: (line) => cli.stderr(line + "\n") });
}

/** Without a hardware id identity rests on the machine id alone: said once, since disk clones then go unnoticed. */
export function warnWithoutHardwareId(id: HostIdentity, log: Logger): void {
  if (!id.hardwareId) log.event("warn", "hardware_id_unavailable", { effect: "a disk clone of this machine (same /etc/machine-id) cannot be told apart from it" });
}

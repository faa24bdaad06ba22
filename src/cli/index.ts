/**
 * The root command. Subcommands are loaded lazily so that `--help`, `version`, `validate-config`
 * and `simulate` never load the etcd/gRPC stack. Every command returns an Outcome; this is the one
 * place that maps it to an exit code (EXIT_CODE). Usage problems exit 64. It is also the composition
 * root: the ports, the environment and the output streams every command uses are built here, once
 * (cli/_context.ts).
 */
import { renderUsage, runCommand, type CommandDef } from "citty";
import { EXIT_CODE, type Outcome } from "../orchestrate/outcome.ts";
import { realPorts, type PlatformPorts } from "../platform/index.ts";
import { createContext, type Env, type Sink } from "./_context.ts";
import { checkFlags, normaliseGoFlags } from "./_flags.ts";

// Each command has its own args type; the root only needs to run them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandDef<any>;
type Loader = () => Promise<AnyCommand>;

/** name → [one-line description, loader]. The order is the order of `--help`. */
export const COMMANDS: Record<string, [string, Loader]> = {
  run: ["run the coordinator (daemon; --once for one diagnostic pass, --timer for a timer pass)", () => import("./run.ts").then((m) => m.default)],
  status: ["read-only: would this node reboot now, and why not", () => import("./status.ts").then((m) => m.default)],
  cluster: ["read-only: members, health, slot holders, cooldown, pause, windows", () => import("./cluster.ts").then((m) => m.default)],
  history: ["read-only: the reboots the coordinator caused [NODE] [--since DURATION]", () => import("./history.ts").then((m) => m.default)],
  dashboard: ["read-only live fleet page in the browser (slots, health, who waits and why, timeline)", () => import("./dashboard.ts").then((m) => m.default)],
  simulate: ["run the detectors once; never touches etcd or the health script", () => import("./simulate.ts").then((m) => m.default)],
  "validate-config": ["check a configuration file (exit 2 on any problem)", () => import("./validate-config.ts").then((m) => m.default)],
  pause: ["pause reboots cluster-wide (etcd key)", () => import("./pause.ts").then((m) => m.pause)],
  resume: ["lift a cluster-wide pause", () => import("./pause.ts").then((m) => m.resume)],
  "request-reboot": ["ask a node's daemon to reboot it (every gate and the budget still apply)", () => import("./request-reboot.ts").then((m) => m.requestReboot)],
  "cancel-reboot": ["withdraw a pending request-reboot", () => import("./request-reboot.ts").then((m) => m.cancelReboot)],
  unlock: ["free a node's reboot slot by hand", () => import("./unlock.ts").then((m) => m.default)],
  forget: ["remove a decommissioned node from the members registry", () => import("./forget.ts").then((m) => m.default)],
  install: ["install this binary, systemd units and a config template (scp workflow)", () => import("./install.ts").then((m) => m.install)],
  uninstall: ["remove what install wrote; keeps the config and kill switch", () => import("./install.ts").then((m) => m.uninstall)],
  fleetlock: ["FleetLock server on the etcd reboot slots (fleetlock serve): Zincati/FCOS nodes share the reboot budget", () => import("./fleetlock.ts").then((m) => m.default)],
  version: ["print version, commit, build date, Bun version and target", () => import("./version.ts").then((m) => m.default)],
};

export function rootUsage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "clusterrebootd — cluster reboot coordinator",
    "",
    "Usage: clusterrebootd <command> [flags]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([n, [d]]) => `  ${n.padEnd(w)}  ${d}`),
    "",
    "Run 'clusterrebootd <command> --help' for the flags of a command.",
    "Exit codes: 0 ok, 1 runtime error, 2 config error, 3 health blocked, 4 slot unavailable,",
    "5 kill switch or pause, 6 detector error (simulate), 64 usage.",
  ].join("\n");
}

/** citty colours its usage text; keep escape codes out of pipes, files and the journal. */
async function usage(cmd: AnyCommand, color: boolean): Promise<string> {
  const text = await renderUsage(cmd);
  return color ? text : text.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * What main needs besides argv; tests (the argv fuzzer) pass stand-in commands and sinks. Left
 * out, each is the process's own: this is the one place that builds them (the composition root).
 */
export interface MainOptions {
  commands?: Record<string, [string, Loader]>;
  stdout?: Sink;
  stderr?: Sink;
  ports?: PlatformPorts;
  env?: Env;
}

/** citty's own argument errors (missing required positional, bad enum value): usage, not runtime. */
function isCittyUsageError(err: unknown): err is Error {
  return err instanceof Error && err.name === "CLIError";
}

export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const commands = opts.commands ?? COMMANDS;
  const env = opts.env ?? process.env;
  const out = opts.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = opts.stderr ?? ((t: string) => void process.stderr.write(t));
  const color = opts.stdout === undefined && process.stdout.isTTY === true && !env["NO_COLOR"];
  const [name, ...rest] = argv;
  if (name === undefined) {
    err(rootUsage() + "\n");
    return EXIT_CODE.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    out(rootUsage() + "\n");
    return 0;
  }
  if (name === "--version" || name === "-v") argv = ["version"];
  // Own keys only: "constructor" or "__proto__" must be unknown commands, not Object's members.
  const entry = Object.hasOwn(commands, argv[0]!) ? commands[argv[0]!] : undefined;
  if (!entry) {
    err(`unknown command "${name}"\n\n${rootUsage()}\n`);
    return EXIT_CODE.usage;
  }
  const cmd = await entry[1]();
  const norm = argv[0] === "version" ? { ok: true as const, args: [] } : await normaliseGoFlags(cmd, rest);
  if (!norm.ok) {
    err(`${norm.problem}\n\n${await usage(cmd, color)}\n`);
    return EXIT_CODE.usage;
  }
  const args = norm.args;
  if (args.includes("--help") || args.includes("-h")) {
    out((await usage(cmd, color)) + "\n");
    return 0;
  }
  const problem = await checkFlags(cmd, args);
  if (problem) {
    err(`${problem}\n\n${await usage(cmd, color)}\n`);
    return EXIT_CODE.usage;
  }
  let started = false;
  const run = cmd.run;
  const tracked: AnyCommand = { ...cmd, run: (ctx) => ((started = true), run?.(ctx)) };
  const stderrIsTTY = opts.stderr === undefined && process.stderr.isTTY === true;
  const cli = createContext({ ports: opts.ports ?? realPorts(env), env, stdout: out, stderr: err, stderrIsTTY });
  try {
    const { result } = await runCommand(tracked, { rawArgs: args, data: cli });
    const o = result as Outcome | undefined;
    return EXIT_CODE[o?.kind ?? "ok"];
  } catch (e) {
    if (!started && isCittyUsageError(e)) {
      err(`${e.message}\n\n${await usage(cmd, color)}\n`);
      return EXIT_CODE.usage;
    }
    err(`clusterrebootd ${argv[0]}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_CODE.runtime_error;
  }
}

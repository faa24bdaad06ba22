/**
 * What every command gets from `main` (index.ts): the platform ports, the environment, the two
 * output streams and this machine's identity, built once per process and passed down through
 * citty's `data`. Commands build none of these themselves, so a test (or the fleet simulator)
 * that hands `main` other ports or sinks sees every side effect and every byte of output.
 */
import { defineCommand, type ArgsDef, type CommandDef, type ParsedArgs } from "citty";
import type { Outcome } from "../orchestrate/outcome.ts";
import type { Host, PlatformPorts } from "../platform/index.ts";

export type Env = Readonly<Record<string, string | undefined>>;
/** Where a stream's text goes: the process's stdout/stderr, or a test's buffer. */
export type Sink = (text: string) => void;

/**
 * The Host port's identity facts, read once per process: a process lives within one boot, and
 * the plan, the session and every record must name the same machine, start and reload alike.
 */
export interface HostIdentity {
  bootId: string;
  machineId: string;
  /** Absent when the machine offers none (identity then rests on the machine id alone). */
  hardwareId?: string;
}

export interface CliContext {
  ports: PlatformPorts;
  env: Env;
  stdout: Sink;
  stderr: Sink;
  /** stderr is a terminal: human log lines instead of JSON lines (systemd, pipes, tests). */
  stderrIsTTY: boolean;
  /**
   * Read on first use, not at start: `version`, `validate-config` and `simulate` must not touch
   * /etc/machine-id or the state directory (a missing machine id is created there).
   */
  identity(): Promise<HostIdentity>;
}

export function createContext(o: Omit<CliContext, "identity">): CliContext {
  let identity: Promise<HostIdentity> | undefined;
  return { ...o, identity: () => (identity ??= readIdentity(o.ports.host)) };
}

async function readIdentity(host: Host): Promise<HostIdentity> {
  const bootId = await host.bootId();
  const machineId = await host.machineId();
  // A broken override file (CLUSTERREBOOTD_HARDWARE_ID_FILE) throws: the command fails with it.
  const hw = await host.hardwareId();
  return { bootId, machineId, ...(hw ? { hardwareId: hw.id } : {}) };
}

type CliRun<T extends ArgsDef> = (ctx: { args: ParsedArgs<T>; cli: CliContext }) => Outcome | Promise<Outcome>;

/** citty's defineCommand, with `main`'s context handed to `run` next to the parsed args. */
export function defineCliCommand<const T extends ArgsDef = ArgsDef>(def: Omit<CommandDef<T>, "run"> & { run: CliRun<T> }): CommandDef<T> {
  const { run, ...rest } = def;
  return defineCommand<T>({ ...rest, run: (ctx) => run({ args: ctx.args, cli: contextOf(ctx.data) }) });
}

function contextOf(data: unknown): CliContext {
  const c = data as Partial<CliContext> | undefined;
  if (!c || typeof c.stdout !== "function" || typeof c.identity !== "function" || !c.ports) throw new Error("bug: a command ran without main's context (run it through main)");
  return c as CliContext;
}

/**
 * The CLI's command definitions as plain data, for the man page and the shell completion.
 * Read from the same COMMANDS map and citty definitions that `--help` renders, so the generated
 * documentation cannot drift from the binary.
 */
import type { ArgDef, CommandDef } from "citty";
import { COMMANDS } from "../src/cli/index.ts";

export interface FlagSpec {
  /** As typed: "--config", "--dry-run". */
  flag: string;
  type: "boolean" | "string" | "enum";
  description: string;
  /** Placeholder of a string flag's value ("FILE", "DIR", "TEXT"); "VALUE" when undeclared. */
  valueHint: string;
  default: string | boolean | undefined;
  aliases: string[];
}

export interface PositionalSpec {
  name: string;
  description: string;
  required: boolean;
}

export interface CommandSpec {
  name: string;
  /** One line, as in `clusterrebootd --help`. */
  summary: string;
  /** The longer text of `clusterrebootd <name> --help`. */
  description: string;
  flags: FlagSpec[];
  positionals: PositionalSpec[];
}

/** Loads every command (this imports the etcd stack too; fine at build time). */
export async function commandSpecs(): Promise<CommandSpec[]> {
  const specs: CommandSpec[] = [];
  for (const [name, [summary, load]] of Object.entries(COMMANDS)) {
    const cmd = (await load()) as CommandDef;
    const meta = await resolve(cmd.meta);
    const args = ((await resolve(cmd.args)) ?? {}) as Record<string, ArgDef>;
    const flags: FlagSpec[] = [];
    const positionals: PositionalSpec[] = [];
    for (const [key, def] of Object.entries(args)) {
      if (def.type === "positional") {
        positionals.push({ name: key.toUpperCase(), description: def.description ?? "", required: def.required !== false });
        continue;
      }
      flags.push({
        flag: `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        type: def.type ?? "string",
        description: def.description ?? "",
        valueHint: def.valueHint ?? "VALUE",
        default: def.default,
        aliases: [(def as { alias?: string | string[] }).alias ?? []].flat().map((a) => (a.length === 1 ? `-${a}` : `--${a}`)),
      });
    }
    specs.push({ name, summary, description: meta?.description ?? summary, flags, positionals });
  }
  return specs;
}

async function resolve<T>(value: T | (() => T | Promise<T>) | Promise<T> | undefined): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

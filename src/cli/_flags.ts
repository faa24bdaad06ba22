/**
 * citty parses leniently; the Go CLI rejects unknown flags and missing values with exit 64, and so
 * do we. This checks raw arguments against a command's declared args before it runs.
 */
import type { ArgsDef, CommandDef } from "citty";

/**
 * Flags that exclude each other, per command. Checked here, before the command runs, so the
 * answer is exit 64 with a message whatever the config says (`run --once --timer` used to load
 * the config first and then exit 64 without a word).
 */
const EXCLUSIVE: Record<string, [string, string][]> = {
  run: [["once", "timer"]],
  install: [["service", "timer"]],
};

/** Flags whose value must not be blank (`install --root ''` would act on the working directory). */
const NON_BLANK: Record<string, string[]> = {
  install: ["root"],
  uninstall: ["root"],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function checkFlags(cmd: CommandDef<any>, raw: string[]): Promise<string | undefined> {
  const defs = ((typeof cmd.args === "function" ? await cmd.args() : await cmd.args) ?? {}) as ArgsDef;
  const known = new Map<string, { type: string; name: string }>();
  let positionals = 0;
  const required: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const d = def as { type?: string; alias?: string | string[]; required?: boolean; default?: unknown };
    if (d.type === "positional") {
      positionals++;
      if (d.required && d.default === undefined) required.push(name.toUpperCase());
      continue;
    }
    const type = d.type ?? "string";
    known.set(name, { type, name });
    const kebab = name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
    known.set(kebab, { type, name });
    for (const a of [d.alias ?? []].flat()) known.set(a, { type, name });
    if (type === "boolean") known.set(`no-${kebab}`, { type, name: `no-${name}` });
  }
  const cmdName = (await resolveMeta(cmd))?.name ?? "";
  const given = new Map<string, string | true>();
  let seenPositionals = 0;
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i]!;
    if (a === "--") break;
    if (!a.startsWith("-") || a === "-") {
      seenPositionals++;
      if (seenPositionals > positionals) return `unexpected argument "${a}"`;
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const flag = eq >= 0 ? body.slice(0, eq) : body;
    const def = known.get(flag);
    if (!def) return `unknown flag "${a}"`;
    if (def.type === "string") {
      const value = eq >= 0 ? body.slice(eq + 1) : raw[i + 1];
      if (eq < 0 && (value === undefined || value.startsWith("--"))) return `flag "${a}" needs a value`;
      if (eq < 0) i++;
      if ((NON_BLANK[cmdName] ?? []).includes(def.name) && (value ?? "").trim() === "") return `flag "--${def.name}" must not be empty`;
      given.set(def.name, value ?? "");
    } else given.set(def.name, true);
  }
  if (seenPositionals < required.length) return `missing argument ${required.slice(seenPositionals).join(" ")}`;
  for (const [a, b] of EXCLUSIVE[cmdName] ?? []) if (given.has(a) && given.has(b)) return `--${a} and --${b} exclude each other`;
  return undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function resolveMeta(cmd: CommandDef<any>): Promise<{ name?: string } | undefined> {
  const m = typeof cmd.meta === "function" ? await cmd.meta() : await cmd.meta;
  return m as { name?: string } | undefined;
}

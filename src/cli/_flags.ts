/**
 * citty parses leniently; the Go CLI rejects unknown flags and missing values with exit 64, and so
 * do we. This checks raw arguments against a command's declared args before it runs.
 */
import type { ArgsDef, CommandDef } from "citty";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function checkFlags(cmd: CommandDef<any>, raw: string[]): Promise<string | undefined> {
  const defs = ((typeof cmd.args === "function" ? await cmd.args() : await cmd.args) ?? {}) as ArgsDef;
  const known = new Map<string, { type: string }>();
  let positionals = 0;
  for (const [name, def] of Object.entries(defs)) {
    const d = def as { type?: string; alias?: string | string[] };
    if (d.type === "positional") {
      positionals++;
      continue;
    }
    const type = d.type ?? "string";
    known.set(name, { type });
    const kebab = name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
    known.set(kebab, { type });
    for (const a of [d.alias ?? []].flat()) known.set(a, { type });
    if (type === "boolean") known.set(`no-${kebab}`, { type });
  }
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
    if (def.type === "string" && eq < 0) {
      const next = raw[i + 1];
      if (next === undefined || next.startsWith("--")) return `flag "${a}" needs a value`;
      i++;
    }
  }
  return undefined;
}

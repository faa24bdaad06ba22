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

export type Normalised = { ok: true; args: string[] } | { ok: false; problem: string };

/**
 * Go's flag package accepts `-config FILE`, `-config=FILE`, `-dry-run`, `-once` and
 * `--dry-run=false`; existing unit files and scripts use them. citty would read `-config` as a
 * cluster of one-letter flags and silently keep the default config path, so long names given
 * with one dash are rewritten to two here, booleans given `=true`/`=false` become `--x`/`--no-x`,
 * and any other single-dash token is refused (exit 64) rather than misread.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function normaliseGoFlags(cmd: CommandDef<any>, raw: string[]): Promise<Normalised> {
  const defs = ((typeof cmd.args === "function" ? await cmd.args() : await cmd.args) ?? {}) as ArgsDef;
  const types = new Map<string, string>();
  const short = new Set<string>(["h"]);
  for (const [name, def] of Object.entries(defs)) {
    const d = def as { type?: string; alias?: string | string[] };
    if (d.type === "positional") continue;
    const kebab = name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
    for (const n of new Set([name, kebab])) types.set(n, d.type ?? "string");
    for (const a of [d.alias ?? []].flat()) (a.length === 1 ? short.add(a) : types.set(a, d.type ?? "string"));
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i]!;
    if (a === "--") {
      out.push(...raw.slice(i));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      out.push(a);
      continue;
    }
    const dashes = a.startsWith("--") ? 2 : 1;
    const body = a.slice(dashes);
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const type = types.get(name) ?? (name.startsWith("no-") && types.get(name.slice(3)) === "boolean" ? "negated" : undefined);
    if (type === undefined) {
      if (dashes === 1 && eq < 0 && short.has(name)) {
        out.push(a);
        continue;
      }
      // Two dashes: checkFlags names the unknown flag; one dash must never fall through to citty.
      if (dashes === 2) {
        out.push(a);
        continue;
      }
      return { ok: false, problem: `unknown flag "${a}"` };
    }
    if (type === "boolean" && eq >= 0) {
      const v = body.slice(eq + 1).toLowerCase();
      if (["true", "t", "1"].includes(v)) out.push(`--${name}`);
      else if (["false", "f", "0"].includes(v)) out.push(`--no-${name}`);
      else return { ok: false, problem: `flag "${a}": invalid boolean value "${body.slice(eq + 1)}" (true or false)` };
      continue;
    }
    out.push(`--${body}`);
    // A separate value is taken verbatim, even when it starts with a dash (as Go does).
    if (type === "string" && eq < 0 && i + 1 < raw.length) out.push(raw[++i]!);
  }
  return { ok: true, args: out };
}

/**
 * Reboot command placeholders: `$NAME` / `${NAME}` expanded from the RC_* environment and the
 * daemon's environment. An unknown name is an error, never an empty string (W22).
 */
export type Expansion = { ok: true; argv: string[] } | { ok: false; unknown: string[] };

const PLACEHOLDER = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function expandCommand(argv: readonly string[], env: Record<string, string | undefined>): Expansion {
  const unknown = new Set<string>();
  const out = argv.map((arg) =>
    arg.replace(PLACEHOLDER, (_m, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const value = env[name];
      if (value === undefined) {
        unknown.add(name);
        return "";
      }
      return value;
    }),
  );
  return unknown.size > 0 ? { ok: false, unknown: [...unknown] } : { ok: true, argv: out };
}

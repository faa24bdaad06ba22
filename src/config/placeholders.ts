/**
 * `$VAR` / `${VAR}` placeholders in reboot_command arguments.
 *
 * Grammar (Go's os.Expand, minus its silent failures — W22): `${NAME}` or `$NAME` with NAME =
 * [A-Za-z_][A-Za-z0-9_]*; `$$` is a literal `$`; a `$` followed by anything else (or at the end)
 * stays literal. Unlike Go, an unknown name is an error, not an empty string: a shutdown message
 * that silently loses the node name is harmless, but `$REBOOT_BIN` expanding to "" is not.
 */

type Token = { kind: "text"; text: string } | { kind: "var"; name: string } | { kind: "bad"; text: string };

/** Result of expanding one argument. */
export type Expansion =
  | { kind: "ok"; value: string } // every placeholder resolved
  | { kind: "unknown"; names: string[] } // these names have no value
  | { kind: "malformed"; text: string }; // e.g. `${` without `}` or `${1x}`

/** The names referenced by `arg`, or the first malformed placeholder. */
export function placeholdersOf(arg: string): { ok: true; names: string[] } | { ok: false; text: string } {
  const names: string[] = [];
  for (const t of tokenize(arg)) {
    if (t.kind === "bad") return { ok: false, text: t.text };
    if (t.kind === "var") names.push(t.name);
  }
  return { ok: true, names };
}

/**
 * Expand `arg` with `vars`. Names whose value is undefined are reported as unknown; an empty
 * string is a value. Never throws.
 */
export function expandPlaceholders(arg: string, vars: Readonly<Record<string, string | undefined>>): Expansion {
  let out = "";
  const unknown: string[] = [];
  for (const t of tokenize(arg)) {
    if (t.kind === "bad") return { kind: "malformed", text: t.text };
    if (t.kind === "text") out += t.text;
    else {
      const value = Object.hasOwn(vars, t.name) ? vars[t.name] : undefined;
      if (value === undefined) unknown.push(t.name);
      else out += value;
    }
  }
  return unknown.length > 0 ? { kind: "unknown", names: unknown } : { kind: "ok", value: out };
}

// --- internal ---

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let text = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const next = s[i + 1];
    if (c !== "$" || next === undefined) {
      text += c;
      i += 1;
    } else if (next === "$") {
      text += "$";
      i += 2;
    } else if (next === "{") {
      const close = s.indexOf("}", i + 2);
      const name = close < 0 ? null : s.slice(i + 2, close);
      if (name === null || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        return [...tokens, { kind: "bad", text: close < 0 ? s.slice(i) : s.slice(i, close + 1) }];
      }
      if (text !== "") tokens.push({ kind: "text", text });
      text = "";
      tokens.push({ kind: "var", name });
      i = close + 1;
    } else {
      const m = NAME_RE.exec(s.slice(i + 1));
      if (m === null) {
        text += c; // "$ " or "$5": literal, as documented above
        i += 1;
        continue;
      }
      if (text !== "") tokens.push({ kind: "text", text });
      text = "";
      tokens.push({ kind: "var", name: m[0] });
      i += 1 + m[0].length;
    }
  }
  if (text !== "") tokens.push({ kind: "text", text });
  return tokens;
}

/**
 * House rule 1 (docs/ARCHITECTURE.md): one folder per domain, other folders import only its
 * index.ts front door, and no runtime import cycles between files. Type-only imports are allowed
 * across the front door (they vanish at run time).
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Runtime (non type-only) relative imports of a file, resolved to absolute paths. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)";/gms)) {
    if (m[2]) continue; // import type / export type
    out.push(resolve(dirname(file), m[3]!));
  }
  for (const m of text.matchAll(/import\("(\.[^"]+)"\)/g)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

const all = files(SRC);
/**
 * Deliberately light second front doors: the exit-code table is needed by every command, and
 * importing orchestrate/index.ts for it would load the pass machinery for `version` and `--help`.
 */
const LIGHT_FRONT_DOORS = new Set(["orchestrate/outcome.ts"]);
const domainOf = (f: string) => relative(SRC, f).split("/")[0]!;

test("other domains are reached only through their index.ts (or a type-only import)", () => {
  const offenders: string[] = [];
  for (const f of all) {
    for (const target of runtimeImports(f)) {
      const from = domainOf(f);
      const to = domainOf(target);
      if (from === to || !target.includes("/")) continue;
      if (LIGHT_FRONT_DOORS.has(relative(SRC, target))) continue;
      if (!to.endsWith(".ts") && !target.endsWith(`${to}/index.ts`)) offenders.push(`${relative(SRC, f)} → ${relative(SRC, target)}`);
    }
  }
  expect(offenders).toEqual([]);
});

test("no runtime import cycles between files", () => {
  const graph = new Map(all.map((f) => [f, runtimeImports(f).filter((t) => all.includes(t))]));
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "visiting");
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === "visiting") cycles.push([...stack.slice(stack.indexOf(t)), t].map((x) => relative(SRC, x)).join(" → "));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of all) if (!state.has(f)) visit(f);
  expect(cycles).toEqual([]);
});

/**
 * House rule 1 (docs/ARCHITECTURE.md): one folder per domain, other folders import only its
 * index.ts front door, and no import cycles between files. Type-only imports are allowed across
 * the front door (they vanish at run time) but count for cycles: two files that need each other's
 * types are one concept split in two, and the split hides which of them owns it.
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

interface Edge {
  target: string;
  /** `import type` / `export type`: gone at run time. */
  typeOnly: boolean;
}

/** Relative imports and re-exports of a file (static and dynamic), resolved to absolute paths. */
function imports(file: string): Edge[] {
  const text = readFileSync(file, "utf8");
  const out: Edge[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)";/gms)) out.push({ target: resolve(dirname(file), m[3]!), typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/import\("(\.[^"]+)"\)/g)) out.push({ target: resolve(dirname(file), m[1]!), typeOnly: false });
  return out;
}

const all = files(SRC);
const edges = new Map(all.map((f) => [f, imports(f)]));
/**
 * Deliberately light second front doors: the exit-code table is needed by every command, and
 * importing orchestrate/index.ts for it would load the pass machinery for `version` and `--help`.
 */
const LIGHT_FRONT_DOORS = new Set(["orchestrate/outcome.ts"]);
const domainOf = (f: string) => relative(SRC, f).split("/")[0]!;

test("other domains are reached only through their index.ts (or a type-only import)", () => {
  const offenders: string[] = [];
  for (const f of all) {
    for (const { target, typeOnly } of edges.get(f)!) {
      if (typeOnly) continue;
      const from = domainOf(f);
      const to = domainOf(target);
      if (from === to || !target.includes("/")) continue;
      if (LIGHT_FRONT_DOORS.has(relative(SRC, target))) continue;
      if (!to.endsWith(".ts") && !target.endsWith(`${to}/index.ts`)) offenders.push(`${relative(SRC, f)} → ${relative(SRC, target)}`);
    }
  }
  expect(offenders).toEqual([]);
});

/**
 * The import cycles of `graph`: its strongly connected components of more than one file (or a
 * file importing itself), each sorted (Tarjan's algorithm).
 */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

test("no import cycles between files (type-only imports included)", () => {
  const graph = new Map(all.map((f) => [relative(SRC, f), [...new Set(edges.get(f)!.map((e) => e.target).filter((t) => all.includes(t)).map((t) => relative(SRC, t)))]]));
  // Each cycle with its files and the imports between them: cutting any one import of a loop
  // breaks that loop (a component can hold several).
  const report = cycles(graph).map((files, i) => {
    const inside = new Set(files);
    const lines = files.map((f) => `    ${f} → ${graph.get(f)!.filter((t) => inside.has(t)).sort().join(", ")}`);
    return `  cycle ${i + 1} (${files.length} files: ${files.join(", ")}):\n${lines.join("\n")}`;
  });
  expect(report.length ? `${report.length} import cycle(s) in src/:\n${report.join("\n")}` : "").toBe("");
});

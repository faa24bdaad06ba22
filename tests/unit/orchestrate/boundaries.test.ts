/**
 * The lifecycle's boundaries (docs/ARCHITECTURE.md): every etcd write goes through the lock
 * backend, so the lifecycle files name no slots/ transaction and no gateway; and orchestrate,
 * observe and slots import each other in one direction only, type-only imports included.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../../src");
const ORCH = join(SRC, "orchestrate");

/** The etcd lock backend (and the history it builds for it) and the loop's watches may use etcd; nothing else here. */
const BACKEND = new Set(["_etcd-lock.ts", "_etcd-lock-boot.ts", "_history.ts", "_wake.ts"]);
const SLOT_WRITES = [
  "tryAcquireSlot",
  "acquireOnNewLease",
  "enterRebooting",
  "keepOnOwnLease",
  "refreshSlotLease",
  "updateSlot",
  "releaseSlot",
  "deleteSlots",
  "convertStaleSlot",
  "planFailure",
  "joinQueue",
  "leaveQueue",
  "readClusterState",
];

test("lifecycle files reach etcd only through the lock port", () => {
  const offenders: string[] = [];
  for (const f of readdirSync(ORCH).filter((x) => x.endsWith(".ts") && !BACKEND.has(x))) {
    const text = readFileSync(join(ORCH, f), "utf8");
    const fromSlots = [...text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"\.\.\/slots\/index\.ts"/g)].flatMap((m) => m[1]!.split(",").map((s) => s.trim()));
    for (const name of fromSlots) if (SLOT_WRITES.includes(name)) offenders.push(`${f}: ${name}`);
    if (/\.gw\b|EtcdGateway/.test(text) && f !== "context.ts") offenders.push(`${f}: the gateway`);
  }
  expect(offenders).toEqual([]);
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("no import cycle through orchestrate, observe or slots, counting type-only imports", () => {
  const all = files(SRC);
  const graph = new Map<string, string[]>();
  for (const f of all) {
    const text = readFileSync(f, "utf8");
    const out = new Set<string>();
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?[^;]*?from\s+"(\.[^"]+)";/gms)) out.add(resolve(dirname(f), m[1]!));
    for (const m of text.matchAll(/import\("(\.[^"]+)"\)/g)) out.add(resolve(dirname(f), m[1]!));
    graph.set(f, [...out].filter((t) => graph.has(t) || all.includes(t)));
  }
  const mine = (f: string) => /^(orchestrate|observe|slots)\//.test(relative(SRC, f));
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "visiting");
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(t)), t];
        if (cycle.some(mine)) cycles.push(cycle.map((x) => relative(SRC, x)).join(" → "));
      } else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of all) if (!state.has(f)) visit(f);
  expect(cycles).toEqual([]);
});

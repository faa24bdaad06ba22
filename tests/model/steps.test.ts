/**
 * Model and code stay together: every "Model step NAME" comment in src/ names a step the model
 * (docs/SLOTS.md §The model, models/slots.pml) has, and the protocol's key steps are all named.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });

test("every model step named in src/ exists in the model, and the protocol's steps are named in src/", () => {
  const doc = readFileSync(join(ROOT, "docs/SLOTS.md"), "utf8") + readFileSync(join(ROOT, "models/slots.pml"), "utf8");
  const named = new Set<string>();
  for (const f of files(join(ROOT, "src"))) {
    for (const m of readFileSync(f, "utf8").matchAll(/Model steps? ([A-Z_]+(?:, [A-Z_]+)*)/g)) for (const s of m[1]!.split(", ")) named.add(s);
  }
  for (const s of named) expect(doc.includes(s)).toBe(true);
  for (const s of ["READ", "ADMIT", "ACQUIRE", "QUEUE", "FENCE", "MARK", "DEADLINE_CHECK", "EXEC", "VERIFY", "RELEASE", "UNLOCK", "MACHINE_IDENTITY", "ETCD_IDENTITY", "RECREATE"]) expect([...named]).toContain(s);
});

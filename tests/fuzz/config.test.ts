/**
 * Fuzzing the config loader (parseConfigText): random YAML-ish text and mutated valid configs
 * must always come back as a config or a list of problems — never a throw, never a hang, and
 * every problem a non-empty `path: message` line. Seeds are the shipped configs and the fixtures.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { parseConfigText, type LoadOptions, type LoadResult } from "../../src/config/index.ts";
import type { FileStat } from "../../src/platform/index.ts";

const ROOT = resolve(import.meta.dir, "../..");
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** Every absolute path exists: an executable root-owned file; .pem/.crt/.key read as PEM. */
const anyFileExists: LoadOptions = {
  env: { HOME: "/root", PATH: "/usr/bin" },
  readFile: async (path) => (/\.(pem|crt|key)$/.test(path) ? PEM : "secret\n"),
  stat: async (): Promise<FileStat> => ({ kind: "present", mode: 0o100755, uid: 0, isFile: true, isDirectory: false }),
};

const SEEDS: string[] = [
  ...["configs/config.example.yaml", "configs/pi-k3s-node.yaml", "configs/k3s-control-plane.yaml", "configs/k3s-pi-longhorn.yaml"].map((p) => join(ROOT, p)),
  ...readdirSync(join(ROOT, "tests/fixtures/config")).map((f) => join(ROOT, "tests/fixtures/config", f)),
].flatMap((p) => {
  try {
    return [readFileSync(p, "utf8")];
  } catch {
    return []; // a seed file another change removed: fuzz with the rest
  }
});

/** Loads and checks the shape of the answer; a throw or a slow answer fails the property. */
async function loadChecked(text: string): Promise<LoadResult> {
  const t0 = performance.now();
  const r = await parseConfigText(text, anyFileExists);
  expect(performance.now() - t0).toBeLessThan(2_000);
  if (r.ok) {
    expect(typeof r.config.node_name).toBe("string");
    expect(Array.isArray(r.warnings)).toBe(true);
  } else {
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) {
      expect(typeof p).toBe("string");
      expect(p).toMatch(/^\S[^]*?: \S/);
    }
  }
  return r;
}

const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("", "0", "-1", "1e400", "yes", "~", "0x1F", "127.0.0.1:2379", "http://[::1]:2379", "/etc/x", "${RC_NODE_NAME}", "$$", "Mon 00:00-24:00", "Fry 25:61-00:00"),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), tie("v"), { maxKeys: 3 })),
})).v;

type Mutation =
  | { kind: "delete" | "rename"; at: number; name: string }
  | { kind: "set" | "add"; at: number; name: string; value: unknown }
  | { kind: "text-insert" | "text-delete" | "text-dup-line" | "text-tab"; at: number; len: number; chars: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("delete" as const, "rename" as const), at: fc.nat(), name: fc.string({ maxLength: 12 }) }),
  fc.record({ kind: fc.constantFrom("set" as const, "add" as const), at: fc.nat(), name: fc.string({ maxLength: 12 }), value }),
  fc.record({
    kind: fc.constantFrom("text-insert" as const, "text-delete" as const, "text-dup-line" as const, "text-tab" as const),
    at: fc.nat(),
    len: fc.nat({ max: 40 }),
    chars: fc.string({ unit: fc.constantFrom(..." \t\n:-[]{}#&*!|>'\"%@`,?abc019"), maxLength: 12 }),
  }),
);

/** Every (container, key) in a parsed YAML tree, depth first. */
function slots(node: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (Array.isArray(node)) node.forEach((v, i) => (out.push([node, i]), slots(v, out)));
  else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) out.push([node as Record<string, unknown>, k]), slots(v, out);
  return out;
}

function mutate(text: string, m: Mutation): string {
  if (m.kind.startsWith("text-")) {
    const t = m as Extract<Mutation, { chars: string }>;
    const i = text.length ? t.at % text.length : 0;
    if (t.kind === "text-insert") return text.slice(0, i) + t.chars + text.slice(i);
    if (t.kind === "text-delete") return text.slice(0, i) + text.slice(i + t.len);
    const lines = text.split("\n");
    const li = t.at % lines.length;
    if (t.kind === "text-dup-line") lines.splice(li, 0, lines[li]!);
    else lines[li] = lines[li]!.replace(/^ +/, (s) => "\t".repeat(Math.ceil(s.length / 2)));
    return lines.join("\n");
  }
  let doc: unknown;
  try {
    doc = parse(text, { logLevel: "error" });
  } catch {
    return text;
  }
  const all = slots(doc);
  if (all.length === 0 || !doc || typeof doc !== "object") return text;
  const [box, key] = all[m.at % all.length]!;
  const rec = box as Record<string | number, unknown>;
  if (m.kind === "delete") Array.isArray(box) ? box.splice(key as number, 1) : delete rec[key];
  else if (m.kind === "rename" && !Array.isArray(box)) {
    rec[m.name] = rec[key];
    delete rec[key];
  } else if (m.kind === "set") rec[key] = (m as { value: unknown }).value;
  else if (m.kind === "add" && !Array.isArray(box)) rec[m.name] = (m as { value: unknown }).value;
  return stringify(doc);
}

describe("config loader fuzzing", () => {
  test("every seed loads as a config or a problem list (and the example config is valid)", async () => {
    expect(SEEDS.length).toBeGreaterThan(5);
    for (const s of SEEDS) await loadChecked(s);
    expect((await loadChecked(readFileSync(join(ROOT, "configs/config.example.yaml"), "utf8"))).ok).toBe(true);
  });

  test("mutated valid configs are accepted or rejected with problems, never thrown", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (seed, ms) => {
        if ((await loadChecked(ms.reduce(mutate, SEEDS[seed]!))).ok) accepted++;
      }),
      { numRuns: 300 },
    );
    // The mutations must explore around valid configs, not only break them at once (~10% stay valid).
    expect(accepted).toBeGreaterThan(8);
  });

  test("random YAML documents and random text never throw", async () => {
    const doc = fc.dictionary(fc.oneof(fc.constantFrom("node_name", "group", "etcd_endpoints", "windows", "reboot_command", "metrics", "etcd_tls", "cluster_policies", "reboot_required_detectors", "health_script"), fc.string({ maxLength: 10 })), value, { maxKeys: 6 });
    const text = fc.oneof(
      doc.map((d) => stringify(d)),
      fc.string({ maxLength: 300 }),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.array(fc.constantFrom("a: 1", "- x", "  b:", "---", "...", "&a [1]", "*a", "? k", ": v", "|", ">-", "!!str", "%YAML 1.2", "#c", "\t", "{", "}", "[", "]"), { maxLength: 12 }).map((l) => l.join("\n")),
    );
    await fc.assert(fc.asyncProperty(text, async (t) => void (await loadChecked(t))), { numRuns: 300 });
  });

  test.each([
    ["20 000 nested flow sequences", "node_name: " + "[".repeat(20_000) + "]".repeat(20_000)],
    ["an alias bomb", ["a: &a [x,x,x,x,x,x,x,x,x,x]", ..."bcdef".split("").map((c, i) => `${c}: &${c} [${Array(10).fill(`*${"abcdef"[i]}`).join(",")}]`), "node_name: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]"].join("\n")],
    ["3 000 nested block mappings", Array.from({ length: 3000 }, (_, i) => " ".repeat(i) + "k:").join("\n")],
    ["a 5 MB value", "node_name: " + "x".repeat(5_000_000)],
    ["unknown YAML tags", "node_name: !!js/function 'x'\ngroup: !!binary aGVsbG8=\n"],
    ["prototype keys", "__proto__: {polluted: 1}\nconstructor: 1\nnode_name: x"],
  ])("pathological input: %s", async (_name, text) => {
    const r = await loadChecked(text);
    expect(r.ok).toBe(false);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  // Problem lines cut long quoted values (config/load.ts shorten), so a 100 KB value stays readable.
  test("problem lines stay short even for huge values", async () => {
    for (const text of ["node_name: " + "x".repeat(100_000), "node_name: n\netcd_endpoints: ['" + "h".repeat(100_000) + "']"]) {
      const r = await loadChecked(text);
      if (!r.ok) for (const p of r.problems) expect(p.length).toBeLessThan(1_000);
    }
  });
});

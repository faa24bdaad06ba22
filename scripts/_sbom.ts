/**
 * CycloneDX 1.5 SBOM of what the binary is made of: the production npm dependency tree read
 * from package-lock.json (the packages the bundler may pull into the executable; dev tools are
 * left out) plus the Bun runtime the executable embeds. Written here rather than with an npm
 * tool: the lockfile already has names, versions, licenses and integrity hashes, and a
 * dependency walk is 40 lines, not a new package.
 *
 * Also derives the license expression for package metadata and the third-party notices file,
 * from the same walk, so the three can never disagree.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

interface LockEntry {
  name?: string;
  version?: string;
  license?: string;
  integrity?: string;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

export interface NpmComponent {
  name: string;
  version: string;
  license: string;
  /** Path in the lockfile / node_modules, e.g. "node_modules/@grpc/grpc-js". */
  path: string;
  integrity?: string;
  /** Resolved child paths (the dependency edges). */
  deps: string[];
}

/** The Bun runtime inside every executable (https://bun.sh/docs/project/licensing). */
export const BUN_RUNTIME_LICENSE = "MIT AND LGPL-2.0-or-later";

export interface ProductionTree {
  rootName: string;
  rootLicense: string;
  /** Paths of the root's direct dependencies. */
  rootDeps: string[];
  components: NpmComponent[];
}

/** Walks the production dependency tree of the lockfile at `root`, resolving like Node does. */
export async function productionTree(root: string): Promise<ProductionTree> {
  const lock = JSON.parse(await readFile(join(root, "package-lock.json"), "utf8")) as Lockfile;
  if (lock.lockfileVersion < 2) throw new Error("package-lock.json: lockfileVersion 2 or 3 needed (npm 7+)");
  const top = lock.packages[""];
  if (!top) throw new Error("package-lock.json: no root package entry");
  const seen = new Map<string, NpmComponent>();
  const resolveDep = (from: string, name: string): string | undefined => {
    for (let dir = from; ; ) {
      const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (dir === "") return undefined;
      const i = dir.lastIndexOf("/node_modules/");
      dir = i < 0 ? "" : dir.slice(0, i);
    }
  };
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    const e = lock.packages[path]!;
    const name = e.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const comp: NpmComponent = { name, version: e.version ?? "0.0.0", license: e.license ?? "NOASSERTION", path, deps: [], ...(e.integrity ? { integrity: e.integrity } : {}) };
    seen.set(path, comp);
    for (const [dep, optional] of depNames(e)) {
      const p = resolveDep(path, dep);
      if (p === undefined) {
        if (optional) continue;
        throw new Error(`package-lock.json: ${name} needs ${dep}, which the lockfile does not contain`);
      }
      comp.deps.push(p);
      visit(p);
    }
  };
  const rootDeps: string[] = [];
  for (const [dep, optional] of depNames(top)) {
    const p = resolveDep("", dep);
    if (p === undefined) {
      if (optional) continue;
      throw new Error(`package-lock.json: dependency ${dep} missing`);
    }
    rootDeps.push(p);
    visit(p);
  }
  const components = [...seen.values()].sort((a, b) => a.path.localeCompare(b.path));
  return { rootName: top.name ?? "clusterrebootd", rootLicense: top.license ?? "NOASSERTION", rootDeps, components };
}

export interface SbomInput {
  root: string;
  version: string;
  /** ISO-8601; reproducible builds pass the build date. */
  timestamp: string;
  bunVersion: string;
}

/** The CycloneDX document (JSON-serializable). */
export async function cycloneDx(input: SbomInput): Promise<Record<string, unknown>> {
  const tree = await productionTree(input.root);
  const purl = (c: { name: string; version: string }) => `pkg:npm/${c.name.replace(/^@/, "%40")}@${c.version}`;
  const rootRef = `pkg:npm/${tree.rootName}@${input.version}`;
  const bunRef = `pkg:github/oven-sh/bun@bun-v${input.bunVersion}`;
  const byPath = new Map(tree.components.map((c) => [c.path, c]));
  const refOf = (path: string) => purl(byPath.get(path)!);
  const unique = new Map<string, Record<string, unknown>>();
  for (const c of tree.components) {
    const ref = purl(c);
    if (unique.has(ref)) continue;
    const slash = c.name.startsWith("@") ? c.name.indexOf("/") : -1;
    unique.set(ref, {
      type: "library",
      "bom-ref": ref,
      ...(slash > 0 ? { group: c.name.slice(0, slash), name: c.name.slice(slash + 1) } : { name: c.name }),
      version: c.version,
      purl: ref,
      licenses: licenseField(c.license),
      ...(c.integrity ? { hashes: [integrityHash(c.integrity)] } : {}),
    });
  }
  const deps = new Map<string, Set<string>>([[rootRef, new Set([bunRef, ...tree.rootDeps.map(refOf)])], [bunRef, new Set()]]);
  for (const c of tree.components) {
    const set = deps.get(purl(c)) ?? new Set<string>();
    for (const d of c.deps) set.add(refOf(d));
    deps.set(purl(c), set);
  }
  const serial = createHash("sha256").update(`${rootRef}\n${JSON.stringify([...unique.keys()])}`).digest("hex");
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: `urn:uuid:${serial.slice(0, 8)}-${serial.slice(8, 12)}-5${serial.slice(13, 16)}-8${serial.slice(17, 20)}-${serial.slice(20, 32)}`,
    version: 1,
    metadata: {
      timestamp: input.timestamp,
      tools: { components: [{ type: "application", name: "clusterrebootd scripts/_sbom.ts" }] },
      component: { type: "application", "bom-ref": rootRef, name: tree.rootName, version: input.version, purl: rootRef, licenses: licenseField(tree.rootLicense) },
    },
    components: [
      {
        type: "platform",
        "bom-ref": bunRef,
        name: "bun",
        version: input.bunVersion,
        description: "Bun runtime embedded in the executable (statically links JavaScriptCore and other libraries; see https://bun.sh/docs/project/licensing)",
        purl: bunRef,
        licenses: [{ expression: BUN_RUNTIME_LICENSE }],
      },
      ...[...unique.values()].sort((a, b) => String(a["bom-ref"]).localeCompare(String(b["bom-ref"]))),
    ],
    dependencies: [...deps].map(([ref, on]) => ({ ref, dependsOn: [...on].sort() })).sort((a, b) => a.ref.localeCompare(b.ref)),
  };
}

/** SPDX expression for the shipped executable: our license, every bundled package's, Bun's. */
export async function binaryLicense(root: string): Promise<string> {
  const tree = await productionTree(root);
  const ids = new Set<string>([tree.rootLicense]);
  for (const c of tree.components) for (const id of c.license.split(/\s+(?:AND|OR)\s+|[()]/).filter(Boolean)) ids.add(id);
  for (const id of BUN_RUNTIME_LICENSE.split(" AND ")) ids.add(id);
  ids.delete("NOASSERTION");
  const [first, ...rest] = [tree.rootLicense, ...[...ids].filter((i) => i !== tree.rootLicense).sort()];
  return [first, ...rest].join(" AND ");
}

/** Plain-text notices: each bundled package with its license text from node_modules. */
export async function thirdPartyNotices(root: string, bunVersion: string): Promise<string> {
  const tree = await productionTree(root);
  const parts = [
    "Third-party software in the clusterrebootd executable",
    "",
    `The executable embeds the Bun runtime ${bunVersion} (${BUN_RUNTIME_LICENSE}; it statically links`,
    "JavaScriptCore/WebKit under the LGPL and other libraries listed at https://bun.sh/docs/project/licensing;",
    "the modified WebKit source is at https://github.com/oven-sh/webkit) and these npm packages:",
    "",
  ];
  // One copy of each distinct license text, headed by the packages it covers.
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const c of tree.components) {
    const key = `${c.name}@${c.version} (${c.license})`;
    if (seen.has(key)) continue;
    seen.add(key);
    const text = (await licenseText(join(root, c.path))) ?? `(no license file in the package; license: ${c.license})`;
    groups.set(text, [...(groups.get(text) ?? []), key]);
  }
  for (const [text, keys] of groups) parts.push("=".repeat(78), ...keys, "=".repeat(78), text, "");
  return parts.join("\n");
}

// --- internal ---

function depNames(e: LockEntry): Array<[string, boolean]> {
  return [...Object.keys(e.dependencies ?? {}).map((d): [string, boolean] => [d, false]), ...Object.keys(e.optionalDependencies ?? {}).map((d): [string, boolean] => [d, true])];
}

function licenseField(license: string): Array<Record<string, unknown>> {
  if (/^[A-Za-z0-9.+-]+$/.test(license) && license !== "NOASSERTION") return [{ license: { id: license } }];
  return license === "NOASSERTION" ? [] : [{ expression: license }];
}

/** npm integrity "sha512-<base64>" → CycloneDX hash. */
function integrityHash(integrity: string): { alg: string; content: string } {
  const [alg, b64] = integrity.split(" ")[0]!.split("-", 2) as [string, string];
  return { alg: alg.toUpperCase().replace(/^SHA(\d)/, "SHA-$1"), content: Buffer.from(b64, "base64").toString("hex") };
}

async function licenseText(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const file = names.find((n) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(n));
  return file ? (await readFile(join(dir, file), "utf8")).trim() : undefined;
}

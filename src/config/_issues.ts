/**
 * Mappings with a closed set of keys, and valibot issues turned into the problem strings we
 * print: `dotted.path[1].key: message`.
 *
 * Unknown keys are valibot's own issues: `objectWithRest(entries, never())` reports every one
 * (`strictObject` stops at the first of each mapping, and we report every problem at once, W14).
 */
import * as v from "valibot";
import { describeValue } from "./_fields.ts";

export type PathKey = string | number;

/**
 * A mapping with exactly these keys. Output typed without valibot's `[key: string]: never` rest
 * signature: every unknown key is an issue, so the parsed value never has one.
 */
export function closed<const E extends v.ObjectEntries>(entries: E) {
  return mapping(closedObject(entries));
}

/** The object schema of `closed`, for `variant` options (which must be object schemas). */
export function closedObject<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  const rest = v.never((issue: v.NeverIssue) => {
    STRUCTURE.set(issue, known);
    return "unknown key";
  });
  return v.objectWithRest(entries, rest) as unknown as v.StrictObjectSchema<E, undefined>;
}

/**
 * `schema` behind the check valibot's object and record schemas leave out: a list is not a
 * mapping (they take one, and its indices would pass as keys).
 */
export function mapping<S extends v.GenericSchema>(schema: S) {
  return v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!Array.isArray(dataset.value)) return;
      addIssue({ message: "expected a mapping, got a list" });
      // Structural like an unknown key: printed in file order with them (no hint).
      STRUCTURE.set(dataset.issues!.at(-1)!, []);
    }),
    schema,
  );
}

/**
 * The issue path of `keys` below `root`, for a rawCheck that reports one problem per entry (a
 * partialCheck reports one problem, where `forward` says).
 */
export function pathTo(root: unknown, keys: readonly PathKey[]): [v.UnknownPathItem, ...v.UnknownPathItem[]] | undefined {
  const items: v.UnknownPathItem[] = [];
  let input = root;
  for (const key of keys) {
    const value = input !== null && typeof input === "object" ? (input as Record<PathKey, unknown>)[key] : undefined;
    items.push({ type: "unknown", origin: "value", input, key, value });
    input = value;
  }
  const [first, ...rest] = items;
  return first === undefined ? undefined : [first, ...rest];
}

/**
 * Removes the keys valibot's object schemas skip on purpose (`__proto__`, `prototype`,
 * `constructor`: prototype pollution) from the parsed YAML, at any depth, and returns them as
 * problems: no mapping of ours has such a key, and one skipped silently would hide a typo. Done
 * before the schema runs so every other problem of that mapping is still found.
 */
export function dropSkippedKeys(data: unknown, path: PathKey[] = []): string[] {
  if (data === null || typeof data !== "object") return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const at = [...path, Array.isArray(data) ? Number(key) : key];
    if (!Array.isArray(data) && (SKIPPED_KEYS as readonly string[]).includes(key)) {
      out.push(`${formatPath(at)}: unknown key`);
      delete (data as Record<string, unknown>)[key];
    } else out.push(...dropSkippedKeys(value, at));
  }
  return out;
}

/** `reboot_required_detectors[1].timeout_sec`; "config" for the document root. */
export function formatPath(path: readonly PathKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out === "" ? "config" : out;
}

/**
 * Problems from valibot issues, in valibot's order, then the structural ones (unknown keys, lists
 * where a mapping belongs) in the order they appear in the file.
 */
export function issueProblems(issues: readonly v.BaseIssue<unknown>[]): string[] {
  const line = (issue: v.BaseIssue<unknown>) => `${formatPath(keysOf(issue))}: ${issue.message}${hint(issue)}`;
  const structural = issues.filter(isStructural).sort((a, b) => inputOrder(a.path ?? [], b.path ?? []));
  return [...issues.filter((i) => !isStructural(i)).map(line), ...structural.map(line)];
}

/**
 * Message for issues whose schema did not set one (mappings, missing keys). Passed to
 * `safeParse` as the global `message`, which valibot uses only in that case.
 */
export function fallbackMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.kind === "schema") {
    if (issue.input === undefined) return "is required";
    if (issue.input === null) return `is empty; expected ${friendlyType(issue.expected)}`;
    return `expected ${friendlyType(issue.expected)}, got ${describeValue(issue.input)}`;
  }
  return issue.message;
}

// --- internal ---

const SKIPPED_KEYS = ["__proto__", "prototype", "constructor"] as const;

/** Structural issues → the keys their mapping knows, for the hint (the rest schema never sees its key). */
const STRUCTURE = new WeakMap<object, readonly string[]>();

const isStructural = (issue: v.BaseIssue<unknown>): boolean => STRUCTURE.has(issue);

const keysOf = (issue: v.BaseIssue<unknown>): PathKey[] => (issue.path ?? []).map((item) => item.key as PathKey);

/** ` (did you mean "node_name"?)` for an unknown key close to a known one. */
function hint(issue: v.BaseIssue<unknown>): string {
  const known = STRUCTURE.get(issue);
  const key = keysOf(issue).at(-1);
  if (known === undefined || typeof key !== "string") return "";
  const best = closest(key, known);
  return best === null ? "" : ` (did you mean "${best}"?)`;
}

/** Depth first, in the order keys and items appear in the input. */
function inputOrder(a: readonly v.IssuePathItem[], b: readonly v.IssuePathItem[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.key === y.key) continue;
    const keys = x.input !== null && typeof x.input === "object" ? Object.keys(x.input) : [];
    return keys.indexOf(String(x.key)) - keys.indexOf(String(y.key));
  }
  return a.length - b.length;
}

function friendlyType(expected: string | null): string {
  switch (expected) {
    case "Array":
      return "a list";
    case "Object":
      return "a mapping";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return expected ?? "something else";
  }
}

/** The known key nearest to `key` by edit distance, if it is plausibly a typo. */
function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDist = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * Names label results, logs and metrics, so a list's names must be unique: a rawCheck with one
 * problem per repeat. `nameOf` names an entry from what was written (it may not have parsed) and
 * returns undefined for one that has no meaningful name; `problem` says what and where.
 */
export function uniqueNames<T>(
  nameOf: (entry: object) => string | undefined,
  problem: (name: string, first: number, entry: object) => { message: string; at?: PathKey[] },
) {
  return v.rawCheck<T[]>(({ dataset, addIssue }) => {
    const seen = new Map<string, number>();
    const list: unknown = dataset.value;
    if (!Array.isArray(list)) return;
    list.forEach((e: unknown, i) => {
      if (e === null || typeof e !== "object" || Array.isArray(e)) return;
      const name = nameOf(e);
      if (name === undefined) return;
      const first = seen.get(name);
      if (first === undefined) return void seen.set(name, i);
      const p = problem(name, first, e);
      addIssue({ message: p.message, path: pathTo(list, [i, ...(p.at ?? [])]) });
    });
  });
}

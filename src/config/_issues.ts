/**
 * Turn valibot issues into the problem strings we print: `dotted.path[1].key: message`.
 *
 * Unknown keys are found by walking the schema next to the input rather than taken from
 * valibot, because `strictObject` stops at the first unknown key of an object and we report
 * every problem in one go (W14).
 */
import * as v from "valibot";
import { describeValue } from "./_fields.ts";
import type { PathKey } from "./_cross.ts";

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

/** Problems from valibot issues, minus its unknown-key issues (see `structureProblems`). */
export function issueProblems(issues: readonly v.BaseIssue<unknown>[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (isUnknownKeyIssue(issue)) continue;
    const path = (issue.path ?? []).map((item) => item.key as PathKey);
    out.push(`${formatPath(path)}: ${issue.message}`);
  }
  return out;
}

/**
 * Structural problems valibot does not report: every key of `input` the schema does not know,
 * at every level (with a spelling hint), and lists where a mapping belongs (valibot's object
 * schemas accept arrays, whose indices would then pass as keys).
 */
export function structureProblems(schema: v.GenericSchema, input: unknown): string[] {
  const out: string[] = [];
  walk(schema, input, [], out);
  return out;
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

function isUnknownKeyIssue(issue: v.BaseIssue<unknown>): boolean {
  return issue.type === "strict_object" && issue.expected === "never";
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

/** The schema's structural parts; valibot exposes them as plain properties. */
interface SchemaParts {
  type: string;
  entries?: Record<string, v.GenericSchema>;
  wrapped?: v.GenericSchema;
  item?: v.GenericSchema;
  value?: v.GenericSchema;
}

function walk(schema: v.GenericSchema, input: unknown, path: PathKey[], out: string[]): void {
  let s = schema as unknown as SchemaParts;
  while ((s.type === "nullish" || s.type === "optional") && s.wrapped !== undefined) {
    s = s.wrapped as unknown as SchemaParts;
  }
  if (Array.isArray(input)) {
    if (s.type === "array" && s.item !== undefined) input.forEach((x, i) => walk(s.item!, x, [...path, i], out));
    else if (s.type === "strict_object" || s.type === "record") out.push(`${formatPath(path)}: expected a mapping, got a list`);
    return;
  }
  if (input === null || typeof input !== "object") return;
  const obj = input as Record<string, unknown>;
  if (s.type === "strict_object" && s.entries !== undefined) {
    const known = Object.keys(s.entries);
    for (const key of Object.keys(obj)) {
      // hasOwn: a key named like an Object method (`toString`) is unknown too, not a "schema".
      const entry = Object.hasOwn(s.entries, key) ? s.entries[key] : undefined;
      if (entry === undefined) {
        const hint = closest(key, known);
        out.push(`${formatPath([...path, key])}: unknown key${hint === null ? "" : ` (did you mean "${hint}"?)`}`);
      } else walk(entry, obj[key], [...path, key], out);
    }
  } else if (s.type === "record" && s.value !== undefined) {
    for (const key of Object.keys(obj)) walk(s.value, obj[key], [...path, key], out);
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

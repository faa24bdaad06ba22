/**
 * Small valibot builders for config fields, so every field states its type, default and bounds
 * in one line and every problem message names what was expected and what was found.
 *
 * Defaults follow "null or absent = unset": `v.nullish(schema, default)`. An explicit value is
 * always validated, never swapped for the default (W24: the Go daemon silently turned an explicit
 * `0` into the default, so `health_timeout_sec: 0` meant 30).
 */
import * as v from "valibot";

/** How a YAML value reads in a message: `"abc" (a string)`, `1.5`, `a list`, `null`. */
export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "nothing";
  if (typeof x === "string") return `${JSON.stringify(x)} (a string)`;
  if (typeof x === "number" || typeof x === "boolean") return String(x);
  if (Array.isArray(x)) return "a list";
  if (typeof x === "object") return "a mapping";
  return typeof x;
}

/**
 * `x[key]` when `x` is a mapping, else undefined. For the checks that run on a partially parsed
 * config (files, trust, Kubernetes warnings), where any field may still be raw input.
 */
export function get(x: unknown, key: string): unknown {
  return x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>)[key] : undefined;
}

/** Message for a wrong type: `expected an integer, got "30" (a string)`. */
export const expected =
  (what: string) =>
  (issue: v.BaseIssue<unknown>): string =>
    issue.input === undefined
      ? `is required (${what})`
      : issue.input === null
        ? `is empty; expected ${what}`
        : `expected ${what}, got ${describeValue(issue.input)}`;

/** A check whose message comes from the same function: `problem(x)` is the message or null. */
export const problemCheck = <T>(problem: (x: T) => string | null) =>
  v.check<T, (issue: v.CheckIssue<T>) => string>(
    (x) => problem(x) === null,
    (issue) => problem(issue.input) ?? "",
  );

/** A string, or the default when null/absent. */
export const str = <D extends string | null>(def: D) => v.nullish(v.string(expected("a string")), def);

/** true/false, or the default when null/absent. */
export const bool = (def: boolean) => v.nullish(v.boolean(expected("true or false")), def);

/**
 * The longest duration a timer can hold: setTimeout takes a signed 32-bit millisecond count and
 * turns anything larger into 1 ms, so `check_interval_sec: 3000000` became a pass every
 * millisecond (hundreds of etcd writes a second). 2^31-1 ms, in whole seconds (about 24.8 days).
 */
export const MAX_TIMER_SEC = Math.floor((2 ** 31 - 1) / 1000);

const tooLong = (i: v.BaseIssue<unknown>) =>
  `must be ≤ ${MAX_TIMER_SEC} s (about 24.8 days, the longest a timer can wait), got ${describeValue(i.input)}`;

/** The integer schema without a default; `min` is inclusive. */
export function intSchema(min: number, opts: { default?: number; why?: string } = {}) {
  const bound = min === 1 ? "must be > 0" : `must be ≥ ${min}`;
  return v.pipe(
    v.number(expected("an integer")),
    v.integer((i) => `must be an integer, got ${describeValue(i.input)}`),
    v.minValue(min, (i) => {
      let msg = `${bound}, got ${describeValue(i.input)}`;
      if (opts.why !== undefined) msg += `: ${opts.why}`;
      // W24: say why 0 is not "use the default" any more, and how to get the default.
      if (i.input === 0 && opts.default !== undefined) msg += ` (omit the key to use the default, ${opts.default})`;
      return msg;
    }),
  );
}

/** A duration in seconds: an integer from `min` to MAX_TIMER_SEC. */
export const secondsSchema = (min: number, opts: { default?: number; why?: string } = {}) =>
  v.pipe(intSchema(min, opts), v.maxValue(MAX_TIMER_SEC, tooLong));

/** A duration in seconds (every `*_sec` key), or the default when null/absent. */
export const seconds = (min: number, def: number, why?: string) =>
  v.nullish(secondsSchema(min, why === undefined ? { default: def } : { default: def, why }), def);

/** A duration in seconds, or null (unset) when null/absent. */
export const optSeconds = (min: number) => v.nullish(secondsSchema(min), null);

/** An integer ≥ min, or the default when null/absent. */
export const int = (min: number, def: number, why?: string) =>
  v.nullish(intSchema(min, why === undefined ? { default: def } : { default: def, why }), def);

/** An integer ≥ min, or null (unset) when null/absent. */
export const optInt = (min: number) => v.nullish(intSchema(min), null);

/** A list of `item`, or the default when null/absent. */
export const list = <T extends v.GenericSchema>(item: T, def: v.InferOutput<T>[]) =>
  v.nullish(v.array(item, expected("a list")), () => [...def]);

/** Names used verbatim inside etcd keys: node_name, group, fallback_nodes (W14). */
const NAME_RE = /^[A-Za-z0-9._-]{1,63}$/;

/** The problem with a node or group name, or null. */
export function nameProblem(name: string): string | null {
  if (name === "." || name === "..") return `must not be "." or ".." (names are used in etcd keys)`;
  if (!NAME_RE.test(name)) {
    return `must be 1–63 characters of A-Z a-z 0-9 . _ - (names are used in etcd keys), got ${JSON.stringify(name)}`;
  }
  return null;
}

/** A node or group name (string, charset-checked). */
export const nameSchema = v.pipe(v.string(expected("a string")), problemCheck(nameProblem));

/** A path-like string that maps "" to `def` (Go compatibility: "" meant "use the default"). */
export const defaultingPath = (def: string) =>
  v.nullish(
    v.pipe(
      v.string(expected("a string")),
      v.transform((s) => (s === "" ? def : s)),
    ),
    def,
  );

/**
 * `schema`, untyped once it has a problem, for the partialChecks after it. valibot keeps a value
 * typed when its problems are all validations (a number below its minimum), and runs a
 * partialCheck on a typed value whatever its paths hold: `lock_ttl_sec: -1` would also be "not
 * greater than health_timeout_sec". Untyped, a rule skips the keys that have a problem (and those
 * a rule before it reported at).
 */
export const checked = <S extends v.GenericSchema>(schema: S) => v.pipe(schema, v.transform((x: v.InferOutput<S>) => x));

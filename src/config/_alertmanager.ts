/**
 * `alertmanager:` (optional): silence this node's alerts while it reboots. When the slot is fenced
 * the daemon creates an Alertmanager silence with these matchers, ending at the slot's deadline,
 * and expires it after the post-boot release (a node that never comes back: it ends by itself).
 * Alertmanager being down never blocks or delays a reboot (src/silences/).
 */
import * as v from "valibot";
import { closed, mapping } from "./_issues.ts";
import { expected, problemCheck, secondsSchema } from "./_fields.ts";
import { httpUrl } from "./_parsed.ts";
import { placeholdersOf } from "./placeholders.ts";

/** Placeholders a matcher value may use: this node's name (one config file for the whole fleet). */
export const SILENCE_PLACEHOLDERS = ["NODE_NAME"] as const;

/** The default: the node's own targets, `instance="n1"` or `instance="n1:9100"`. */
export const DEFAULT_SILENCE_MATCHERS = [{ name: "instance", value: "${NODE_NAME}(:[0-9]+)?", is_regex: true, is_equal: true }];

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function valueProblem(m: { value: string; is_regex: boolean }): string | null {
  const p = placeholdersOf(m.value);
  if (!p.ok) return `malformed placeholder ${JSON.stringify(p.text)} in value`;
  const unknown = p.names.filter((n) => !(SILENCE_PLACEHOLDERS as readonly string[]).includes(n));
  if (unknown.length) return `unknown placeholder ${unknown.map((n) => "$" + n).join(", ")} in value (only ${SILENCE_PLACEHOLDERS.map((n) => "${" + n + "}").join(", ")})`;
  if (m.is_regex) {
    try {
      new RegExp(m.value.replaceAll("${NODE_NAME}", "node").replaceAll("$NODE_NAME", "node"));
    } catch (e) {
      return `value is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return null;
}

const Matcher = v.pipe(
  closed({
    name: v.pipe(v.string(expected("a label name")), problemCheck((s: string) => (LABEL_NAME.test(s) ? null : `must be a label name ([a-zA-Z_][a-zA-Z0-9_]*), got ${JSON.stringify(s)}`))),
    value: v.pipe(v.string(expected("a string")), problemCheck((s: string) => (s === "" ? "must not be empty (an empty matcher silences alerts without the label)" : null))),
    /** `value` is a regular expression (Alertmanager's =~ / !~). */
    is_regex: v.nullish(v.boolean(expected("true or false")), false),
    /** false: the label must NOT match (!= / !~). */
    is_equal: v.nullish(v.boolean(expected("true or false")), true),
  }),
  problemCheck((m: { name: string; value: string; is_regex: boolean; is_equal: boolean }) => valueProblem(m)),
);


export const AlertmanagerSchema = v.nullish(
  closed({
    /** Alertmanager's base URL, e.g. http://alertmanager.monitoring:9093 (the API is /api/v2). */
    url: httpUrl,
    /** Which alerts to silence; all must match. At least one: an empty list would silence everything. */
    matchers: v.nullish(
      v.pipe(v.array(Matcher, expected("a list of matchers {name, value, is_regex, is_equal}")), v.minLength(1, "must list at least one matcher (none would silence every alert)")),
      () => DEFAULT_SILENCE_MATCHERS.map((m) => ({ ...m })),
    ),
    created_by: v.nullish(v.pipe(v.string(expected("a string")), problemCheck((s: string) => (s.trim() === "" ? "must not be blank" : null))), "clusterrebootd"),
    /** Each request's deadline; a slow Alertmanager never holds up the reboot longer than this. */
    timeout_sec: v.nullish(v.pipe(secondsSchema(1, { default: 3 }), v.maxValue(30, (i) => `must be ≤ 30 (a silence request must not hold up a reboot), got ${String(i.input)}`)), 3),
    /** Extra request headers, e.g. Authorization for an Alertmanager behind a proxy. */
    headers: v.nullish(mapping(v.record(v.string(), v.string(expected("a string")), expected("a mapping of header name to value"))), () => ({})),
  }),
  null,
);
export type AlertmanagerConfig = NonNullable<v.InferOutput<typeof AlertmanagerSchema>>;

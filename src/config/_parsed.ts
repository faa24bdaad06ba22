/**
 * Config values parsed where they are checked (valibot rawTransform), so the rest of the code
 * gets the parsed form and never parses them again.
 */
import * as v from "valibot";
import { parseWindowExpression } from "../windows/index.ts";
import { parseEndpoint, parseHttpUrl, type Parsed } from "./_addresses.ts";
import { expected } from "./_fields.ts";

/** The step from a checked input to its parsed value; the parser's problem is the issue's message. */
export const parsedBy = <I, O>(parse: (input: I) => Parsed<O>) =>
  v.rawTransform<I, O>(({ dataset, addIssue, NEVER }) => {
    const r = parse(dataset.value);
    if (r.ok) return r.value;
    addIssue({ message: r.error });
    return NEVER;
  });

/** One endpoint, parsed here once: as written (RC_ETCD_ENDPOINTS) and its parts. */
export const endpoint = v.pipe(v.string(expected("a string")), parsedBy(parseEndpoint));

/** One window expression, parsed here once: its text as written and the parsed window. */
export const windowExpression = v.pipe(
  v.string(expected("a window expression")),
  parsedBy((text: string) => {
    const r = parseWindowExpression(text);
    return r.ok ? { ok: true, value: { text, window: r.window } } : r;
  }),
);

/** An http:// or https:// URL (the checks, Alertmanager), parsed once: as written and its URL. */
export const httpUrlParts = v.pipe(v.string(expected("an http:// or https:// URL")), parsedBy(parseHttpUrl));
export const httpUrl = v.pipe(httpUrlParts, v.transform((u) => u.text));

/**
 * Config values parsed where they are checked (valibot rawTransform), so the rest of the code
 * gets the parsed form and never parses them again.
 */
import * as v from "valibot";
import { parseWindowExpression } from "../windows/index.ts";
import { parseEndpoint } from "./_addresses.ts";
import { expected } from "./_fields.ts";

/** One endpoint, parsed here once: as written (RC_ETCD_ENDPOINTS) and its parts. */
export const endpoint = v.pipe(
  v.string(expected("a string")),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const r = parseEndpoint(dataset.value);
    if (r.ok) return { text: dataset.value, ...r.value };
    addIssue({ message: r.error });
    return NEVER;
  }),
);

/** One window expression, parsed here once: its text as written and the parsed window. */
export const windowExpression = v.pipe(
  v.string(expected("a window expression")),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const r = parseWindowExpression(dataset.value);
    if (r.ok) return { text: dataset.value, window: r.window };
    addIssue({ message: r.error });
    return NEVER;
  }),
);

/**
 * Cross-field checks that still run when other fields are broken, so one load reports every
 * problem (W14). A check declares the fields it reads; it is skipped only when one of *those*
 * already has a problem (the same rule as valibot's `partialCheck`, but a check may report any
 * number of problems at any paths below the object it is attached to).
 */
import * as v from "valibot";

export type PathKey = string | number;

/** One problem found by a cross-field check, at a path relative to the checked object. */
export interface CrossProblem {
  path: readonly PathKey[];
  message: string;
}

/** One cross-field rule: the fields it reads and the check itself. */
export interface CrossRule<T> {
  reads: readonly (readonly PathKey[])[];
  check: (value: T) => CrossProblem[];
}

/**
 * A valibot pipe action running each rule on the object when the fields in its `reads` are
 * clean. `check` sees the parsed (defaulted) object; fields outside `reads` may be unparsed input.
 */
export function crossChecks<T>(rules: readonly CrossRule<T>[]) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    // A problem at the object itself (wrong type, e.g. a string where a list belongs): valibot
    // still runs validations after it, but there is nothing to cross-check.
    if (dataset.issues?.some((issue) => (issue.path ?? []).length === 0)) return;
    const value = dataset.value as T;
    // Judge cleanliness on the issues from before these rules: one rule's finding (say
    // lock_ttl_sec ≤ health_timeout_sec) must not hide another rule reading the same field.
    const before = dataset.issues === undefined ? undefined : [...dataset.issues];
    for (const rule of rules) {
      if (!isClean(before, rule.reads)) continue;
      for (const p of rule.check(value)) {
        const [first, ...rest] = toPathItems(value, p.path);
        addIssue(first === undefined ? { message: p.message } : { message: p.message, path: [first, ...rest] });
      }
    }
  });
}

/** A single rule as a pipe action. */
export const crossCheck = <T>(reads: CrossRule<T>["reads"], check: CrossRule<T>["check"]) => crossChecks<T>([{ reads, check }]);

/** True when no issue so far touches any path in `reads` (prefix in either direction). */
function isClean(issues: readonly v.BaseIssue<unknown>[] | undefined, reads: readonly (readonly PathKey[])[]): boolean {
  if (issues === undefined) return true;
  return !issues.some((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key as PathKey);
    return reads.some((read) => {
      const n = Math.min(read.length, keys.length);
      for (let i = 0; i < n; i++) if (read[i] !== keys[i]) return false;
      return true;
    });
  });
}

function toPathItems(root: unknown, path: readonly PathKey[]): v.UnknownPathItem[] {
  const items: v.UnknownPathItem[] = [];
  let input: unknown = root;
  for (const key of path) {
    const value = input !== null && typeof input === "object" ? (input as Record<PathKey, unknown>)[key] : undefined;
    items.push({ type: "unknown", origin: "value", input, key, value });
    input = value;
  }
  return items;
}

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  checkWindowExpression,
  evaluateWindows,
  nextWindowChange,
  parseWindows,
  type WindowDecision,
} from "../../../src/windows/index.ts";

const MAX_DATE_MS = 8.64e15;
const EIGHT_DAYS_MS = 8 * 86_400_000;
const ZONES = ["UTC", "local", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kathmandu"];

const DAY_SPELLINGS = [
  "sun", "sunday", "mon", "monday", "tue", "tues", "tuesday", "wed", "weds", "wednesday",
  "thu", "thur", "thurs", "thursday", "fri", "friday", "sat", "saturday",
];

/** A day name in random letter case. */
const dayArb = fc
  .tuple(fc.constantFrom(...DAY_SPELLINGS), fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }))
  .map(([name, upper]) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
const itemArb = fc.oneof(dayArb, fc.tuple(dayArb, dayArb).map(([a, b]) => `${a}-${b}`));
const listArb = fc.array(itemArb, { minLength: 1, maxLength: 4 }).chain((items) =>
  fc.constantFrom(",", ", ").map((sep) => items.join(sep)),
);
const twoDigits = (n: number) => String(n).padStart(2, "0");
const timeArb = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.boolean())
  .map(([h, m, pad]) => `${pad ? twoDigits(h) : h}:${twoDigits(m)}`);
const endTimeArb = fc.oneof(timeArb, fc.constant("24:00"));
const dashArb = fc.constantFrom("-", " - ", " -", "- ");

/** Grammatical expressions: with an end day the start is a single day, as the grammar demands. */
const wellFormedArb = fc.oneof(
  fc
    .tuple(fc.option(fc.oneof(fc.constant("*"), listArb), { nil: undefined }), timeArb, dashArb, endTimeArb)
    .map(([days, start, dash, end]) => `${days === undefined ? "" : `${days} `}${start}${dash}${end}`),
  fc
    .tuple(dayArb, timeArb, dashArb, dayArb, endTimeArb)
    .map(([d1, start, dash, d2, end]) => `${d1} ${start}${dash}${d2} ${end}`),
);

/** Near-grammar token soup: most of it invalid in interesting ways. */
const TOKENS = ["Mon", "fri", "Tues", "*", "-", ",", ":", " ", "\t", "10:00", "24:00", "25:00", "9:5", "7", "x", "", "--", "::"];
const soupArb = fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }).map((t) => t.join(""));
const anyStringArb = fc.oneof(fc.string(), fc.string({ unit: "binary" }), soupArb, wellFormedArb);

const instantArb = fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS });
const allowed = (d: WindowDecision) => d.kind === "allowed";

describe("windows: properties", () => {
  test("well-formed expressions always parse", () => {
    fc.assert(
      fc.property(wellFormedArb, (expr) => {
        expect(checkWindowExpression(expr)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  test("any string gives an error message or null, never a throw, and parseWindows agrees", () => {
    fc.assert(
      fc.property(fc.array(anyStringArb, { maxLength: 4 }), fc.array(anyStringArb, { maxLength: 4 }), fc.oneof(fc.constantFrom(...ZONES), fc.string()), (deny, allow, timezone) => {
        const r = parseWindows({ deny, allow, timezone });
        const badExprs = [...deny, ...allow].filter((e) => checkWindowExpression(e) !== null).length;
        if (r.ok) expect(badExprs).toBe(0);
        else {
          expect(r.errors.length).toBeGreaterThan(0);
          for (const e of r.errors) expect(e).toMatch(/^windows\.(deny\[\d+\]|allow\[\d+\]|timezone): ./);
          expect(r.errors.filter((e) => !e.startsWith("windows.timezone")).length).toBe(badExprs);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("evaluate never throws, and nextWindowChange returns the first flip within 8 days", () => {
    const setArb = fc.record({
      deny: fc.array(wellFormedArb, { maxLength: 3 }),
      allow: fc.array(wellFormedArb, { maxLength: 3 }),
      timezone: fc.constantFrom(...ZONES),
    });
    fc.assert(
      fc.property(setArb, instantArb, (input, now) => {
        const r = parseWindows(input);
        if (!r.ok) throw new Error(r.errors.join("; "));
        const before = allowed(evaluateWindows(r.windows, now));
        const next = nextWindowChange(r.windows, now);
        if (next === null) return;
        expect(next).toBeGreaterThan(now);
        expect(next).toBeLessThanOrEqual(now + EIGHT_DAYS_MS);
        expect(allowed(evaluateWindows(r.windows, next))).toBe(!before);
        expect(allowed(evaluateWindows(r.windows, next - 1))).toBe(before);
      }),
      { numRuns: 300 },
    );
  });
});

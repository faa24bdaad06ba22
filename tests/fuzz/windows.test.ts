/**
 * Window-parser fuzzing beyond tests/unit/windows/property.test.ts (which covers: grammatical
 * expressions parse, any string gives a message or null, evaluate/nextWindowChange agree). Added
 * here: long and repetitive inputs are answered quickly; every spelling of a day means the same
 * day; and a window set decides exactly as its single windows do (deny wins, then any allow).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { checkWindowExpression, evaluateWindows, nextWindowChange, parseWindows, type WindowSet } from "../../src/windows/index.ts";

/** Spellings of each day, Sunday first. */
const SPELLINGS = [["sun", "sunday"], ["mon", "monday"], ["tue", "tues", "tuesday"], ["wed", "weds", "wednesday"], ["thu", "thur", "thurs", "thursday"], ["fri", "friday"], ["sat", "saturday"]];
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"];
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) });

/** An expression as structure; `render` spells it with a choice of day names and letter case. */
const shape = fc.record({
  days: fc.oneof(fc.constant(null), fc.array(fc.oneof(fc.nat({ max: 6 }), fc.tuple(fc.nat({ max: 6 }), fc.nat({ max: 6 }))), { minLength: 1, maxLength: 3 })),
  start: fc.tuple(fc.nat({ max: 23 }), fc.nat({ max: 59 })),
  end: fc.tuple(fc.nat({ max: 24 }), fc.nat({ max: 59 })).map(([h, m]) => [h, h === 24 ? 0 : m] as const),
});
type Shape = typeof shape extends fc.Arbitrary<infer S> ? S : never;
const choice = fc.array(fc.nat(), { minLength: 12, maxLength: 12 });

function render(s: Shape, picks: number[]): string {
  let k = 0;
  const day = (d: number) => {
    const names = SPELLINGS[d]!;
    const name = names[picks[k++ % picks.length]! % names.length]!;
    return picks[k++ % picks.length]! % 2 ? name.toUpperCase() : name;
  };
  const hm = ([h, m]: readonly [number, number]) => `${h}:${String(m).padStart(2, "0")}`;
  const days = s.days === null ? "" : s.days.map((d) => (typeof d === "number" ? day(d) : `${day(d[0])}-${day(d[1])}`)).join(",") + " ";
  return `${days}${hm(s.start)}-${hm(s.end)}`;
}

const parsed = (deny: string[], allow: string[], timezone: string): WindowSet => {
  const r = parseWindows({ deny, allow, timezone });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.windows;
};

describe("windows fuzzing", () => {
  test("long and repetitive inputs are answered within 250 ms (catastrophic backtracking would take seconds)", () => {
    const tokens = ["Mon", "monday", ",", "-", " ", ":", "10:00", "24:00", "*", "x", "\t", "Tues-Thu"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { minLength: 200, maxLength: 4000 }), fc.nat({ max: 3 }), (parts, mode) => {
        const text = mode === 0 ? parts.join("") : mode === 1 ? `${parts.join(",")} 10:00-12:00` : mode === 2 ? "Mon,".repeat(parts.length) + " 1:00-2:00" : "-".repeat(parts.length) + ":" + "9".repeat(parts.length);
        const t0 = performance.now();
        const msg = checkWindowExpression(text);
        expect(performance.now() - t0).toBeLessThan(250);
        if (msg !== null) expect(msg.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  test("every spelling and letter case of a day means the same day", () => {
    fc.assert(
      fc.property(shape, choice, choice, fc.constantFrom(...ZONES), fc.array(instant, { minLength: 5, maxLength: 5 }), (s, p1, p2, zone, instants) => {
        const [a, b] = [render(s, p1), render(s, p2)];
        const ra = checkWindowExpression(a);
        expect(checkWindowExpression(b) === null).toBe(ra === null);
        if (ra !== null) return;
        const [wa, wb] = [parsed([a], [], zone), parsed([b], [], zone)];
        for (const t of instants) expect(evaluateWindows(wb, t).kind).toBe(evaluateWindows(wa, t).kind);
      }),
      { numRuns: 300 },
    );
  });

  test("a window set decides as its windows do alone: any deny wins, else any allow (or none configured)", () => {
    const exprs = fc.array(fc.tuple(shape, choice).map(([s, p]) => render(s, p)), { maxLength: 3 }).map((l) => l.filter((e) => checkWindowExpression(e) === null));
    fc.assert(
      fc.property(exprs, exprs, fc.constantFrom(...ZONES), fc.array(instant, { minLength: 5, maxLength: 5 }), (deny, allow, zone, instants) => {
        const all = parsed(deny, allow, zone);
        for (const t of instants) {
          const denied = deny.some((d) => evaluateWindows(parsed([d], [], zone), t).kind === "denied");
          const allowed = allow.length === 0 || allow.some((a) => evaluateWindows(parsed([], [a], zone), t).kind === "allowed");
          expect(evaluateWindows(all, t).kind).toBe(denied ? "denied" : allowed ? "allowed" : "outside_allow");
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Calendar rules (dates, ranges, monthly) as text, valid by construction. */
const dateText = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((t) => new Date(t).toISOString().slice(0, 10));
const hmText = fc.tuple(fc.nat({ max: 23 }), fc.nat({ max: 59 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const calendarExpr = fc.oneof(
  dateText,
  fc.tuple(dateText, fc.nat({ max: 20 })).map(([d, n]) => `${d}..${new Date(Date.parse(d) + n * 86_400_000).toISOString().slice(0, 10)}`),
  fc
    .tuple(fc.constantFrom("first", "2nd", "third", "4th", "fifth", "last"), fc.constantFrom("Sun", "Mon", "tue", "Saturday"), fc.oneof(fc.constant(""), fc.integer({ min: 1, max: 28 }).map((n) => `+${n}`), fc.integer({ min: 1, max: 28 }).map((n) => `-${n}`)), hmText, fc.oneof(hmText, fc.constant("24:00")))
    .map(([o, d, s, a, b]) => `${o} ${d}${s} ${a}-${b}`),
);

describe("calendar rules fuzzing", () => {
  test("valid calendar rules parse; nextWindowChange is a real flip with no flip before it (sampled)", () => {
    fc.assert(
      fc.property(fc.array(calendarExpr, { maxLength: 2 }), fc.array(fc.oneof(calendarExpr, fc.tuple(shape, choice).map(([s, p]) => render(s, p))), { maxLength: 2 }), fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }), (deny, allowRaw, zone, now) => {
        for (const e of deny) expect(checkWindowExpression(e)).toBeNull();
        const allow = allowRaw.filter((e) => checkWindowExpression(e) === null);
        const w = parsed(deny, allow, zone);
        const ok = (t: number) => evaluateWindows(w, t).kind === "allowed";
        const next = nextWindowChange(w, now);
        const before = ok(now);
        if (next === null) return;
        expect(next).toBeGreaterThan(now);
        expect(ok(next)).toBe(!before);
        expect(ok(next - 1)).toBe(before);
        for (let i = 1; i <= 20; i++) expect(ok(now + Math.floor(((next - now) * i) / 21))).toBe(before);
      }),
      { numRuns: 200 },
    );
  });
});

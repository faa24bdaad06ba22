/**
 * The slot protocol's model (models/slots.pml) checked by spin: every "pass" configuration is
 * searched exhaustively without an error, and every mutant yields a counter-example trail (so the
 * model can fail). Without spin this fails with the line that installs it; it never skips.
 * Locally the fast subset runs; with CI=true or CRD_MODEL_FULL=1 every configuration does.
 */
import { expect, test } from "bun:test";
import { CONFIGS } from "../../scripts/model/configs.ts";
import { checkConfig, formatRow, toolsMissing } from "../../scripts/model/check.ts";

const full = process.env.CI === "true" || process.env.CRD_MODEL_FULL === "1";
const chosen = CONFIGS.filter((c) => full || c.fast);

test("spin and a C compiler are installed", () => {
  expect(toolsMissing()).toBeUndefined();
});

test.each(chosen.map((c) => [c.name, c] as const))("model %s", (_name, c) => {
  const missing = toolsMissing();
  if (missing) throw new Error(missing);
  const r = checkConfig(c);
  const row = formatRow(r);
  if (c.expect === "pass") {
    expect(r.complete, row).toBe(true);
    expect(r.errors, row).toBe(0);
    expect(r.statesStored, row).toBeGreaterThan(1000);
  } else {
    expect(r.errors, row).toBeGreaterThan(0);
    expect(r.trailSteps, row).toBeGreaterThan(0);
  }
  expect(r.ok, row).toBe(true);
}, 310_000);

test("every mutant switch in the model has a configuration that must fail", async () => {
  const model = await Bun.file(new URL("../../models/slots.pml", import.meta.url)).text();
  const switches = new Set([...model.matchAll(/(?:#ifn?def |defined\()(MUTANT_\w+)/g)].map((m) => m[1]!));
  expect(switches.has("MUTANT_FENCE_NO_GUARD")).toBe(true);
  for (const s of switches) {
    const cfg = CONFIGS.filter((c) => c.defines.includes(s));
    expect(cfg.length, s).toBeGreaterThan(0);
    // Must stay safe: the queue only decides who tries; an early release still counts as down.
    expect(cfg.every((c) => c.expect === (s === "MUTANT_NO_QUEUE" || s === "MUTANT_EARLY_RELEASE" ? "pass" : "fail")), s).toBe(true);
  }
});

import { describe, expect, test } from "bun:test";
import { backoffDelay } from "../../../src/orchestrate/index.ts";
import { expandCommand } from "../../../src/orchestrate/_command.ts";

describe("backoff from the configured bounds (W23)", () => {
  test.each([
    [1, 0, 5000],
    [1, 1, 5000],
    [2, 0, 5000],
    [2, 1, 10000],
    [4, 1, 40000],
    [9, 1, 60000],
    [9, 0, 30000],
  ])("attempt %i, random %d → %i ms", (attempt, rand, expected) => {
    expect(backoffDelay(attempt, 5000, 60000, () => rand)).toBe(expected);
  });
});

describe("reboot command placeholders (W22)", () => {
  test("known names expand, unknown names are errors, $$ is a literal $", () => {
    expect(expandCommand(["/sbin/shutdown", "-r", "now", "reboot ${RC_NODE_NAME} $$5"], { RC_NODE_NAME: "n1" })).toEqual({ ok: true, argv: ["/sbin/shutdown", "-r", "now", "reboot n1 $5"] });
    expect(expandCommand(["$REBOOT_BIN", "${ALSO_MISSING}"], {})).toEqual({ ok: false, unknown: ["REBOOT_BIN", "ALSO_MISSING"] });
  });
});

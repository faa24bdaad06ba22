/**
 * The VM tier's own arithmetic, without VMs: the down intervals of the external ledger, and the
 * user-data rewrite of configs/cloud-init.yaml (which fails when the file drifts from what the
 * tier relies on).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { cloudInitUserData } from "./_install.ts";
import { downIntervals, maxDown } from "./_ledger.ts";
import type { LedgerEntry } from "./_vm.ts";

const e = (at: number, vm: string, kind: LedgerEntry["kind"]): LedgerEntry => ({ at, vm, kind });

describe("ledger", () => {
  test("a VM is down from DOWN or OFF until its next UP", () => {
    const l = [e(1, "a", "UP"), e(2, "a", "DOWN"), e(5, "a", "OFF"), e(9, "a", "UP"), e(10, "b", "DOWN")];
    expect(downIntervals(l)).toEqual([{ vm: "a", from: 2, to: 9 }, { vm: "b", from: 10, to: Infinity }]);
  });

  test("back-to-back reboots count one at a time; overlapping ones count two", () => {
    const serial = [e(1, "a", "DOWN"), e(3, "a", "UP"), e(3, "b", "DOWN"), e(5, "b", "UP")];
    expect(maxDown(serial, ["a", "b"]).count).toBe(1);
    const overlap = [e(1, "a", "DOWN"), e(2, "b", "DOWN"), e(3, "a", "UP"), e(5, "b", "UP")];
    expect(maxDown(overlap, ["a", "b"])).toMatchObject({ count: 2, who: ["a", "b"] });
  });
});

describe("cloud-init user-data for the VM tier", () => {
  const raw = readFileSync(resolve(import.meta.dir, "../../configs/cloud-init.yaml"), "utf8");

  test("points the shipped user-data at the host etcd and file server, real reboots, no window", () => {
    const out = cloudInitUserData(raw);
    expect(out).toContain("BASE=http://10.0.2.100:8080");
    expect(out).toContain("        - http://10.0.2.100:2379\n");
    expect(out).not.toContain("example.internal");
    expect(out).toContain("dry_run: false");
    expect(out).not.toContain("Mon-Fri 02:00-05:00");
  });

  test("refuses a file that no longer has what it replaces", () => {
    expect(() => cloudInitUserData(raw.replace("dry_run: true", "dry_run: yes"))).toThrow(/exactly one/);
  });
});

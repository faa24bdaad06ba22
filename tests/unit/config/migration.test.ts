/**
 * Go configs we refuse on purpose get a one-line migration hint from validate-config (Go
 * scenarios), and every such difference is in the README table "Coming from the Go clusterrebootd".
 */
import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { goMigrationHints } from "../../../src/config/index.ts";
import { loadData, problemsOf, withKeys } from "./_helpers.ts";

const README = join(import.meta.dir, "../../../README.md");

describe("goMigrationHints", () => {
  test.each([
    ["https:// endpoint with TLS off", { etcd_endpoints: ["https://127.0.0.1:2379"] }, "etcd_tls.enabled: true"],
    ["lock_ttl_sec: 5 (Go allowed it)", { lock_ttl_sec: 5 }, "omit lock_ttl_sec"],
    ["lock_ttl_sec below health_timeout_sec", { lock_ttl_sec: 20, health_timeout_sec: 30 }, "omit lock_ttl_sec"],
    ["0 meaning the default", { check_interval_sec: 0 }, "delete the key"],
    ["detector timeout 0 meaning none", { reboot_required_detectors: [{ type: "command", cmd: ["/bin/true"], timeout_sec: 0 }] }, "delete the key"],
  ])("%s → a hint", async (_what, patch, hint) => {
    const problems = problemsOf(await loadData(withKeys(patch)));
    const hints = goMigrationHints(problems);
    expect(hints).toHaveLength(1);
    expect(hints[0]).toContain(hint);
  });

  test("a problem that is not a Go difference gets no hint", async () => {
    expect(goMigrationHints(problemsOf(await loadData(withKeys({ node_name: "bad name!" }))))).toEqual([]);
  });
});

describe("README", () => {
  test('has the table "Coming from the Go clusterrebootd" with every difference validate-config hints at', async () => {
    const text = await readFile(README, "utf8");
    const section = text.split(/^## /m).find((s) => s.startsWith("Coming from the Go clusterrebootd"));
    expect(section).toBeDefined();
    for (const row of ["`https://`", "`lock_ttl_sec`", "`0`", "outcome", "`RestartSec`", "`timeout_sec: 0`"]) expect(section).toContain(row);
  });
});

import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  baseEnvironment,
  effectiveLockKey,
  formatDecimal,
  groupLimit,
  parseConfigText,
  RC_VARIABLE_NAMES,
} from "../../../src/config/index.ts";
import { loadData, mustLoad, withKeys } from "./_helpers.ts";
import { resolved } from "../../support/plan.ts";

const goExample = async () =>
  mustLoad(await parseConfigText(await readFile(join(import.meta.dir, "../../fixtures/config/go-example.yaml"), "utf8"), { env: {} }));

describe("baseEnvironment", () => {
  test("exports the Go names and formats, plus ours, for the Go example", async () => {
    expect(baseEnvironment(resolved(await goExample()), { dryRun: false, metricsEndpoint: "127.0.0.1:9090" })).toEqual({
      RC_NODE_NAME: "node-a",
      RC_DRY_RUN: "false",
      RC_LOCK_KEY: "/prod/clusterrebootd/lock", // effective key, namespace not doubled (W15)
      // Go scenario: the endpoints as configured, no scheme added.
      RC_ETCD_ENDPOINTS: "127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379",
      RC_KILL_SWITCH_FILE: "/etc/clusterrebootd/disable",
      RC_CLUSTER_MIN_HEALTHY_FRACTION: "0.6",
      RC_CLUSTER_MIN_HEALTHY_ABSOLUTE: "2",
      RC_CLUSTER_FORBID_IF_ONLY_FALLBACK_LEFT: "true",
      RC_CLUSTER_FALLBACK_NODES: "node-c",
      RC_WINDOWS_ALLOW: "Tue-Thu 22:00-04:00,* 23:00-06:00",
      RC_WINDOWS_DENY: "Fri 18:00-Mon 08:00",
      RC_WINDOWS_ALLOW_JSON: '["Tue-Thu 22:00-04:00","* 23:00-06:00"]',
      RC_WINDOWS_DENY_JSON: '["Fri 18:00-Mon 08:00"]',
      RC_WINDOWS_TIMEZONE: "local",
      RC_GROUP: "default",
      RC_ETCD_NAMESPACE: "/prod/clusterrebootd",
      RC_MAX_CONCURRENT_REBOOTS: "1",
      RC_METRICS_ENDPOINT: "127.0.0.1:9090",
    });
  });

  test("leaves unset optional values out, as Go does, and adds the skip flags when asked", async () => {
    const cfg = mustLoad(await loadData(withKeys({ group: "workers", group_limits: { workers: 3 } })));
    expect(baseEnvironment(resolved(cfg), { dryRun: true, skipHealth: true, skipLock: true })).toEqual({
      RC_NODE_NAME: "node-1",
      RC_DRY_RUN: "true",
      RC_LOCK_KEY: "/clusterrebootd/cluster/clusterrebootd/lock",
      RC_ETCD_ENDPOINTS: "127.0.0.1:2379",
      RC_KILL_SWITCH_FILE: "/etc/clusterrebootd/disable",
      RC_CLUSTER_FORBID_IF_ONLY_FALLBACK_LEFT: "false",
      RC_WINDOWS_ALLOW_JSON: "[]",
      RC_WINDOWS_DENY_JSON: "[]",
      RC_WINDOWS_TIMEZONE: "local",
      RC_GROUP: "workers",
      RC_ETCD_NAMESPACE: "/clusterrebootd",
      RC_MAX_CONCURRENT_REBOOTS: "3",
      RC_SKIP_HEALTH: "true",
      RC_SKIP_LOCK: "true",
    });
  });

  test("RC_ETCD_ENDPOINTS is the list as configured, with or without a scheme (Go scenario)", async () => {
    const cfg = mustLoad(await loadData(withKeys({ etcd_endpoints: ["127.0.0.10:2379", "http://127.0.0.11:2379"] })));
    expect(baseEnvironment(resolved(cfg), { dryRun: false }).RC_ETCD_ENDPOINTS).toBe("127.0.0.10:2379,http://127.0.0.11:2379");
    expect(cfg.etcd_endpoints).toEqual(["http://127.0.0.10:2379", "http://127.0.0.11:2379"]); // what the client dials
  });

  test("dry_run in the config cannot be turned off at run time", async () => {
    const cfg = mustLoad(await loadData(withKeys({ dry_run: true })));
    expect(baseEnvironment(resolved(cfg), { dryRun: false }).RC_DRY_RUN).toBe("true");
  });

  test("windows containing commas survive in the JSON variant", async () => {
    const cfg = mustLoad(await loadData(withKeys({ windows: { deny: ["Sat,Sun 00:00-24:00", "Mon 01:00-02:00"] } })));
    const env = baseEnvironment(resolved(cfg), { dryRun: false });
    expect(env.RC_WINDOWS_DENY).toBe("Sat,Sun 00:00-24:00,Mon 01:00-02:00"); // Go's ambiguous form
    expect(JSON.parse(env.RC_WINDOWS_DENY_JSON ?? "")).toEqual(["Sat,Sun 00:00-24:00", "Mon 01:00-02:00"]);
  });

  test("every name it can produce is listed in RC_VARIABLE_NAMES, with the per-invocation names", async () => {
    const cfg = await goExample();
    const env = baseEnvironment(resolved(cfg), { dryRun: true, metricsEndpoint: "x", skipHealth: true, skipLock: true });
    expect(Object.keys(env).filter((k) => !RC_VARIABLE_NAMES.includes(k))).toEqual([]);
    for (const n of ["RC_PHASE", "RC_LOCK_ENABLED", "RC_LOCK_HELD", "RC_LOCK_ATTEMPTS", "RC_BOOT_ID", "RC_CLUSTER_SIZE"]) {
      expect(RC_VARIABLE_NAMES).toContain(n);
    }
    expect(new Set(RC_VARIABLE_NAMES).size).toBe(RC_VARIABLE_NAMES.length);
  });
});

describe("derived values", () => {
  test.each([
    ["no override", {}, 1],
    ["group default limit", { max_concurrent_reboots: 2 }, 2],
    ["override for this group", { group: "rack-a", max_concurrent_reboots: 2, group_limits: { "rack-a": 4, other: 7 } }, 4],
    ["override for another group only", { group: "rack-b", max_concurrent_reboots: 2, group_limits: { "rack-a": 4 } }, 2],
    ["a group named like an Object method", { group: "constructor", max_concurrent_reboots: 2 }, 2],
  ] as [string, Record<string, unknown>, number][])("groupLimit: %s", async (_name, patch, limit) => {
    const cfg = mustLoad(await loadData(withKeys(patch)));
    expect(groupLimit(cfg, cfg.group ?? "default")).toBe(limit);
  });

  test.each([
    ["defaults", {}, "/clusterrebootd/cluster/clusterrebootd/lock"],
    ["relative lock key", { etcd_namespace: "/prod", lock_key: "lock" }, "/prod/lock"],
    ["lock key already under the namespace", { etcd_namespace: "/prod", lock_key: "/prod/lock" }, "/prod/lock"],
    ["lock key equal to a longer-named sibling", { etcd_namespace: "/prod", lock_key: "/production/lock" }, "/prod/production/lock"],
  ] as [string, Record<string, unknown>, string][])("effectiveLockKey: %s", async (_name, patch, key) => {
    expect(effectiveLockKey(mustLoad(await loadData(withKeys(patch))))).toBe(key);
  });

  test.each([
    [0.6, "0.6"],
    [1, "1"],
    [0.75, "0.75"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e-7, "0.0000001"],
    [1.5e-7, "0.00000015"],
  ])("formatDecimal(%p) = %p", (x, s) => {
    expect(formatDecimal(x)).toBe(s);
    expect(Number(formatDecimal(x))).toBe(x);
  });
});

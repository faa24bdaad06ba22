import { describe, expect, test } from "bun:test";
import { groupLimitFor, parseClientParams, renderPrometheus, createFleetLockMetrics } from "../../../src/fleetlock/index.ts";

describe("parseClientParams", () => {
  test.each([
    ["Zincati's pretty-printed body", JSON.stringify({ client_params: { id: "c988d2509fdf5cdcbed39037c56406fb", group: "workers" } }, null, 2), "ok"],
    ["the spec's group pattern with dots and dashes", `{"client_params":{"id":"n1","group":"tier-1.eu"}}`, "ok"],
    ["underscore (our charset, not the spec's)", `{"client_params":{"id":"node_1","group":"g_1"}}`, "ok"],
    ["63 characters", JSON.stringify({ client_params: { id: "a".repeat(63), group: "g".repeat(63) } }), "ok"],
    ["64-character id", JSON.stringify({ client_params: { id: "a".repeat(64), group: "g" } }), "invalid_client_id"],
    ["64-character group", JSON.stringify({ client_params: { id: "a", group: "g".repeat(64) } }), "invalid_group"],
    ["id with a colon (a UUID-like label)", `{"client_params":{"id":"a:b","group":"g"}}`, "invalid_client_id"],
    ["group as a number", `{"client_params":{"id":"a","group":7}}`, "invalid_body"],
    ["client_params an array", `{"client_params":[]}`, "invalid_body"],
    ["trailing garbage", `{"client_params":{"id":"a","group":"g"}} x`, "invalid_body"],
  ])("%s → %s", (_n, body, expected) => {
    const r = parseClientParams(body);
    expect(r.kind === "ok" ? "ok" : r.error.kind).toBe(expected);
  });

  test("ids are case-sensitive labels, kept as given", () => {
    const r = parseClientParams(`{"client_params":{"id":"AbC","group":"Workers"}}`);
    expect(r).toEqual({ kind: "ok", params: { id: "AbC", group: "Workers" } });
  });
});

describe("groupLimitFor: the daemons' groups and limits", () => {
  const cfg = { group: "default", group_limits: { db: 1, web: 3 }, max_concurrent_reboots: 2 };
  const fl = { groups: { fcos: 4, web: 5 }, allow_unknown_groups: false };
  test.each([
    ["fleetlock.groups wins", "web", fl, 5],
    ["fleetlock-only group", "fcos", fl, 4],
    ["group_limits", "db", fl, 1],
    ["this node's group: max_concurrent_reboots", "default", fl, 2],
    ["unknown group refused", "other", fl, undefined],
    ["unknown group allowed by allow_unknown_groups", "other", { ...fl, allow_unknown_groups: true }, 2],
    ["inherited object keys are not groups", "constructor", fl, undefined],
  ] as const)("%s", (_n, group, f, expected) => {
    expect(groupLimitFor(cfg, f, group)).toBe(expected);
  });
});

describe("Prometheus rendering", () => {
  test("empty counters still declare the metric", () => {
    expect(renderPrometheus(createFleetLockMetrics())).toBe(
      "# HELP clusterrebootd_fleetlock_requests_total FleetLock requests handled, by endpoint and outcome (ok or the error kind returned).\n" +
        "# TYPE clusterrebootd_fleetlock_requests_total counter\n",
    );
  });

  test("series are sorted and counted", () => {
    const m = createFleetLockMetrics();
    m.inc("steady_state", "ok");
    m.inc("pre_reboot", "paused");
    m.inc("pre_reboot", "paused");
    const lines = renderPrometheus(m).trim().split("\n").slice(2);
    expect(lines).toEqual([
      'clusterrebootd_fleetlock_requests_total{endpoint="pre_reboot",outcome="paused"} 2',
      'clusterrebootd_fleetlock_requests_total{endpoint="steady_state",outcome="ok"} 1',
    ]);
  });
});

/**
 * The shipped alert rules (configs/monitoring/alerts.yaml), for real: `promtool check rules`,
 * `promtool test rules` on configs/monitoring/alerts.test.yaml (every alert fires on a series that
 * should fire it, and not on one that should not), and a real Prometheus that loads them and
 * scrapes a real `clusterrebootd run` daemon's /metrics — where every Grafana query runs too.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { useFleets } from "../support/fleets.ts";
import { freePort } from "../support/ports.ts";
import { promtool, startPrometheus, type Server } from "../support/prometheus.ts";
import { waitFor } from "../support/wait.ts";

const DIR = resolve(import.meta.dir, "../../configs/monitoring");
const fleets = useFleets({ sharedEtcd: true });
let prom: Server | undefined;
afterAll(() => prom?.stop());

type Rules = { groups: { rules: { alert: string }[] }[] };
type Tests = { rule_files: string[]; tests: { name: string; input_series: { series: string }[]; alert_rule_test: { alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[] }[] };
const alertNames = () => (parse(readFileSync(`${DIR}/alerts.yaml`, "utf8")) as Rules).groups.flatMap((g) => g.rules.map((r) => r.alert));

test("promtool: the rules are valid and their unit tests pass", async () => {
  const check = await promtool(["check", "rules", "alerts.yaml"], DIR);
  expect(check.out).toContain(`SUCCESS: ${alertNames().length} rules found`);
  expect(check.code).toBe(0);
  const run = await promtool(["test", "rules", "alerts.test.yaml"], DIR);
  expect(run.out).toContain("SUCCESS");
  expect(run.code).toBe(0);
});

test("every alert has a test where it fires, and one where it stays silent on a series that must not fire it", () => {
  const t = parse(readFileSync(`${DIR}/alerts.test.yaml`, "utf8")) as Tests;
  expect(t.rule_files).toEqual(["alerts.yaml"]);
  for (const name of alertNames()) {
    const cases = t.tests.flatMap((x) => x.alert_rule_test.filter((a) => a.alertname === name).map((a) => ({ test: x, a })));
    const firing = cases.filter((c) => c.a.exp_alerts.length > 0);
    expect(firing.length > 0 ? name : `${name}: no test where it fires`).toBe(name);
    expect(cases.some((c) => c.a.exp_alerts.length === 0) ? name : `${name}: no test where it stays silent`).toBe(name);
    // Where it fires, another series in the same input must not (node "b" is the healthy one).
    for (const c of firing) {
      const fired = new Set(c.a.exp_alerts.map((e) => e.exp_labels["instance"]));
      const silent = c.test.input_series.map((s) => /instance="([^"]+)"/.exec(s.series)?.[1]).filter((i) => i !== undefined && !fired.has(i));
      if (fired.has(undefined)) continue; // an aggregate over all instances (ClusterRebootdPaused): its silent case is a test of its own
      expect(silent.length > 0 ? name : `${name}: "${c.test.name}" has no series that must not fire`).toBe(name);
    }
  }
});

test("a real Prometheus loads the rules and scrapes a real daemon's /metrics", async () => {
  const port = await freePort();
  const f = await fleets.create({ nodes: [{ name: "p1", group: "g" }], config: { etcd_namespace: "/promrules", metrics: { enabled: true, listen: `127.0.0.1:${port}` } } });
  const n = f.node("p1");
  n.start();
  await n.waitForEvent("run_outcome", { timeoutMs: 15_000 });
  prom = await startPrometheus({ ruleFiles: [`${DIR}/alerts.yaml`], targets: [`127.0.0.1:${port}`] });
  const url = prom.url;
  const rules = await waitFor(
    async () => {
      const r = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
      const all = r.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((x) => x.health === "ok") ? all : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: "every rule evaluated with health ok" },
  );
  expect(rules.map((r) => r.name).sort()).toEqual(alertNames().sort());
  const query = async (q: string) => ((await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: q })}`)).json()) as { data: { result: { value: [number, string] }[] } }).data.result;
  // The daemon's series as the rules read them: etcd reachable, a pass just now, nothing held.
  await waitFor(async () => (await query("clusterrebootd_etcd_up == 1")).length === 1, { timeoutMs: 20_000, intervalMs: 200, what: "Prometheus to scrape etcd_up 1 from the daemon" });
  expect(Number((await query("time() - clusterrebootd_last_pass_timestamp_seconds"))[0]?.value[1])).toBeLessThan(120);
  expect((await query("clusterrebootd_slot_held"))[0]?.value[1]).toBe("0");
  // A healthy idle daemon fires none of them.
  const alerts = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { data: { alerts: unknown[] } };
  expect(alerts.data.alerts).toEqual([]);
  // Every Grafana query is PromQL this Prometheus accepts (Grafana's own variables filled in).
  const dash = JSON.parse(readFileSync(`${DIR}/grafana-dashboard.json`, "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
  for (const p of dash.panels)
    for (const t of p.targets) {
      const expr = t.expr.replace(/\$\{?__(rate_interval|interval|range)\}?/g, "5m");
      const r = (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`)).json()) as { status: string; error?: string };
      expect(r.status === "success" ? "ok" : `${p.title}: ${t.expr}: ${r.error}`).toBe("ok");
    }
  // And the panels on the daemon's gauges show it.
  expect((await query("min(clusterrebootd_etcd_up)"))[0]?.value[1]).toBe("1");
}, 60_000);

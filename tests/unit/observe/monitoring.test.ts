/**
 * The shipped dashboard and alert rules load, every metric they use is one we export, and the
 * dashboard has the fields Grafana needs to import it (tests/integration/prometheus-rules.test.ts
 * also runs every query on a real Prometheus).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { ALL_METRIC_NAMES, createPromMetrics, HISTOGRAMS } from "../../../src/observe/index.ts";

const ROOT = new URL("../../../configs/monitoring/", import.meta.url).pathname;
const known = new Set(ALL_METRIC_NAMES);
/** Metric names in a PromQL expression, histogram suffixes stripped. */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\bclusterrebootd_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ""));

interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  templating: { list: { name: string; type: string; query?: string }[] };
  panels: { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource: { type: string; uid: string }; targets: { refId: string; expr: string }[] }[];
}
const readDashboard = () => JSON.parse(readFileSync(ROOT + "grafana-dashboard.json", "utf8")) as Dashboard;
/** Grafana's core panel types (a plugin panel would need installing: we ship none). */
const PANEL_TYPES = new Set(["timeseries", "table", "stat", "gauge", "bargauge", "text", "row", "heatmap", "piechart", "state-timeline", "status-history", "barchart", "histogram", "logs"]);
const GRAFANA_BUILTINS = new Set(["__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"]);

describe("monitoring assets", () => {
  test("alert rules parse and reference only exported metrics", () => {
    const doc = parse(readFileSync(ROOT + "alerts.yaml", "utf8")) as { groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string } }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(["ClusterRebootdStaleSlotFreed", "ClusterRebootdBlockedTooLong", "ClusterRebootdRebootLoop", "ClusterRebootdEtcdUnreachable"]));
    for (const r of rules) {
      expect(r.labels.severity).toMatch(/^(info|warning|critical)$/);
      const used = metricsIn(r.expr);
      expect(used.length).toBeGreaterThan(0);
      for (const m of used) expect(known.has(m) ? m : `${m} (unknown, in ${r.alert})`).toBe(m);
    }
  });

  test("the Grafana dashboard is valid JSON and every query names only metrics we export", () => {
    const dash = readDashboard();
    expect(dash.panels.length).toBeGreaterThan(5);
    for (const p of dash.panels)
      for (const t of p.targets) {
        const used = metricsIn(t.expr);
        // A query that names none of our metrics shows somebody else's data, or nothing.
        expect(used.length > 0 ? p.title : `${p.title}: ${t.expr} names no clusterrebootd metric`).toBe(p.title);
        for (const m of used) expect(known.has(m) ? m : `${m} (unknown, in ${p.title})`).toBe(m);
      }
  });

  test("the Grafana dashboard has what Grafana needs to load it", () => {
    const d = readDashboard();
    expect(typeof d.title === "string" && d.title.trim() !== "").toBe(true);
    expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/); // Grafana's uid rule: provisioning and links use it
    expect(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 36).toBe(true); // Grafana 9+ (timeseries panels)
    expect(Number.isInteger(d.version)).toBe(true);
    expect(d.time).toMatchObject({ from: expect.any(String), to: expect.any(String) });
    const vars = new Set(d.templating.list.map((v) => v.name));
    for (const v of d.templating.list) expect(/^\w+$/.test(v.name) && /^(datasource|query|custom|interval|constant|textbox)$/.test(v.type) ? "ok" : `variable ${JSON.stringify(v)}`).toBe("ok");
    expect(d.templating.list.find((v) => v.type === "datasource")?.query).toBe("prometheus");
    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const p of d.panels) {
      const where = `panel ${p.id} (${p.title})`;
      expect(Number.isInteger(p.id) && !ids.has(p.id) ? "ok" : `${where}: id missing or not unique`).toBe("ok");
      ids.add(p.id);
      expect(PANEL_TYPES.has(p.type) ? "ok" : `${where}: unknown panel type ${p.type}`).toBe("ok");
      expect(typeof p.title === "string" && p.title !== "").toBe(true);
      // The grid is 24 columns wide; panels must fit and must not overlap (Grafana moves them).
      const g = p.gridPos;
      expect([g.x, g.y, g.w, g.h].every(Number.isInteger) && g.x >= 0 && g.y >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= 24 ? "ok" : `${where}: bad gridPos ${JSON.stringify(g)}`).toBe("ok");
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`) ? `${where} overlaps another panel at ${x},${y}` : "ok").toBe("ok");
          cells.add(`${x},${y}`);
        }
      expect(p.datasource.type).toBe("prometheus");
      const dsVar = /^\$\{?(\w+)\}?$/.exec(p.datasource.uid)?.[1];
      expect(dsVar !== undefined && vars.has(dsVar) ? "ok" : `${where}: datasource ${p.datasource.uid} is not a dashboard variable`).toBe("ok");
      const refIds = p.targets.map((t) => t.refId);
      expect(new Set(refIds).size === refIds.length && refIds.every((r) => /^[A-Z]$/.test(r)) ? "ok" : `${where}: refIds ${refIds.join(",")}`).toBe("ok");
      // Variables in a query are the dashboard's own or Grafana's built-ins.
      for (const t of p.targets)
        for (const m of t.expr.matchAll(/\$\{?(\w+)/g)) expect(vars.has(m[1]!) || GRAFANA_BUILTINS.has(m[1]!) ? "ok" : `${where}: unknown variable $${m[1]}`).toBe("ok");
    }
  });

  test("the registry renders every declared metric family with the reference names", async () => {
    const m = await createPromMetrics();
    m.inc("orchestration_outcomes_total", { status: "no_action" });
    m.observe("health_check_seconds", 0.2, { phase: "monitor", result: "pass" });
    m.set("slots_in_use", 1, { group: "g" });
    const text = await m.render();
    expect(text).toContain('clusterrebootd_orchestration_outcomes_total{status="no_action"} 1');
    expect(text).toContain('clusterrebootd_slots_in_use{group="g"} 1');
    expect(text).toContain("clusterrebootd_health_check_seconds_bucket");
    expect(text).toContain("clusterrebootd_process_resident_memory_bytes");
    for (const name of ["clusterrebootd_kill_switch_checks_total", "clusterrebootd_lock_acquire_seconds", "clusterrebootd_reboot_to_healthy_seconds"])
      expect(text).toContain(`# TYPE ${name}`);
  });

  test("every histogram carries Go's constant unit=\"seconds\" label (Go scenario)", async () => {
    const m = await createPromMetrics();
    for (const [name, labels] of Object.entries(HISTOGRAMS)) m.observe(name as keyof typeof HISTOGRAMS, 0.2, Object.fromEntries(labels.map((l) => [l, l === "phase" ? "pre-lock" : "pass"])));
    const text = await m.render();
    for (const name of Object.keys(HISTOGRAMS)) {
      const samples = text.split("\n").filter((l) => l.startsWith(`clusterrebootd_${name}_`));
      expect(samples.length).toBeGreaterThan(0);
      for (const l of samples) expect(l).toContain('unit="seconds"');
    }
    expect(text).toContain('clusterrebootd_health_check_seconds_count{phase="pre-lock",result="pass",unit="seconds"} 1');
  });
});

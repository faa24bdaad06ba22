/** The shipped dashboard and alert rules load, and every metric they use is one we export. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { ALL_METRIC_NAMES, createPromMetrics, HISTOGRAMS } from "../../../src/observe/index.ts";

const ROOT = new URL("../../../configs/monitoring/", import.meta.url).pathname;
const known = new Set(ALL_METRIC_NAMES);
/** Metric names in a PromQL expression, histogram suffixes stripped. */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\bclusterrebootd_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ""));

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

  test("the Grafana dashboard is valid JSON and its queries use exported metrics", () => {
    const dash = JSON.parse(readFileSync(ROOT + "grafana-dashboard.json", "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(dash.panels.length).toBeGreaterThan(5);
    for (const p of dash.panels) for (const t of p.targets) for (const m of metricsIn(t.expr)) expect(known.has(m) ? m : `${m} (unknown, in ${p.title})`).toBe(m);
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

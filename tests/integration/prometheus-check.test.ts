/**
 * The built-in `prometheus` check against a real Prometheus (Debian's 2.42) on loopback: alerts
 * that really fire and really stay pending (a `for:` not yet elapsed), filtered the way kured's
 * --alert-filter-regexp / --alert-firing-only / --alert-filter-match-only filter them, plus by
 * labels; and a query with a threshold. Prometheus scrapes a small exporter the test controls.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { runCheck, type CheckDeps, type CheckSpec } from "../../src/checks/index.ts";
import { HealthCheck } from "../../src/config/_checks.ts";
import { createFs, systemClock } from "../../src/platform/index.ts";
import { startPrometheus, type Server } from "../support/prometheus.ts";
import { waitFor } from "../support/wait.ts";

const deps: CheckDeps = { clock: systemClock, fs: createFs(), node: "n1" };
let exporter: ReturnType<typeof Bun.serve> | undefined;
let prom: Server | undefined;
let dir = "";

/** Every series > 0 fires its alert: DiskFull on n1 (firing at once), SlowBurn (pending for an hour), Watchdog. */
const RULES = `groups:
  - name: test
    rules:
      - alert: DiskFull
        expr: test_value{kind="disk"} > 0
        labels: { severity: critical }
      - alert: SlowBurn
        expr: test_value{kind="slow"} > 0
        for: 1h
        labels: { severity: warning }
      - alert: Watchdog
        expr: vector(1)
`;

beforeAll(async () => {
  exporter = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response('test_value{kind="disk",node="n1"} 1\ntest_value{kind="slow",node="n2"} 1\ntest_ratio 0.02\n', { headers: { "content-type": "text/plain; version=0.0.4" } }),
  });
  dir = await mkdtemp(join(tmpdir(), "crd-prom-check-"));
  const rules = join(dir, "rules.yaml");
  await writeFile(rules, RULES);
  prom = await startPrometheus({ ruleFiles: [rules], targets: [`127.0.0.1:${exporter.port}`] });
  // Real states, not canned ones: wait until Prometheus has evaluated the rules on a scrape.
  await waitFor(
    async () => {
      const r = (await (await fetch(`${prom!.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: { alertname: string }; state: string }[] } };
      const st = Object.fromEntries(r.data.alerts.map((a) => [a.labels.alertname, a.state]));
      return st["DiskFull"] === "firing" && st["SlowBurn"] === "pending" && st["Watchdog"] === "firing";
    },
    { timeoutMs: 30_000, intervalMs: 200, what: "DiskFull firing, SlowBurn pending and Watchdog firing in Prometheus" },
  );
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  exporter?.stop(true);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const spec = (raw: Record<string, unknown>): CheckSpec => v.parse(HealthCheck, { type: "prometheus", url: prom!.url, ...raw });

describe("prometheus check against a real Prometheus", () => {
  test.each([
    ["defaults: firing only, Watchdog ignored", {}, "fail", /^1 alert\(s\) firing: DiskFull\{.*node="n1"/],
    ["labels: only this node's alerts (n2 has none firing)", { match_labels: { node: "n2" } }, "pass", /no firing alerts/],
    ["labels: severity critical", { match_labels: { severity: "critical" } }, "fail", /DiskFull/],
    ["firing_only false: a pending alert blocks too (kured without --alert-firing-only)", { firing_only: false, match_labels: { node: "n2" } }, "fail", /1 alert\(s\) active: SlowBurn/],
    ["ignore regex (kured --alert-filter-regexp)", { ignore_alertnames: "^(Watchdog|DiskFull)$" }, "pass", /no firing alerts/],
    ["match-only regex (kured --alert-filter-match-only): only SlowBurn may block, and it is pending", { only_alertnames: "^Slow" }, "pass", /no firing alerts/],
    ["match-only regex with pending counted", { only_alertnames: "^Slow", firing_only: false }, "fail", /^1 alert\(s\) active: SlowBurn/],
    ["match-only regex naming Watchdog, which ignore_alertnames still ignores", { only_alertnames: "^Watchdog$" }, "pass", /no firing alerts/],
    ["match-only Watchdog with no ignore list", { only_alertnames: "^Watchdog$", ignore_alertnames: "^$" }, "fail", /Watchdog/],
  ] as [string, Record<string, unknown>, string, RegExp][])("%s", async (_what, alerts, kind, message) => {
    const r = await runCheck(spec({ alerts }), deps);
    expect({ kind: r.kind as string, message: r.message }).toMatchObject({ kind, message: expect.stringMatching(message) });
  });

  test("a query with a threshold, on real samples", async () => {
    expect(await runCheck(spec({ query: "test_ratio", pass_if: "< 0.05" }), deps)).toMatchObject({ kind: "pass" });
    expect(await runCheck(spec({ query: "test_ratio", pass_if: "< 0.01" }), deps)).toMatchObject({ kind: "fail", message: expect.stringContaining("=0.02") });
    expect(await runCheck(spec({ query: "rate(test_ratio[", pass_if: "< 1" }), deps)).toMatchObject({ kind: "error", message: expect.stringContaining("bad_data") });
  });
});

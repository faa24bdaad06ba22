/** `http` and `prometheus` checks against local HTTP servers, plus runChecks' timeout and phase filter. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as v from "valibot";
import { runCheck, runChecks, type CheckDeps, type CheckSpec } from "../../../src/checks/index.ts";
import { HealthCheck } from "../../../src/config/_checks.ts";
import { createFs, systemClock } from "../../../src/platform/index.ts";
import { FakeClock } from "../../fakes/clock.ts";

const spec = (raw: Record<string, unknown>): CheckSpec => v.parse(HealthCheck, raw);
const deps: CheckDeps = { clock: systemClock, fs: createFs(), node: "pi-03" };

/** Canned Prometheus answers, keyed by query. */
const QUERIES: Record<string, unknown> = {
  error_rate: { resultType: "vector", result: [{ metric: { job: "api" }, value: [1, "0.01"] }, { metric: { job: "web" }, value: [1, "0.2"] }] },
  low: { resultType: "vector", result: [{ metric: { job: "api" }, value: [1, "0.01"] }] },
  none: { resultType: "vector", result: [] },
  nan: { resultType: "vector", result: [{ metric: {}, value: [1, "NaN"] }] },
  scalar: { resultType: "scalar", result: [1, "3"] },
  range: { resultType: "matrix", result: [] },
};
const ALERTS = [
  { labels: { alertname: "Watchdog", severity: "none" }, state: "firing" },
  { labels: { alertname: "NodeDown", severity: "critical", instance: "pi-07" }, state: "firing" },
  { labels: { alertname: "DiskFilling", severity: "warning" }, state: "pending" },
];

let server: ReturnType<typeof Bun.serve>;
let base: string;
beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      switch (url.pathname) {
        case "/health":
          return new Response('{"status":"ok","db":"up"}');
        case "/degraded":
          return new Response('{"status":"degraded"}', { status: 503 });
        case "/hang":
          return new Promise<Response>(() => {}); // never answers
        case "/prom/api/v1/query": {
          const q = url.searchParams.get("query") ?? "";
          if (q === "bad(") return Response.json({ status: "error", errorType: "bad_data", error: "parse error at char 5" }, { status: 400 });
          return Response.json({ status: "success", data: QUERIES[q] });
        }
        case "/prom/api/v1/alerts":
          return Response.json({ status: "success", data: { alerts: ALERTS } });
        default:
          return new Response("not found", { status: 404 });
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

describe("http check", () => {
  test.each([
    ["200 with a matching body", { url: "/health", body_regex: '"status":"ok"' }, "pass", "status 200"],
    ["an unexpected status", { url: "/degraded" }, "fail", "status 503, expected 200 (body: {\"status\":\"degraded\"})"],
    ["an accepted non-200 status", { url: "/degraded", expect_status: [200, 503] }, "pass", "status 503"],
    ["a body that does not match", { url: "/health", body_regex: "^OK$" }, "fail", "body does not match /^OK$/"],
    ["nothing listening", { url: "http://127.0.0.1:1/health" }, "fail", "GET http://127.0.0.1:1/health"],
    ["an unreadable ca_file", { url: "/health", ca_file: "/nonexistent/ca.pem" }, "error", "cannot read ca_file /nonexistent/ca.pem"],
  ] as [string, Record<string, unknown>, string, string][])("%s", async (_what, raw, kind, message) => {
    const url = String(raw.url).startsWith("/") ? `${base}${String(raw.url)}` : raw.url;
    const r = await runCheck(spec({ type: "http", ...raw, url }), deps);
    expect(r.kind as string).toBe(kind);
    expect(r.message).toContain(message);
  });
});

describe("prometheus check", () => {
  test.each([
    ["every sample below the threshold", { query: "low", pass_if: "< 0.05" }, "pass", "all 1 sample(s) < 0.05"],
    ["one series above it", { query: "error_rate", pass_if: "< 0.05" }, "fail", '1 of 2 sample(s) not < 0.05: {job="web"}=0.2'],
    ["a scalar result", { query: "scalar", pass_if: ">= 3" }, "pass", "all 1 sample(s) >= 3"],
    ["an empty result (default on_empty fail)", { query: "none", pass_if: "< 1" }, "fail", "no samples (on_empty: fail)"],
    ["an empty result with on_empty pass", { query: "none", pass_if: "< 1", on_empty: "pass" }, "pass", "no samples"],
    ["NaN", { query: "nan", pass_if: "!= 0" }, "fail", "=NaN"],
    ["a range vector", { query: "range", pass_if: "< 1" }, "error", "returned matrix"],
    ["a query error", { query: "bad(", pass_if: "< 1" }, "error", "bad_data: parse error at char 5"],
    ["firing alerts other than Watchdog", { alerts: {} }, "fail", '1 alert(s) firing: NodeDown{severity="critical",instance="pi-07"}'],
    ["alerts filtered to severity warning (pending does not count)", { alerts: { match_labels: { severity: "warning" } } }, "pass", "no firing alerts (3 active in total)"],
    ["pending alerts too when firing_only is false", { alerts: { firing_only: false, match_labels: { severity: "warning" } } }, "fail", "1 alert(s) active: DiskFilling"],
    ["an ignore regex covering NodeDown", { alerts: { ignore_alertnames: "^(Watchdog|NodeDown)$" } }, "pass", "no firing alerts"],
  ] as [string, Record<string, unknown>, string, string][])("%s", async (_what, raw, kind, message) => {
    const r = await runCheck(spec({ type: "prometheus", url: `${base}/prom/`, ...raw }), deps);
    expect(r.kind as string).toBe(kind);
    expect(r.message).toContain(message);
  });

  test("an unreachable Prometheus is an error (fail closed)", async () => {
    const r = await runCheck(spec({ type: "prometheus", url: "http://127.0.0.1:1", alerts: {} }), deps);
    expect(r.kind).toBe("error");
  });
});

describe("runChecks", () => {
  test("a check that does not answer within timeout_sec is a timeout, measured on the injected clock", async () => {
    const clock = new FakeClock();
    const p = runCheck(spec({ type: "http", url: `${base}/hang`, timeout_sec: 3 }), { ...deps, clock });
    await clock.untilSleeping();
    await clock.advance(3_000);
    const r = await p;
    expect(r).toMatchObject({ kind: "timeout", timeoutMs: 3_000, durationMs: 3_000, message: "no result within 3s" });
  });

  test("only the phase's checks run; the report blocks if any fails and names it", async () => {
    const checks = [
      spec({ type: "http", name: "gateway", url: `${base}/health`, phases: ["pre-lock", "post-boot"] }),
      spec({ type: "http", name: "pulse", url: `${base}/degraded`, phases: ["post-boot"] }),
    ];
    const pre = await runChecks(checks, "pre-lock", deps);
    expect(pre).toMatchObject({ kind: "pass", phase: "pre-lock", message: "all 1 check(s) passed" });
    expect(pre.results.map((r) => r.name)).toEqual(["gateway"]);
    const post = await runChecks(checks, "post-boot", deps);
    expect(post.kind).toBe("blocked");
    expect(post.message).toStartWith("pulse: GET");
    expect(await runChecks(checks, "monitor", deps)).toMatchObject({ kind: "pass", results: [], message: "no built-in checks for phase monitor" });
  });

  test("an aborted run reports errors, not passes", async () => {
    const ctl = new AbortController();
    ctl.abort();
    const r = await runChecks([spec({ type: "http", url: `${base}/hang` })], "pre-lock", deps, ctl.signal);
    expect(r.kind).toBe("blocked");
    expect(r.results[0]).toMatchObject({ kind: "error", message: "aborted" });
  });
});

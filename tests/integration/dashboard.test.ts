/**
 * `clusterrebootd dashboard` as a process against a real etcd: --json, the live stream and its
 * bounds (clients, heartbeat, reads per second), metrics, read-only answers, basic auth, TLS,
 * and the refusal to serve beyond loopback without basic auth. The page itself is tested in a
 * browser in tests/browser/dashboard.test.ts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { makeKeys, tryAcquireSlot } from "../../src/slots/index.ts";
import { dashboardConfig, runCli, startDashboardProcess, type DashboardProcess } from "../support/dashboard.ts";
import { makeTlsMaterial, startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;
let dir: string;
const running: DashboardProcess[] = [];

beforeAll(async () => {
  cluster = await startEtcd();
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
  dir = await mkdtemp(join(tmpdir(), "crd-dashboard-"));
});
afterAll(async () => {
  for (const d of running) await d.stop();
  await gw?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const freshNs = () => `/dashi${Date.now()}x${n++}`;

async function serve(config: string, args: string[] = []): Promise<DashboardProcess> {
  const d = await startDashboardProcess(config, args);
  running.push(d);
  return d;
}

async function acquire(ns: string, node: string, group = "workers") {
  const lease = await gw.grantLease(30, { keepAlive: true });
  const r = await tryAcquireSlot(gw, makeKeys(ns), { node, group, limit: 2, globalCap: null, holder: "daemon", pid: 1, bootId: "b", leaseId: lease.id, nowIso: new Date().toISOString() });
  expect(r.kind).toBe("acquired");
  return lease;
}

/** Reads an SSE stream until `until(text)` holds; returns all text read. */
async function readStream(res: Response, until: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  const reader = res.body!.getReader();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(text)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`stream did not deliver in ${timeoutMs} ms; got: ${text.slice(0, 500)}`);
      const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => ({ done: true, value: undefined }))]);
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    return text;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

const metric = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);

test("--json prints the page's state document (snake_case) once and exits 0", async () => {
  const ns = freshNs();
  const lease = await acquire(ns, "work-1");
  const config = await dashboardConfig(dir, cluster.endpoints, ns, ["group_limits: { workers: 2 }"]);
  const r = await runCli(["dashboard", "--config", config, "--json"]);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.namespace).toBe(ns);
  expect(doc.groups).toEqual([{ name: "workers", used: 1, limit: 2, holders: ["work-1"], down: [], cooldown: null, frozen: null }]);
  expect(doc.nodes).toMatchObject([{ node: "work-1", group: "workers", phase: "preparing", health: "missing", slot: { phase: "preparing", holder: "daemon" } }]);
  expect(r.stdout).not.toMatch(/"[a-z]+[A-Z][A-Za-z]*":/); // no camelCase keys
  await lease.revoke();
});

test("the stream pushes one event per change; metrics count clients and events; reads stay bounded", async () => {
  const ns = freshNs();
  const config = await dashboardConfig(dir, cluster.endpoints, ns, ["dashboard: { min_refresh_ms: 250 }"]);
  const d = await serve(config);
  const rev0 = (await gw.snapshot([], [])).revision;
  const stream = await fetch(`${d.url}events`);
  expect(stream.headers.get("content-type")).toContain("text/event-stream");
  await waitFor(async () => metric(await (await fetch(`${d.url}metrics`)).text(), "clusterrebootd_dashboard_clients") === 1, { timeoutMs: 5_000, what: "clients gauge 1" });
  const before = await (await fetch(`${d.url}metrics`)).text();
  // A burst of 200 writes in ~1 s is read a handful of times, not 200.
  const started = Date.now();
  const lease = await acquire(ns, "work-1");
  for (let i = 0; i < 200; i++) await gw.txn([], [{ kind: "put", key: `${ns}/members/burst${i % 5}`, value: JSON.stringify({ node: `burst${i % 5}`, group: "g", fallback: false, first_seen: new Date().toISOString() }) }]);
  const burstMs = Date.now() - started;
  const text = await readStream(stream, (t) => t.includes('"holders":["work-1"]') && t.includes("burst4"));
  expect(text).toStartWith("retry: 2000");
  await waitFor(async () => ((await (await fetch(`${d.url}state.json`)).json()) as { nodes: unknown[] }).nodes.length === 6, { timeoutMs: 5_000, what: "the burst to be read" });
  const after = await (await fetch(`${d.url}metrics`)).text();
  const reads = metric(after, 'clusterrebootd_dashboard_etcd_reads_total{result="ok"}') - metric(before, 'clusterrebootd_dashboard_etcd_reads_total{result="ok"}');
  // At most one read per 250 ms during the burst, plus the trailing one.
  expect(reads).toBeGreaterThanOrEqual(1);
  expect(reads).toBeLessThanOrEqual(Math.ceil(burstMs / 250) + 2);
  console.log(`dashboard: ${200 + 1} etcd writes in ${burstMs} ms → ${reads} state reads`);
  expect(metric(after, "clusterrebootd_dashboard_events_total")).toBeGreaterThan(metric(before, "clusterrebootd_dashboard_events_total"));
  await waitFor(async () => metric(await (await fetch(`${d.url}metrics`)).text(), "clusterrebootd_dashboard_clients") === 0, { timeoutMs: 5_000, what: "clients gauge back to 0" });
  // Read-only: other methods are refused, and serving wrote nothing to etcd (only our writes).
  expect((await fetch(d.url, { method: "POST" })).status).toBe(405);
  expect((await fetch(`${d.url}events`, { method: "DELETE" })).status).toBe(405);
  expect((await fetch(`${d.url}nope`)).status).toBe(404);
  expect((await fetch(`${d.url}healthz`)).status).toBe(200);
  expect((await gw.snapshot([], [])).revision - rev0).toBe(201 + 0);
  await lease.revoke();
  expect(await d.stop()).toBe(0);
  expect(d.stderr()).toContain("dashboard_listening");
}, 60_000);

test("streams are bounded (503 beyond max_clients) and idle ones get heartbeats", async () => {
  const ns = freshNs();
  const config = await dashboardConfig(dir, cluster.endpoints, ns, ["dashboard: { max_clients: 1, heartbeat_sec: 1 }"]);
  const d = await serve(config);
  const first = await fetch(`${d.url}events`);
  await waitFor(async () => metric(await (await fetch(`${d.url}metrics`)).text(), "clusterrebootd_dashboard_clients") === 1, { timeoutMs: 5_000, what: "one client" });
  const second = await fetch(`${d.url}events`);
  expect(second.status).toBe(503);
  expect(second.headers.get("retry-after")).toBe("10");
  const text = await readStream(first, (t) => t.includes(": heartbeat"), 5_000);
  expect(text).toContain("event: state");
  expect(await d.stop()).toBe(0);
}, 30_000);

test("basic auth guards the page, the stream and the metrics (not /healthz)", async () => {
  const ns = freshNs();
  const pw = join(dir, "dash.password");
  await writeFile(pw, "s3cret\n");
  const config = await dashboardConfig(dir, cluster.endpoints, ns, [`dashboard: { basic_auth: { username: ops, password_file: ${pw} } }`]);
  const d = await serve(config);
  for (const path of ["", "events", "state.json", "metrics"]) {
    const r = await fetch(`${d.url}${path}`);
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain("Basic");
  }
  expect((await fetch(d.url, { headers: { authorization: `Basic ${btoa("ops:wrong")}` } })).status).toBe(401);
  const ok = await fetch(d.url, { headers: { authorization: `Basic ${btoa("ops:s3cret")}` } });
  expect(ok.status).toBe(200);
  expect(ok.headers.get("content-security-policy")).toContain("default-src 'none'");
  expect(await ok.text()).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org)/);
  expect((await fetch(`${d.url}healthz`)).status).toBe(200);
  expect(await d.stop()).toBe(0);
});

test("TLS: --tls-cert/--tls-key serve HTTPS", async () => {
  const ns = freshNs();
  const tlsDir = await mkdtemp(join(dir, "tls-"));
  const tls = await makeTlsMaterial(tlsDir);
  const config = await dashboardConfig(dir, cluster.endpoints, ns);
  const d = await serve(config, ["--listen", "localhost:0", "--tls-cert", tls.serverCertFile, "--tls-key", tls.serverKeyFile]);
  expect(d.url).toStartWith("https://localhost:");
  const r = await fetch(`${d.url}state.json`, { tls: { ca: tls.ca } } as RequestInit);
  expect(r.status).toBe(200);
  expect(((await r.json()) as { namespace: string }).namespace).toBe(ns);
  expect(await d.stop()).toBe(0);
});

test("settings: beyond loopback without basic auth is refused (exit 2); every problem is named", async () => {
  const ns = freshNs();
  const config = await dashboardConfig(dir, cluster.endpoints, ns);
  const open = await runCli(["dashboard", "--config", config, "--listen", "0.0.0.0:8090"]);
  expect(open.code).toBe(2);
  expect(open.stderr).toContain('--listen: "0.0.0.0:8090" listens on 0.0.0.0, beyond loopback, without basic auth');
  expect(open.stderr).toContain("--insecure-listen");
  const bad = await runCli(["dashboard", "--config", config, "--listen", "nope", "--tls-cert", "/nonexistent.pem", "--basic-auth-user", "ops"]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--listen: expected host:port');
  expect(bad.stderr).toContain("--tls-cert needs --tls-key");
  expect(bad.stderr).toContain("--basic-auth-user needs --basic-auth-password-file");
  const missing = await runCli(["dashboard", "--config", config, "--basic-auth-user", "ops", "--basic-auth-password-file", "/nonexistent-pw"]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("--basic-auth-password-file: cannot read /nonexistent-pw: no such file or directory");
  // The same rule in the config block, reported by the loader (and validate-config).
  const blockCfg = await dashboardConfig(dir, cluster.endpoints, `${ns}b`, ["dashboard: { listen: ':8090', max_clients: 0 }"]);
  const v = await runCli(["validate-config", "--config", blockCfg]);
  expect(v.code).toBe(2);
  expect(v.stderr + v.stdout).toContain("dashboard.listen:");
  expect(v.stderr + v.stdout).toContain("listens on every interface");
  expect(v.stderr + v.stdout).toContain("dashboard.max_clients: must be > 0");
});

test("etcd gone: the open page is told (heartbeat re-read), /healthz says 503, and it recovers when etcd is back", async () => {
  const own = await startEtcd();
  try {
    const ns = freshNs();
    const config = await dashboardConfig(dir, own.endpoints, ns, ["dashboard: { heartbeat_sec: 1 }", "etcd_request_timeout_sec: 2"]);
    const d = await serve(config);
    const stream = await fetch(`${d.url}events`);
    expect((await fetch(`${d.url}healthz`)).status).toBe(200);
    await own.members[0]!.kill();
    const text = await readStream(stream, (t) => t.includes('"etcd":{"ok":false'), 20_000);
    expect(text).toContain('"etcd":{"ok":true');
    expect((await fetch(`${d.url}healthz`)).status).toBe(503);
    expect(d.stderr()).toContain("dashboard_read_failed");
    await own.members[0]!.restart();
    await waitFor(async () => (await fetch(`${d.url}healthz`)).status === 200, { timeoutMs: 40_000, intervalMs: 200, what: "the dashboard to read etcd again" });
    expect(await d.stop()).toBe(0);
  } finally {
    await own.stop();
  }
}, 90_000);

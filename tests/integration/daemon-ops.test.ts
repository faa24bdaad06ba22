/**
 * The daemon in production, against a real etcd: signals, SIGHUP reload, dry-run looping, metrics,
 * a failing reboot command, the reboot-loop guard and webhooks. Real `clusterrebootd run`
 * processes from the fleet simulator (scripts/sim).
 */
import { afterEach, expect, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { parse, stringify } from "yaml";
import { waitFor } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";
import { freePort } from "../support/ports.ts";

const fleets = useFleets({ sharedEtcd: true });
let receiver: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => {
  receiver?.stop(true);
  receiver = undefined;
});

let ns = 0;
function makeFleet(nodes: { name: string; config?: Record<string, unknown> }[], config: Record<string, unknown> = {}) {
  return fleets.create({
    nodes: nodes.map((n) => ({ name: n.name, group: "g", ...(n.config ? { config: n.config } : {}) })),
    config: { etcd_namespace: `/ops${ns++}`, ...config },
  });
}

test("SIGTERM stops the daemon with exit 0 and removes its health record at once", async () => {
  const f = await makeFleet([{ name: "t1" }]);
  const n = f.node("t1");
  n.start();
  await n.waitForEvent("run_outcome", { timeoutMs: 15_000 });
  const r = await n.cli(["cluster", "--json"]);
  expect(JSON.parse(r.stdout).members.map((m: { node: string; health: string }) => `${m.node}:${m.health}`)).toEqual(["t1:healthy"]);
  expect(await n.kill("SIGTERM")).toBe(0);
  const after = JSON.parse((await n.cli(["cluster", "--json"])).stdout);
  // A member with no live session counts as down (count_down_nodes) and cluster says so.
  expect(after.members.map((m: { node: string; health: string }) => `${m.node}:${m.health}`)).toEqual(["t1:down (no live session)"]);
}, 30_000);

test("SIGHUP applies a valid config, names keys that need a restart, and keeps the old config on errors", async () => {
  const f = await makeFleet([{ name: "h1" }]);
  const n = f.node("h1");
  n.start();
  await n.waitForEvent("run_outcome", { timeoutMs: 15_000 });
  const original = await readFile(n.configPath, "utf8");
  const cfg = parse(original) as Record<string, unknown>;
  await writeFile(n.configPath, stringify({ ...cfg, check_interval_sec: 3, group: "other" }));
  process.kill(n.pid!, "SIGHUP");
  const ok = await n.waitForEvent("config_reloaded", { timeoutMs: 10_000 });
  expect((ok.fields?.["changed"] as string[]).sort()).toEqual(["check_interval_sec", "group"]);
  expect(ok.fields?.["restart_required_for"]).toEqual(["group"]);
  await writeFile(n.configPath, original + "\nbogus_key: 1\n");
  process.kill(n.pid!, "SIGHUP");
  const bad = await n.waitForEvent("config_reload_failed", { timeoutMs: 10_000 });
  expect(JSON.stringify(bad.fields?.["problems"])).toContain("bogus_key");
  expect(n.running).toBe(true);
  // Still passing after the failed reload.
  const since = n.logs.length; // an index into the node's log
  n.requireReboot();
  await n.waitForEvent("slot_acquired", { since, timeoutMs: 15_000 });
}, 45_000);

test("dry-run keeps looping and says 'would reboot' each time, taking and releasing a real slot", async () => {
  const f = await makeFleet([{ name: "d1" }], { dry_run: true, check_interval_sec: 1 });
  const n = f.node("d1");
  n.requireReboot();
  n.start();
  // Each dry "reboot" releases its slot right after saying would_reboot: wait for the second release.
  await waitFor(() => n.events("slot_released").length >= 2, { timeoutMs: 20_000, what: "two dry-run releases" });
  expect(n.running).toBe(true);
  expect(f.ledger().filter((e) => e.kind === "reboot")).toEqual([]);
  expect(n.events("would_reboot").length).toBeGreaterThanOrEqual(2);
}, 30_000);

test("metrics are served at /metrics (parsed) and /healthz; other paths are 404", async () => {
  const port = await freePort();
  const f = await makeFleet([{ name: "m1" }], { metrics: { enabled: true, listen: `127.0.0.1:${port}` } });
  const n = f.node("m1");
  n.start();
  await n.waitForEvent("run_outcome", { timeoutMs: 15_000 });
  const text = await waitFor(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const t = await res.text();
    return t.includes("clusterrebootd_orchestration_outcomes_total") ? t : undefined;
  }, { timeoutMs: 10_000, what: "outcome metrics" });
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    expect(m, `unparseable metrics line: ${line}`).not.toBeNull();
    samples.set(m![1]!, Number(m![2]));
  }
  expect(samples.get('clusterrebootd_orchestration_outcomes_total{status="no_action"}')).toBeGreaterThanOrEqual(1);
  expect(samples.get("clusterrebootd_reboot_required")).toBe(0);
  expect(samples.get("clusterrebootd_slot_held")).toBe(0);
  expect(samples.get("clusterrebootd_etcd_up")).toBe(1);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
}, 30_000);

test("a failing reboot command is logged and counted; the slot is released after the grace period and the group freezes", async () => {
  const f = await makeFleet([{ name: "f1", config: { reboot_command: ["/bin/false"] } }, { name: "f2" }]);
  const a = f.node("f1");
  a.requireReboot();
  a.start();
  const failed = await a.waitForEvent("reboot_command_failed", { timeoutMs: 15_000 });
  expect(String(failed.fields?.["error"])).toContain("exit 1");
  await a.waitForEvent("reboot_not_happened", { timeoutMs: 15_000 });
  const rel = await a.waitForEvent("slot_released", { timeoutMs: 15_000, match: (e) => e.fields?.["reason"] === "post_boot_healthy" });
  expect(rel.fields?.["rebooted"]).toBe(false);
  // No stuck slot, but a failed reboot (max_failed_reboots 1): the group waits for an operator.
  const b = f.node("f2");
  b.requireReboot();
  b.start();
  await b.waitForEvent("run_outcome", { timeoutMs: 15_000, match: (e) => e.fields?.["status"] === "group_frozen" });
  expect(f.ledger().filter((e) => e.node === "f2" && e.kind === "reboot")).toHaveLength(0);
  // The operator fixes f1 (it no longer asks for a reboot its command cannot do), then resumes.
  a.clearRebootRequired();
  expect((await b.cli(["resume", "--group", b.group])).exitCode).toBe(0);
  await f.waitForLedger((e) => e.node === "f2" && e.kind === "reboot", { what: "f2 reboots", timeoutMs: 20_000 });
}, 60_000);

test("the reboot-loop guard stops a node whose reboots never clear the detector", async () => {
  // max_failed_reboots 0: a reboot that "works" without rebooting would otherwise freeze the group
  // first (failures.test.ts); this is about the loop guard.
  const f = await makeFleet([{ name: "l1", config: { max_reboots_per_node: 1, max_failed_reboots: 0 } }]);
  const n = f.node("l1");
  n.setRebootEffective(false); // the command "works" but the detector keeps firing
  n.requireReboot();
  n.start();
  await n.waitForEvent("slot_released", { timeoutMs: 20_000, match: (e) => e.fields?.["reason"] === "post_boot_healthy" });
  const guard = await n.waitForEvent("run_outcome", { timeoutMs: 20_000, match: (e) => e.fields?.["status"] === "reboot_loop_guard" });
  expect(String(guard.fields?.["message"])).toContain("--reset-history");
  expect(f.ledger().filter((e) => e.kind === "reboot")).toHaveLength(1);
  const r = await n.cli(["status"]);
  expect(r.exitCode).toBe(3);
}, 60_000);

test("webhooks receive reboot_started and node_healthy", async () => {
  const got: { event: string; node: string }[] = [];
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push((await req.json()) as { event: string; node: string });
      return new Response("ok");
    },
  });
  const f = await makeFleet([{ name: "w1" }], { notifications: { webhooks: [{ url: `http://127.0.0.1:${receiver.port}/hook`, timeout_sec: 2, retries: 1 }] } });
  const n = f.node("w1");
  n.requireReboot();
  n.start();
  await waitFor(() => got.some((g) => g.event === "node_healthy"), { timeoutMs: 30_000, what: "node_healthy webhook" });
  expect(got.map((g) => `${g.event}:${g.node}`)).toEqual(expect.arrayContaining(["reboot_started:w1", "node_healthy:w1"]));
}, 45_000);

test("started before etcd is up, the daemon waits (no crash loop) and proceeds once etcd answers (W10)", async () => {
  const own = await fleets.etcd();
  const f = await fleets.create({ endpoints: own.endpoints, nodes: [{ name: "e1", group: "g" }] });
  const n = f.node("e1");
  await own.members[0]!.kill();
  n.start();
  const waiting = await n.waitForEvent("waiting_for_etcd", { timeoutMs: 20_000 });
  expect(String(waiting.fields?.["error"])).toContain("unavailable");
  expect(n.running).toBe(true);
  await own.members[0]!.restart();
  await n.waitForEvent("run_outcome", { timeoutMs: 20_000 });
  expect(n.running).toBe(true);
}, 60_000);

test("fleetlock.enabled: the daemon serves FleetLock from the same slots, counted in its /metrics", async () => {
  const [mport, fport] = [await freePort(), await freePort()];
  const f = await makeFleet([{ name: "s1" }], { metrics: { enabled: true, listen: `127.0.0.1:${mport}` }, fleetlock: { enabled: true, listen: `127.0.0.1:${fport}`, groups: { default: 1 } } });
  const n = f.node("s1");
  n.start();
  await n.waitForEvent("fleetlock_listening", { timeoutMs: 15_000 });
  const pre = await fetch(`http://127.0.0.1:${fport}/v1/pre-reboot`, {
    method: "POST",
    headers: { "fleet-lock-protocol": "true" },
    body: JSON.stringify({ client_params: { id: "fcos-1", group: "default" } }),
  });
  expect(pre.status).toBe(200);
  const cluster = JSON.parse((await n.cli(["cluster", "--json"])).stdout);
  expect(cluster.members.map((m: { node: string; slot: string }) => `${m.node}:${m.slot}`)).toContain("fcos-1:rebooting");
  const steady = await fetch(`http://127.0.0.1:${fport}/v1/steady-state`, {
    method: "POST",
    headers: { "fleet-lock-protocol": "true" },
    body: JSON.stringify({ client_params: { id: "fcos-1", group: "default" } }),
  });
  expect(steady.status).toBe(200);
  const text = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text();
  expect(text).toContain('clusterrebootd_fleetlock_requests_total{endpoint="pre_reboot",outcome="ok"} 1');
}, 30_000);

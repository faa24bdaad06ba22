/**
 * `npm run demo`: a throw-away etcd and five simulated nodes in two groups, all needing a reboot,
 * rolling through it live in the terminal; then a summary with the safety check and a timeline.
 *
 *   bun scripts/demo.ts [--fast] [--plain] [--svg FILE]
 *
 * Each node is a real `clusterrebootd run` process (scripts/sim/fleet.ts) whose reboot command
 * "reboots" it: the daemon is SIGKILLed, and after a delay started again with a new boot id.
 * --fast (or CRD_DEMO_FAST=1): shorter machine down time and cooldown (used by the test suite).
 * --plain: event lines instead of the redrawn table (the default when stdout is not a terminal).
 * Exit 0 when every node rebooted and no group ever had more slots than its limit; 1 otherwise;
 * 2 when etcd is missing and cannot be installed. Ctrl-C stops everything it started (by PID)
 * and removes its temp dir.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startDashboard, type RunningDashboard } from "../src/dashboard/index.ts";
import { connectEtcd, type EtcdGateway } from "../src/etcd/index.ts";
import { makeKeys, readClusterState } from "../src/slots/index.ts";
import { auditHistory, readHistory, type AuditResult } from "./chaos/etcd-history.ts";
import { ensureEtcd, startLocalEtcd, type LocalEtcd } from "./demo/etcd.ts";
import { eventLine, frame, LiveScreen, secs, type EtcdView } from "./demo/render.ts";
import { asciiTimeline, nodeTimes, TIMELINE_LEGEND } from "./demo/summary.ts";
import { timelineSvg } from "./demo/svg.ts";
import { Tracker } from "./demo/tracker.ts";
import { createFleet, type Fleet } from "./sim/fleet.ts";

const { values: args } = parseArgs({
  options: { fast: { type: "boolean", default: false }, plain: { type: "boolean", default: false }, svg: { type: "string" }, help: { type: "boolean", default: false } },
});
if (args.help) {
  console.log("usage: bun scripts/demo.ts [--fast] [--plain] [--svg FILE]\n  a local etcd and 5 simulated nodes rolling through their reboots; see the file's header");
  process.exit(0);
}
const FAST = args.fast || process.env.CRD_DEMO_FAST === "1";
const LIVE = !args.plain && process.stdout.isTTY === true;
const COLOR = LIVE && !process.env.NO_COLOR;
const SVG_PATH = resolve(args.svg ?? join(tmpdir(), "clusterrebootd-demo-timeline.svg"));
const PREFIX = "/clusterrebootd";
const GROUPS = new Map([["workers", 2], ["control", 1]]);
const NODES = [
  { name: "work-1", group: "workers" }, { name: "work-2", group: "workers" }, { name: "work-3", group: "workers" },
  { name: "ctrl-1", group: "control" }, { name: "ctrl-2", group: "control" },
];
const COOLDOWN_SEC = FAST ? 1 : 3;
const DOWN_MS = FAST ? 300 : 1500;
const DEADLINE_MS = 90_000;
const FRAME_MS = 250;

const say = (s = "") => process.stdout.write(s + "\n");
let dir: string | undefined;
let etcd: LocalEtcd | undefined;
let fleet: Fleet | undefined;
let gw: EtcdGateway | undefined;
let screen: LiveScreen | undefined;
let dashboard: RunningDashboard | undefined;

/** Stops what we started (daemons by handle, etcd by PID) and removes the temp dir; idempotent. */
let cleaning: Promise<void> | undefined;
let interrupted = false;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    screen?.close();
    await dashboard?.stop().catch(() => {});
    await fleet?.stop().catch(() => {});
    await gw?.close().catch(() => {});
    await etcd?.stop().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(sig, () => {
    interrupted = true;
    void cleanup().then(() => {
      say(`\ninterrupted: stopped ${NODES.length} daemons${etcd ? ` and etcd (pid ${etcd.pid})` : ""}, removed ${dir ?? "nothing"}`);
      process.exit(code);
    });
  });
}

async function main(): Promise<number> {
  say(`clusterrebootd demo: ${NODES.length} simulated nodes, groups ${[...GROUPS].map(([g, l]) => `${g} (limit ${l})`).join(" and ")}, cooldown ${COOLDOWN_SEC} s`);
  const have = await ensureEtcd(say);
  if (!have.ok) {
    say(have.message);
    return 2;
  }
  dir = mkdtempSync(join(tmpdir(), "clusterrebootd-demo-"));
  etcd = await startLocalEtcd(dir);
  say(`etcd (pid ${etcd.pid}) on ${etcd.endpoint}, temp dir ${dir}`);
  const fleetDir = join(dir, "fleet");
  mkdirSync(fleetDir);
  fleet = await createFleet({
    endpoints: [etcd.endpoint],
    dir: fleetDir,
    nodes: NODES,
    rebootDelayMs: DOWN_MS,
    config: { group_limits: Object.fromEntries(GROUPS), min_reboot_interval_sec: COOLDOWN_SEC, etcd_namespace: PREFIX },
  });
  gw = await connectEtcd({ endpoints: [etcd.endpoint], requestTimeoutMs: 2_000 });
  const keys = makeKeys(PREFIX);
  // The live fleet page on a free loopback port, up while the fleet rolls (same limits as the nodes).
  dashboard = await startDashboard({
    gw, keys, listen: "127.0.0.1:0", maxClients: 16, heartbeatMs: 15_000, minRefreshMs: 250, now: Date.now,
    view: { namespace: PREFIX, limitOf: (g) => GROUPS.get(g) ?? 1, globalCap: null, configuredGroups: [...GROUPS.keys()], windows: undefined, publishIntervalMs: 1_000, healthTimeoutMs: 2_000 },
  });
  say(`live fleet page: ${dashboard.url} (open it in a browser; up while the fleet rolls)`);
  for (const n of fleet.nodes) n.requireReboot();
  const startedAt = Date.now();
  fleet.startAll();
  say(`all ${NODES.length} nodes need a reboot; daemons started${LIVE ? "" : " (plain output: not a terminal)"}\n`);
  const tracker = new Tracker(fleet, startedAt);
  screen = LIVE ? new LiveScreen((s) => process.stdout.write(s)) : undefined;
  const title = `clusterrebootd rolling reboot — etcd ${etcd.endpoint} — page ${dashboard.url}`;
  let view: EtcdView | undefined;
  let finishedAt: number | undefined;
  while (Date.now() - startedAt < DEADLINE_MS) {
    const fresh = tracker.update();
    view = await etcdView(gw, keys);
    if (screen) screen.draw(frame({ title, elapsedMs: Date.now() - startedAt, views: tracker.views, limits: GROUPS, etcd: view, recent: tracker.events, startedAt, color: COLOR }));
    else for (const e of fresh) say(eventLine(e, startedAt));
    if (tracker.allDone() && view.error === undefined && [...view.slots.values()].every((s) => s.length === 0)) {
      finishedAt = Math.max(...tracker.views.map((v) => v.since));
      break;
    }
    await Bun.sleep(FRAME_MS);
  }
  const endAt = finishedAt ?? Date.now();
  tracker.finish(endAt);
  screen?.close();
  screen = undefined;
  await dashboard.stop();
  dashboard = undefined;
  await fleet.stop();
  const audit = auditHistory(await readHistory([etcd.endpoint], PREFIX), PREFIX, (g) => GROUPS.get(g) ?? 1);
  const away = fleet.maxAwayByGroup();
  return report({ tracker, startedAt, endAt, finished: finishedAt !== undefined, audit, away });
}

async function etcdView(g: EtcdGateway, keys: ReturnType<typeof makeKeys>): Promise<EtcdView> {
  const slots = new Map<string, { node: string; phase: string }[]>([...GROUPS.keys()].map((k) => [k, []]));
  try {
    const st = await readClusterState(g, keys);
    for (const s of st.slots) slots.set(s.group, [...(slots.get(s.group) ?? []), { node: s.node, phase: s.record?.phase ?? "?" }]);
    return { slots, cooldowns: new Set(st.cooldowns.keys()), paused: st.pausePresent };
  } catch (err) {
    return { slots, cooldowns: new Set(), paused: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function report(r: { tracker: Tracker; startedAt: number; endAt: number; finished: boolean; audit: AuditResult; away: ReturnType<Fleet["maxAwayByGroup"]> }): number {
  const { tracker, startedAt, endAt, audit, away } = r;
  say("");
  say(r.finished ? `all ${NODES.length} nodes rebooted and healthy in ${secs(endAt - startedAt)}` : `NOT FINISHED after ${secs(endAt - startedAt)}: ${tracker.views.filter((v) => v.phase !== "done").map((v) => `${v.name} (${v.phase}: ${v.why})`).join(", ")}`);
  say("");
  say("node     group     waited   held slot   machine down   boot→healthy");
  for (const t of nodeTimes(tracker.spans, startedAt, NODES))
    say(`${t.node.padEnd(8)} ${t.group.padEnd(8)} ${secs(t.waitedMs).padStart(7)} ${secs(t.heldMs).padStart(11)} ${secs(t.downMs).padStart(14)} ${secs(t.verifyMs).padStart(14)}`);
  say("");
  let safe = audit.violations.length === 0 && audit.slotsLeft.length === 0;
  say("safety: most nodes of a group at once, never above the limit");
  for (const [g, limit] of GROUPS) {
    const slots = audit.peaks.get(g)?.max ?? 0;
    const aw = away.get(g)?.max ?? 0;
    const ok = slots <= limit && aw <= limit;
    safe &&= ok;
    say(`  ${g.padEnd(8)} limit ${limit}: holding a slot ${slots} (etcd history, every revision), rebooting→healthy ${aw} (ledger)  ${ok ? "ok" : "EXCEEDED"}`);
  }
  for (const v of audit.violations) say(`  VIOLATION ${v}`);
  if (audit.slotsLeft.length) say(`  slots left in etcd: ${audit.slotsLeft.join(", ")}`);
  say(`  ${audit.acquisitions} slots taken, ${audit.fences} reboot fences committed, ${audit.revisions} etcd revisions checked`);
  say("");
  say("timeline (who held a slot when):");
  for (const l of asciiTimeline(tracker.spans, startedAt, endAt, NODES)) say(`  ${l}`);
  say(`  ${TIMELINE_LEGEND}`);
  const peaks = new Map([...GROUPS].map(([g, limit]) => [g, { limit, peak: audit.peaks.get(g)?.max ?? 0 }]));
  try {
    writeFileSync(SVG_PATH, timelineSvg({ title: "clusterrebootd demo: rolling reboot of 5 simulated nodes", spans: tracker.spans, startedAt, endAt, nodes: NODES, groups: peaks }));
    say(`  SVG timeline written to ${SVG_PATH}`);
  } catch (err) {
    say(`  could not write the SVG timeline to ${SVG_PATH} (${err instanceof Error ? err.message : String(err)}); pass --svg FILE`);
  }
  say("");
  const ok = safe && r.finished;
  say(ok ? "result: OK — every node rebooted, no group ever exceeded its limit" : `result: FAILED — ${!safe ? "safety check failed" : "not every node finished"}`);
  return ok ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  screen?.close();
  if (interrupted) await new Promise(() => {}); // the signal handler reports and exits
  say(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);

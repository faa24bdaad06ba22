/**
 * The live fleet page in a real browser (Debian's chromium via playwright-core) against a real
 * etcd on loopback and the real `clusterrebootd dashboard` process. A simulated fleet writes its
 * records the way the daemon does (openSession for members and health, tryAcquireSlot,
 * enterRebooting, releaseSlot); the test asserts what the page shows as that changes, waiting on
 * conditions with deadlines. Screenshots (desktop and phone) go to the artifacts dir for CI.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { openSession } from "../../src/slots/index.ts";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { enterRebooting, makeKeys, releaseSlot, tryAcquireSlot, type HealthRecord } from "../../src/slots/index.ts";
import { artifactsDir, launchChromium, type Browser } from "../support/browser.ts";
import { dashboardConfig, startDashboardProcess, type DashboardProcess } from "../support/dashboard.ts";
import { startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";

let cluster: EtcdCluster;
let gw: EtcdGateway;
let dir: string;
let browser: Browser | undefined;
let dash: DashboardProcess | undefined;

beforeAll(async () => {
  cluster = await startEtcd();
  gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
  dir = await mkdtemp(join(tmpdir(), "crd-dashboard-browser-"));
});
afterAll(async () => {
  await browser?.close();
  await dash?.stop();
  await gw?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

const text = (page: Page, sel: string) => page.locator(sel).first().innerText({ timeout: 2_000 });

/** Waits until the page's element `sel` reads `want` (a string: contains; a RegExp: matches). */
async function shows(page: Page, sel: string, want: string | RegExp, what: string): Promise<void> {
  await waitFor(
    async () => {
      const t = await text(page, sel);
      return typeof want === "string" ? t.includes(want) : want.test(t);
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `${what} (${sel} to show ${String(want)})` },
  );
}

test("the page follows the fleet live: slots, phases, who waits and why, pause, cooldown, timeline", async () => {
  const ns = `/dash${Date.now()}`;
  const keys = makeKeys(ns);
  const config = await dashboardConfig(dir, cluster.endpoints, ns, ["group_limits: { workers: 1 }", "min_reboot_interval_sec: 30"]);
  dash = await startDashboardProcess(config);
  const now = () => Date.now();
  // Two daemons' presence: members and health records on their session leases.
  const sessions = await Promise.all(
    ["work-1", "work-2"].map((node, i) => openSession(gw, keys, { node, group: "workers", fallback: false, pid: 100 + i, bootId: `boot-${node}` }, { ttlSec: 30, nowMs: now() })),
  );
  await Promise.all(sessions.map((s, i) => s.publishHealth({ healthy: true, phase: "heartbeat", seq: 1 + i, nowMs: now() })));

  browser = await launchChromium();
  const page = await browser.context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && consoleErrors.push(m.text())));
  page.on("pageerror", (e) => void consoleErrors.push(e.message));
  await page.goto(dash.url);
  await shows(page, "#conn", "live", "the live stream to connect");
  await shows(page, '[data-group="workers"] .slots', "0/1", "an idle group");
  await shows(page, '[data-node="work-1"] .phase', "idle", "work-1 idle");
  await shows(page, '[data-node="work-1"]', "healthy", "work-1 healthy");

  // work-1 takes the slot; work-2 needs a reboot too and says why it waits (the optional fields).
  const lease = await gw.grantLease(30, { keepAlive: true });
  const acq = await tryAcquireSlot(gw, keys, { node: "work-1", group: "workers", limit: 1, globalCap: null, holder: "daemon", pid: 100, bootId: "boot-work-1", leaseId: lease.id, nowIso: new Date().toISOString() });
  if (acq.kind !== "acquired") throw new Error(`slot not acquired: ${acq.kind}`);
  await shows(page, '[data-group="workers"] .slots', "1/1", "the slot taken");
  await shows(page, '[data-node="work-1"] .phase', "preparing", "work-1 preparing");
  const waitingRec: HealthRecord = { node: "work-2", group: "workers", healthy: true, phase: "pre-lock", checked_at: new Date().toISOString(), boot_id: "boot-work-2", pid: 101, seq: 10, needs_reboot: true };
  await gw.txn([], [{ kind: "put", key: keys.health("work-2"), value: JSON.stringify(waitingRec), lease: sessions[1]!.lease().id }]);
  await shows(page, '[data-node="work-2"] .phase', "waiting", "work-2 waiting");
  await shows(page, '[data-node="work-2"] .why', "group workers full (1/1 slots)", "the reason derived by the page");
  await gw.txn([], [{ kind: "put", key: keys.health("work-2"), value: JSON.stringify({ ...waitingRec, seq: 11, blocked_reason: "no free slot in group workers" }), lease: sessions[1]!.lease().id }]);
  await shows(page, '[data-node="work-2"] .why', "no free slot in group workers", "the daemon's blocked_reason");

  // The fence: rebooting, with the slot's deadline.
  const fenced = await enterRebooting(gw, keys, acq.slot, acq.record, { slotTimeoutSec: 600, bootId: "boot-work-1", nowMs: now(), reboots: { node: "work-1", history: [new Date().toISOString()], last_reboot_at: new Date().toISOString() } });
  if (fenced.kind !== "fenced") throw new Error(`not fenced: ${fenced.kind}`);
  await shows(page, '[data-node="work-1"] .phase', "rebooting", "work-1 rebooting");
  await shows(page, '[data-node="work-1"] .why', "a failed reboot if not back and healthy by", "the slot deadline");

  // A cluster-wide pause shows as a banner, and goes away on resume.
  expect(await page.locator("#paused").isVisible()).toBe(false);
  await gw.txn([], [{ kind: "put", key: keys.pause, value: JSON.stringify({ reason: "kernel regression", by: "ops@test", at: new Date().toISOString() }) }]);
  await shows(page, "#paused", "PAUSED by ops@test", "the pause banner");
  await shows(page, "#paused", "kernel regression", "the pause reason");

  // Back and healthy: release starts the group's cooldown; the slot is free again.
  const released = await releaseSlot(gw, keys, fenced.slot, { cooldownSec: 30, nowMs: now(), node: "work-1" });
  expect(released.kind).toBe("released");
  await shows(page, '[data-group="workers"] .slots', "0/1", "the slot released");
  await shows(page, '[data-node="work-1"] .phase', "idle", "work-1 idle again");
  await shows(page, '[data-group="workers"] [data-cooldown]', /cooling down, \d+s left/, "the cooldown");
  await shows(page, '[data-node="work-1"]', "ago", "work-1's last reboot");
  // The timeline drew work-1's phases and its reboot command.
  await waitFor(async () => (await page.locator("#timeline rect.k-rebooting").count()) > 0 && (await page.locator("#timeline line.mark").count()) > 0, {
    timeoutMs: 10_000,
    what: "timeline bars and the reboot mark",
  });
  expect(await page.locator("#timeline rect.k-preparing").count()).toBeGreaterThan(0);

  const out = artifactsDir();
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: process.env["CRD_DASHBOARD_SCREENSHOT"] || join(out, "dashboard.png"), fullPage: true });
  await gw.txn([], [{ kind: "delete", key: keys.pause }]);
  await waitFor(async () => !(await page.locator("#paused").isVisible()), { timeoutMs: 10_000, what: "the pause banner to go on resume" });

  // A phone: the same page, readable in a narrow viewport (table rows become cards).
  const phone = await browser.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(dash.url);
  await shows(phone, '[data-node="work-2"] .phase', "waiting", "the phone view");
  const overflow = await phone.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
  expect(overflow).toBeLessThanOrEqual(0);
  await phone.screenshot({ path: join(out, "dashboard-phone.png"), fullPage: true });

  // Nothing external was loaded and nothing on the page failed.
  expect(consoleErrors).toEqual([]);
  await lease.revoke();
  await Promise.all(sessions.map((s) => s.close({ revoke: true })));
}, 90_000);

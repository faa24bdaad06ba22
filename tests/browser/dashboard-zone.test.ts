/**
 * Window times on the fleet page are the fleet's wall clock (windows.timezone), whatever the
 * browser's zone: a window closing at 00:00 Europe/Berlin reads 00:00 in a New York browser too.
 * "closes in" is never rounded up (4 d 17 h is not "5d"). Real etcd, the real dashboard process,
 * Debian's chromium set to America/New_York.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, type Browser } from "../support/browser.ts";
import { dashboardConfig, startDashboardProcess, type DashboardProcess } from "../support/dashboard.ts";
import { startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";

let cluster: EtcdCluster;
let dir: string;
let browser: Browser | undefined;
let dash: DashboardProcess | undefined;

beforeAll(async () => {
  cluster = await startEtcd();
  dir = await mkdtemp(join(tmpdir(), "crd-dashboard-zone-"));
});
afterAll(async () => {
  await browser?.close();
  await dash?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Today's date on Berlin's wall clock, plus `days`. */
function berlinDate(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
}

test("a New York browser shows when a Berlin window closes on Berlin's clock, and the time left exactly", async () => {
  // Allowed from today to four days on (whole Berlin days): it closes at 00:00 Berlin, 4 d and some hours away.
  const ns = `/zone${Date.now()}`;
  const config = await dashboardConfig(dir, cluster.endpoints, ns, ["windows:", "  timezone: Europe/Berlin", `  allow: ["${berlinDate(0)}..${berlinDate(4)}"]`]);
  dash = await startDashboardProcess(config);
  browser = await launchChromium(undefined, { timezoneId: "America/New_York" });
  const page = await browser.context.newPage();
  await page.goto(dash.url);
  const text = await waitFor(
    async () => {
      const t = await page.locator("#window").first().innerText({ timeout: 2_000 });
      return t.includes("closes in") ? t : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: "the window line to say when it closes" },
  );
  const state = (await (await fetch(`${dash.url}state.json`)).json()) as { windows: { next_change: string } };
  expect(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(state.windows.next_change))).toBe("00:00");
  // Berlin's 00:00, not New York's 18:00 for the same instant.
  expect(text).toMatch(/\((Mon|Tue|Wed|Thu|Fri|Sat|Sun) 00:00 Europe\/Berlin\)/);
  expect(text).not.toMatch(/1[789]:00/);
  const leftS = (Date.parse(state.windows.next_change) - Date.now()) / 1000;
  const days = Math.floor(leftS / 86_400);
  expect(days).toBe(4);
  // Floor, two units: "4d 17h" (the hour may tick over while we read; either is exact enough).
  const m = /closes in (\d+)d (\d+)h/.exec(text);
  expect(m?.[1]).toBe("4");
  expect(Math.abs(Number(m?.[2]) - Math.floor((leftS % 86_400) / 3600))).toBeLessThanOrEqual(1);
}, 60_000);

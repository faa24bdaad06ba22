/**
 * Debian's chromium, driven by playwright-core, for the browser tests. Never skips: without
 * chromium the test fails and says how to install it. The flags keep chromium from phoning home
 * (background networking, component updates, sync, QUIC): on a closed network those connections
 * are refused and only slow it down. Every launch gets a fresh profile dir, removed on close.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env["CRD_CHROMIUM"] || "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** `timezoneId`: the browser's own zone (an IANA name), e.g. to show it differs from the fleet's. */
export async function launchChromium(viewport = { width: 1280, height: 900 }, opts: { timezoneId?: string } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium with \`apt-get install -y chromium\` (or set CRD_CHROMIUM)`);
  const profile = await mkdtemp(join(tmpdir(), "crd-chromium-"));
  try {
    // A persistent context is how playwright takes a profile dir of our choosing (a fresh one).
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport, timeout: 60_000, ...opts });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Where screenshots go: $CRD_ARTIFACTS_DIR, default artifacts/ at the repo root (kept by CI). */
export function artifactsDir(): string {
  return process.env["CRD_ARTIFACTS_DIR"] || join(import.meta.dir, "../../artifacts");
}

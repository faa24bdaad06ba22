/**
 * `npm run demo` as a user runs it, minus the terminal: the fast configuration with plain output.
 * It must finish with exit 0 and a summary that shows the safety check, and Ctrl-C must leave no
 * process and no temp dir behind.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitFor } from "../support/wait.ts";

const ROOT = resolve(import.meta.dir, "../..");
let work: string | undefined;
afterEach(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
});

function spawnDemo(svg: string) {
  return Bun.spawn([process.execPath, join(ROOT, "scripts/demo.ts"), "--fast", "--plain", "--svg", svg], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 75_000,
    killSignal: "SIGKILL",
  });
}

/** PIDs whose command line mentions `needle` (the demo's temp dir). */
function processesMentioning(needle: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("the fast demo rolls all five nodes through a reboot within the limits and says so", async () => {
  work = mkdtempSync(join(tmpdir(), "crd-demo-test-"));
  const svg = join(work, "timeline.svg");
  const proc = spawnDemo(svg);
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const context = `${out}\n${err}`;
  expect(code, context).toBe(0);
  expect(out).toMatch(/all 5 nodes rebooted and healthy in \d+\.\d s/);
  expect(out).toMatch(/workers\s+limit 2: holding a slot [12] \(etcd history, every revision\), rebooting→healthy [12] \(ledger\)\s+ok/);
  expect(out).toMatch(/control\s+limit 1: holding a slot 1 \(etcd history, every revision\), rebooting→healthy 1 \(ledger\)\s+ok/);
  expect(out).toContain("5 reboot fences committed");
  for (const node of ["work-1", "work-2", "work-3", "ctrl-1", "ctrl-2"]) expect(out).toMatch(new RegExp(`^  ${node}\\s+\\|`, "m"));
  expect(out).toContain(`SVG timeline written to ${svg}`);
  expect(readFileSync(svg, "utf8")).toMatch(/^<svg [^]*<\/svg>\n$/);
  expect(out).toContain("result: OK");
  const tempDir = /temp dir (\S+)/.exec(out)?.[1];
  expect(tempDir && existsSync(tempDir)).toBe(false);
}, 80_000);

test("SIGINT during the rollout stops every daemon and etcd and removes the temp dir", async () => {
  work = mkdtempSync(join(tmpdir(), "crd-demo-test-"));
  const proc = spawnDemo(join(work, "timeline.svg"));
  let out = "";
  const reader = (async () => {
    for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
  })();
  const tempDir = await waitFor(() => (out.includes("daemons started") ? /temp dir (\S+)/.exec(out)?.[1] : undefined), {
    timeoutMs: 30_000,
    what: "the demo to start its daemons",
  });
  await waitFor(() => processesMentioning(tempDir).length >= 6, { timeoutMs: 15_000, what: "etcd and five daemons to run" });
  // The live fleet page is up while the fleet rolls, with the demo's groups and limits.
  const page = /live fleet page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
  expect(page, out).toBeDefined();
  const doc = (await (await fetch(`${page}state.json`)).json()) as { groups: { name: string; limit: number }[] };
  expect(doc.groups.map((g) => [g.name, g.limit])).toEqual([["control", 1], ["workers", 2]]);
  expect(await (await fetch(page!)).text()).toContain("clusterrebootd fleet");
  proc.kill("SIGINT");
  expect(await proc.exited).toBe(130);
  await reader;
  expect(out).toContain("interrupted: stopped 5 daemons and etcd");
  expect(existsSync(tempDir)).toBe(false);
  // Daemons die by handle (SIGKILL) before the demo exits; give the kernel a moment to reap them.
  await waitFor(() => processesMentioning(tempDir).length === 0, { timeoutMs: 5_000, what: "no process left that uses the demo's temp dir" });
}, 60_000);

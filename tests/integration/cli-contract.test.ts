/**
 * Exit codes and output the README promises, through the real CLI: usage problems exit 64 with a
 * message (a missing positional, excluding flags, a blank --root), and `status --json` prints a
 * JSON error document when etcd is down instead of nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");
let dir: string;
let cfg: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crd-contract-"));
  cfg = join(dir, "config.yaml");
  // Port 1 on loopback: nothing listens, so every etcd call fails fast.
  await writeFile(
    cfg,
    `node_name: n1\nreboot_required_detectors: [{type: file, path: ${dir}/reboot-required}]\nhealth_script: /bin/true\n` +
      `etcd_endpoints: [127.0.0.1:1]\netcd_request_timeout_sec: 1\nkill_switch_file: ${dir}/disable\n`,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  const proc = Bun.spawn([process.execPath, "src/main.ts", ...args], {
    cwd: REPO,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", CLUSTERREBOOTD_RUNTIME_DIR: dir },
    timeout: 30_000,
    killSignal: "SIGKILL",
  });
  const [exitCode, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { exitCode, stdout, stderr };
}

test("a missing positional exits 64 (usage) with a message, before any config is read", async () => {
  const r = await cli(["unlock", "--config", cfg]);
  expect(r.stderr).toStartWith("missing argument NODE\n");
  expect(r.exitCode).toBe(64);
});

test("run --once --timer exits 64 and says why, whatever the config", async () => {
  const r = await cli(["run", "--once", "--timer", "--config", join(dir, "absent.yaml")]);
  expect(r.stderr).toStartWith("--once and --timer exclude each other\n");
  expect(r.exitCode).toBe(64);
});

test("install --root '' is refused (it would act on / or the working directory)", async () => {
  for (const args of [["install", "--root", "", "--dry-run"], ["install", "--root=", "--dry-run"], ["uninstall", "--root", " ", "--dry-run"]]) {
    const r = await cli(args);
    expect(r.stderr).toStartWith(`flag "--root" must not be empty\n`);
    expect(r.exitCode).toBe(64);
  }
});

test("status --json with etcd down prints a JSON error document on stdout, exit 1", async () => {
  const r = await cli(["status", "--json", "--config", cfg]);
  expect(r.exitCode).toBe(1);
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(doc).toMatchObject({ node: "n1", group: "default", outcome: "runtime_error", message: "status failed" });
  expect(String(doc["error"])).toContain("127.0.0.1:1");
});

test("cluster --json with etcd down prints a JSON error document too", async () => {
  const r = await cli(["cluster", "--json", "--config", cfg]);
  expect(r.exitCode).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ node: "n1", outcome: "runtime_error", message: "etcd operation failed" });
});

/**
 * The trust check and the file limits through the real CLI, on a real file system: a hostile
 * config directory (world-writable, foreign owner, a FIFO, oversized durations) makes
 * validate-config list every problem with exit 2; the same directory is nobody's business when
 * the command does not run as root (run as `nobody` via setpriv); a FIFO as --config never hangs.
 */
import { afterEach, expect, test } from "bun:test";
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");
const NOBODY = 65534;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function cli(args: string[], opts: { asNobody?: boolean; home?: string } = {}) {
  const setpriv = Bun.which("setpriv");
  if (opts.asNobody && !setpriv) throw new Error("setpriv (util-linux) is needed to run as nobody");
  const prefix = opts.asNobody ? [setpriv!, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] : [];
  const started = Date.now();
  const proc = Bun.spawn([...prefix, process.execPath, "src/main.ts", ...args], {
    cwd: REPO,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: opts.home ?? "/nonexistent" },
    timeout: 30_000,
    killSignal: "SIGKILL",
  });
  const [exitCode, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { exitCode, stdout, stderr, ms: Date.now() - started };
}

/** A directory as an attacker would leave it: owned by nobody, mode 0777. */
async function hostileDir(): Promise<string> {
  const top = await mkdtemp(join(tmpdir(), "crd-trust-"));
  dirs.push(top);
  await chmod(top, 0o755);
  const d = join(top, "etc");
  await mkdir(d);
  await chown(d, NOBODY, NOBODY);
  await chmod(d, 0o777);
  return d;
}

async function file(path: string, text: string, mode: number, uid = 0): Promise<string> {
  await writeFile(path, text);
  await chown(path, uid, uid);
  await chmod(path, mode);
  return path;
}

/** A config whose only problems are who owns what (valid for a non-root user). */
async function trustOnlyConfig(d: string, extra = "", endpoints = "127.0.0.1:2379"): Promise<string> {
  const health = await file(join(d, "health.sh"), "#!/bin/sh\nexit 0\n", 0o755); // root's, 0755 — but in a 0777 dir
  const detect = await file(join(d, "detect"), `#!/bin/sh\ntouch ${d}/detector-ran\nexit 1\n`, 0o777, NOBODY);
  return file(
    join(d, "config.yaml"),
    [
      "node_name: n1",
      `reboot_required_detectors: [{type: command, cmd: [${detect}]}]`,
      `health_script: ${health}`,
      `etcd_endpoints: [${endpoints}]`,
      `reboot_command: [${d}/reboot]`,
      `kill_switch_file: ${d}/disable`,
      extra,
    ].join("\n"),
    0o666,
    NOBODY,
  );
}

test("validate-config on a hostile config directory lists every problem, with exit 2", async () => {
  expect(process.getuid?.()).toBe(0); // the suite runs as root: this is the root side
  const d = await hostileDir();
  await file(join(d, "reboot"), "#!/bin/sh\n", 0o755);
  const fifo = join(d, "ca.pem");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const cfg = await trustOnlyConfig(d, `check_interval_sec: 9999999\netcd_tls: {enabled: true, ca_file: ${fifo}}\n`, "https://127.0.0.1:2379");
  const r = await cli(["validate-config", "--config", cfg]);
  expect(r.exitCode).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("  - ")).map((l) => l.slice(4));
  const has = (start: string, ...parts: string[]) =>
    expect(lines.filter((l) => l.startsWith(start) && parts.every((p) => l.includes(p))), `${start} … ${parts.join(" … ")}\n${r.stderr}`).toHaveLength(1);
  // The config file: its directory and the file itself, each with the fix.
  has(`config: refusing ${cfg} as root: ${d} is a directory owned by uid 65534`, "world-writable directory (mode 0777)", `fix: chown root:root ${d}; chmod go-w ${d}`);
  has(`config: refusing ${cfg} as root: it is owned by uid 65534, not root and is world-writable (mode 0666)`, `fix: chown root:root ${cfg}; chmod go-w ${cfg}`);
  // A root-owned 0755 health script is not enough when its directory is anyone's.
  has(`health_script: refusing ${d}/health.sh as root: ${d} is a directory owned by uid 65534`);
  // The command detector owned by nobody, 0777 (it used to run as root without a word).
  has(`reboot_required_detectors[0].cmd[0]: refusing ${d}/detect as root: it is owned by uid 65534`, `chmod go-w ${d}/detect`);
  has(`reboot_command[0]: refusing ${d}/reboot as root: ${d} is a directory owned by uid 65534`);
  has("check_interval_sec: must be ≤ 2147483 s");
  has(`etcd_tls.ca_file: cannot read ${fifo}: not a regular file`);
  expect(r.ms).toBeLessThan(20_000);
});

test("a symlink into a world-writable directory is followed and refused, even to a root-owned 0755 script", async () => {
  const d = await hostileDir();
  const target = await file(join(d, "health.sh"), "#!/bin/sh\nexit 0\n", 0o755);
  const safe = await mkdtemp(join(tmpdir(), "crd-trust-safe-"));
  dirs.push(safe);
  const link = join(safe, "health");
  await symlink(target, link);
  const cfg = await file(
    join(safe, "config.yaml"),
    `node_name: n1\nreboot_required_detectors: [{type: file, path: /x}]\nhealth_script: ${link}\netcd_endpoints: [127.0.0.1:2379]\nreboot_command: [/bin/true]\nkill_switch_file: ${safe}/disable\n`,
    0o644,
  );
  const r = await cli(["validate-config", "--config", cfg]);
  expect(r.stderr).toContain(`health_script: refusing ${link} as root: ${d} is a directory owned by uid 65534`);
  expect(r.exitCode).toBe(2);
});

test("simulate as root refuses a detector owned by nobody, mode 0777, and does not run it", async () => {
  const d = await hostileDir();
  const cfg = await trustOnlyConfig(d);
  const r = await cli(["simulate", "--config", cfg]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(`reboot_required_detectors[0].cmd[0]: refusing ${d}/detect as root`);
  expect(existsSync(join(d, "detector-ran"))).toBe(false);
});

test("not root (nobody, via setpriv): the same directory reports nothing and the config is valid", async () => {
  const d = await hostileDir();
  const cfg = await trustOnlyConfig(d);
  const r = await cli(["validate-config", "--config", cfg], { asNobody: true, home: d });
  expect(r.stderr.split("\n").filter((l) => l.includes("refusing"))).toEqual([]);
  expect(r.stdout).toBe(`configuration at ${cfg} is valid\n`);
  expect(r.exitCode).toBe(0);
});

test("a FIFO as --config is refused at once by validate-config, status and run (they used to hang)", async () => {
  const top = await mkdtemp(join(tmpdir(), "crd-trust-fifo-"));
  dirs.push(top);
  const fifo = join(top, "config.yaml");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  for (const cmd of [["validate-config"], ["status"], ["run", "--once"]]) {
    const r = await cli([...cmd, "--config", fifo]);
    expect(r.stderr).toContain(`config: cannot read ${fifo}: not a regular file`);
    expect(r.exitCode).toBe(2);
    expect(r.ms).toBeLessThan(20_000);
  }
  const zero = await cli(["validate-config", "--config", "/dev/zero"]);
  expect(zero.stderr).toContain("config: cannot read /dev/zero: not a regular file");
  expect(zero.exitCode).toBe(2);
});

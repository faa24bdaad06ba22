/**
 * The compiled amd64 binary, run the way a fresh machine runs it: copied out of the repo, with
 * node_modules hidden (tests/support/hermetic.ts). Then the arm64 binary under qemu-user.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEtcd, type EtcdCluster } from "../support/etcd.ts";
import { runHermetic, type HermeticRun } from "../support/hermetic.ts";
import { ensureBinary, qemuArm64, REPO } from "./_binary.ts";

const FIXTURES = join(REPO, "tests/fixtures/config");
const GOOD = join(FIXTURES, "good-minimal.yaml");
const BAD = (await readdir(FIXTURES)).filter((f) => /^bad-.*\.yaml$/.test(f)).sort();

let bin = "";
let dir = "";

beforeAll(async () => {
  bin = await ensureBinary("amd64");
  dir = await mkdtemp(join(tmpdir(), "crd-smoke-"));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<HermeticRun> {
  const r = await runHermetic(bin, args);
  // The point of the hermetic run: prove the binary does not need the build machine's files.
  expect(r.nodeModulesHidden).toBe(true);
  return r;
}

/** The `# expect:` header lines of a fixture. */
async function expectations(file: string): Promise<string[]> {
  const text = await readFile(join(FIXTURES, file), "utf8");
  return [...text.matchAll(/^# expect: (.+)$/gm)].map((m) => m[1]!.trim());
}

/** good-minimal.yaml with its detectors replaced. */
async function configWithDetectors(name: string, detectors: string): Promise<string> {
  const base = await readFile(GOOD, "utf8");
  const text = base.replace(/reboot_required_detectors:\n(?: {2}.*\n)+/, `reboot_required_detectors:\n${detectors}`);
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("compiled amd64 binary", () => {
  test("version names the release, the commit and the target", async () => {
    const r = await run(["version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^clusterrebootd \d+\.\d+\.\d+\S*\ncommit: \S+\nbuilt: \d{4}-\d\d-\d\dT[\d:]+Z\nbun: [\d.]+\ntarget: linux-amd64\n$/);
  });

  test("--help lists every command and exits 0", async () => {
    const { COMMANDS } = await import("../../src/cli/index.ts");
    const r = await run(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.stdout).toContain(`  ${name} `);
  });

  test("validate-config accepts the minimal good config", async () => {
    const r = await run(["validate-config", "--config", GOOD]);
    expect(r.stderr).not.toContain("configuration invalid");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`configuration at ${GOOD} is valid`);
  });

  test.each(BAD)("validate-config rejects %s with exit 2, naming the field", async (file) => {
    const wanted = await expectations(file);
    expect(wanted.length).toBeGreaterThan(0);
    const r = await run(["validate-config", "--config", join(FIXTURES, file)]);
    expect(r.exitCode).toBe(2);
    for (const w of wanted) expect(r.stderr).toContain(w);
  });

  test("simulate runs the detectors and exits 0", async () => {
    const cfg = await configWithDetectors("simulate-ok.yaml", "  - type: file\n    path: /nonexistent/reboot-required\n  - type: command\n    cmd: [/bin/true]\n");
    const r = await run(["simulate", "--config", cfg]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("detector evaluations:");
    expect(r.stdout).toContain("overall reboot required: false");
  });

  test("simulate exits 6 when a command detector fails", async () => {
    const cfg = await configWithDetectors("simulate-error.yaml", "  - type: command\n    cmd: [/nonexistent/needs-restarting]\n");
    const r = await run(["simulate", "--config", cfg]);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toContain("detector evaluation encountered errors");
  });

  test.each([
    ["an unknown command", ["reboot-now"]],
    ["an unknown flag", ["validate-config", "--confg", GOOD]],
    ["a flag without its value", ["validate-config", "--config"]],
  ])("%s exits 64", async (_what, args) => {
    const r = await run(args);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).not.toBe("");
  });

  describe("against a real etcd", () => {
    let etcd: EtcdCluster | undefined;
    let cfg = "";

    beforeAll(async () => {
      etcd = await startEtcd();
      const base = await readFile(GOOD, "utf8");
      cfg = join(dir, "etcd.yaml");
      await writeFile(cfg, base.replace(/etcd_endpoints:.*\n/, `etcd_endpoints: ${JSON.stringify(etcd.endpoints)}\n`));
    }, 30_000);

    afterAll(async () => {
      await etcd?.stop();
    });

    test("pause writes through gRPC and cluster --json reads it back", async () => {
      const paused = await run(["pause", "--config", cfg, "--reason", "smoke test"]);
      expect(paused.stderr).toBe("");
      expect(paused.exitCode).toBe(0);
      const r = await run(["cluster", "--json", "--config", cfg]);
      expect(r.exitCode).toBe(0);
      const doc = JSON.parse(r.stdout) as { namespace: string; revision: number; paused: { reason: string } | null; members: unknown[] };
      expect(doc.namespace).toBe("/clusterrebootd");
      expect(doc.revision).toBeGreaterThan(1);
      expect(doc.paused?.reason).toBe("smoke test");
      expect(Array.isArray(doc.members)).toBe(true);
    });
  });
});

describe("compiled arm64 binary under qemu-user", async () => {
  const qemu = await qemuArm64();
  // A missing qemu fails these tests (scripts/setup installs it); it never skips them.
  const qtest = test;
  let arm = "";

  beforeAll(async () => {
    if (!qemu.ok) throw new Error(`${qemu.reason}; run scripts/setup test`);
    arm = await ensureBinary("arm64");
  }, 120_000);

  /** qemu is the hermetic copy; the arm64 binary stays in dist/ with node_modules hidden. */
  const runArm = async (args: string[]) => {
    if (!qemu.ok) throw new Error("unreachable");
    const [q, ...qargs] = qemu.argv;
    const r = await runHermetic(q!, [...qargs, arm, ...args], { timeoutMs: 60_000 });
    expect(r.nodeModulesHidden).toBe(true);
    return r;
  };

  qtest("version reports linux-arm64", async () => {
    const r = await runArm(["version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("target: linux-arm64");
  }, 60_000);

  qtest("validate-config: good config 0, bad config 2", async () => {
    expect((await runArm(["validate-config", "--config", GOOD])).exitCode).toBe(0);
    const bad = await runArm(["validate-config", "--config", join(FIXTURES, "bad-unknown-key.yaml")]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("nodename: unknown key");
  }, 60_000);
});

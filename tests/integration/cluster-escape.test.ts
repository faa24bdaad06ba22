/**
 * `cluster` shows what any client with write access to the namespace put in etcd: key names and
 * record fields. Escape sequences in them must reach the terminal escaped, never raw.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { etcdctl, startEtcd, type EtcdCluster } from "../support/etcd.ts";

const REPO = resolve(import.meta.dir, "../..");
const ESC = "\u001b";
let cluster: EtcdCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startEtcd();
  dir = await mkdtemp(join(tmpdir(), "crd-escape-"));
});
afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("escape sequences in etcd key names and records are shown escaped by cluster", async () => {
  const now = new Date().toISOString();
  const evil = `evil${ESC}[2J${ESC}]0;pwned\u0007`;
  const record = { node: "evil", group: "g", healthy: false, phase: "monitor", reason: `disk${ESC}[31m`, checked_at: now, boot_id: "b", pid: 1, seq: 1 };
  await etcdctl(cluster, ["put", `/clusterrebootd/health/${evil}`, JSON.stringify(record)]);
  await etcdctl(cluster, ["put", "/clusterrebootd/pause", JSON.stringify({ reason: `maint${ESC}[1A`, by: "op", at: now })]);
  const cfg = join(dir, "config.yaml");
  await writeFile(
    cfg,
    `node_name: n1\nreboot_required_detectors: [{type: file, path: /x}]\nhealth_script: /bin/true\n` +
      `etcd_endpoints: [${cluster.endpoints.join(", ")}]\nkill_switch_file: ${dir}/disable\n`,
  );
  const proc = Bun.spawn([process.execPath, "src/main.ts", "cluster", "--config", cfg], { cwd: REPO, stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(out).not.toContain(ESC);
  expect(out).not.toContain("\u0007");
  expect(out).toContain("evil\\x1b[2J\\x1b]0;pwned\\x07");
  expect(out).toContain("disk\\x1b[31m");
  expect(out).toContain("maint\\x1b[1A");
});

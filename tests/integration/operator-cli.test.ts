/**
 * Operator commands against a real etcd, through the real CLI: `unlock` refuses a slot in
 * `rebooting` before its deadline without --force (the node is most likely down: freeing it lets
 * a second node go down), `resume --etcd-reset` writes the acknowledgement daemons wait for, and
 * `status` names the node's place in its group's queue.
 */
import { expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeKeys, readClusterState, tryAcquireSlot, enterRebooting, joinQueue } from "../../src/slots/index.ts";
import { etcdFixture } from "../support/etcd-fixture.ts";
import { freePort } from "../support/ports.ts";

const REPO = resolve(import.meta.dir, "../..");
const fx = etcdFixture("opcli");
const keys = makeKeys("/clusterrebootd");

async function cli(args: string[]) {
  const cfg = join(fx.dir, "config.yaml");
  await writeFile(
    cfg,
    `node_name: n1\ngroup: g\nreboot_required_detectors: [{type: file, path: ${fx.dir}}]\nhealth_script: /bin/true\n` +
      `etcd_endpoints: [${fx.cluster.endpoints.join(", ")}]\nkill_switch_file: ${fx.dir}/disable\n`,
  );
  const proc = Bun.spawn([process.execPath, "src/main.ts", ...args, "--config", cfg], { cwd: REPO, stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

test("unlock refuses a rebooting slot before its deadline without --force; --force frees it", async () => {
  const lease = await fx.gw.grantLease(30, { keepAlive: true });
  const now = Date.now();
  const a = await tryAcquireSlot(fx.gw, keys, { node: "n2", group: "g", limit: 1, globalCap: null, holder: "daemon", pid: 1, bootId: "b", leaseId: lease.id, nowIso: new Date(now).toISOString() });
  if (a.kind !== "acquired") throw new Error(a.kind);
  const f = await enterRebooting(fx.gw, keys, a.slot, a.record, { slotTimeoutSec: 600, bootId: "b", nowMs: now });
  expect(f.kind).toBe("fenced");
  const refused = await cli(["unlock", "n2"]);
  expect(refused.code).toBe(1);
  expect(refused.err).toContain("most likely down");
  expect(refused.err).toContain("--force");
  expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(1);
  const forced = await cli(["unlock", "n2", "--force"]);
  expect(forced.code).toBe(0);
  expect((await readClusterState(fx.gw, keys)).slots).toHaveLength(0);
  await lease.revoke();
});

test("resume --etcd-reset writes the acknowledgement for the current etcd cluster", async () => {
  const r = await cli(["resume", "--etcd-reset"]);
  expect(r.code).toBe(0);
  const state = await readClusterState(fx.gw, keys);
  expect(state.resetAck?.cluster_id).toBe(state.clusterId);
  expect(r.out).toContain("etcd reset acknowledged");
});

test("status names this node's place in its group's queue", async () => {
  const lease = await fx.gw.grantLease(30, { keepAlive: true });
  for (const n of ["w1", "w2", "n1"]) await joinQueue(fx.gw, keys, "g", n, lease.id, new Date().toISOString());
  const r = await cli(["status", "--skip-health"]);
  expect(r.out).toContain("3rd in line for group g");
  const j = JSON.parse((await cli(["status", "--skip-health", "--json"])).out) as { queue?: { position: number; waiting: number } };
  expect(j.queue).toEqual({ position: 3, waiting: 3, in_queue: true } as never);
  await lease.revoke();
});

test("run --once --json prints a JSON error document when etcd cannot be reached", async () => {
  const port = await freePort(); // nothing listens there
  const cfg = join(fx.dir, "unreachable.yaml");
  await writeFile(cfg, `node_name: n1\nreboot_required_detectors: [{type: file, path: /x}]\nhealth_script: /bin/true\netcd_endpoints: [127.0.0.1:${port}]\netcd_request_timeout_sec: 1\nkill_switch_file: ${fx.dir}/disable\n`);
  const proc = Bun.spawn([process.execPath, "src/main.ts", "run", "--once", "--json", "--config", cfg], { cwd: REPO, stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" });
  const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  expect(code).toBe(1);
  const doc = JSON.parse(out) as Record<string, unknown>;
  expect(JSON.stringify(doc)).toContain("etcd unreachable");
});

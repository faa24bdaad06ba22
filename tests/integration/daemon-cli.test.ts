/**
 * The operator commands against live daemons and the same etcd: `pause` stops new reboots and
 * `resume` lets them go on; `status`, `cluster --json` and `unlock` report and act on the real
 * state with the documented exit codes (0 ok, 1 runtime error, 5 paused).
 */
import { expect, test } from "bun:test";
import { awayWindows, handoffs, maxOverlap, type Fleet } from "../../scripts/sim/fleet.ts";
import { etcdctl, waitFor } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";

/** bun's default is 5 s (bunfig's [test] timeout is not honoured by bun 1.4.5). */
const TEST_TIMEOUT_MS = 60_000;

const fleets = useFleets({ sharedEtcd: true });

interface ClusterDoc {
  paused: { reason: string; by: string } | null;
  members: { node: string; group: string; health: string; slot: string }[];
}

const postBootRelease = { match: (e: { fields: Record<string, unknown> }) => e.fields["reason"] === "post_boot_healthy" };
const status = (s: string) => ({ match: (e: { fields: Record<string, unknown> }) => e.fields["status"] === s });
const reboots = (f: Fleet) => f.ledger().filter((e) => e.kind === "reboot");

async function healthRecord(node: string): Promise<{ healthy: boolean; phase: string } | undefined> {
  const out = await etcdctl(fleets.cluster, ["get", `/clusterrebootd/health/${node}`, "--print-value-only"]);
  return out.trim() ? (JSON.parse(out) as { healthy: boolean; phase: string }) : undefined;
}

test("pause holds back waiting nodes, resume lets them go; status, cluster and unlock agree with etcd", async () => {
  // n2's checks are rare so that, once it holds a verifying slot, its heartbeats (healthy) are
  // what its health record says between two failing post-boot checks.
  const f = await fleets.create({
    nodes: [
      { name: "n1", group: "g1" },
      { name: "n2", group: "g1", config: { check_interval_sec: 30 } },
    ],
  });
  const [n1, n2] = f.nodes as [typeof f.nodes[0], typeof f.nodes[0]];

  const paused = await n1.cli(["pause", "--reason", "x"]);
  expect(paused.exitCode).toBe(0);
  const noReason = await n1.cli(["pause", "--reason", " "]);
  expect(noReason.exitCode).toBe(64);

  for (const n of f.nodes) n.requireReboot();
  n2.setHealthy(false, ["post-boot"]);
  f.startAll();
  await Promise.all(f.nodes.map((n) => n.waitForEvent("run_outcome", status("paused"))));
  const st = await n1.cli(["status", "--json"]);
  expect(st.exitCode).toBe(5);
  const cl = await n1.cli(["cluster", "--json"]);
  expect(cl.exitCode).toBe(0);
  const doc = JSON.parse(cl.stdout) as ClusterDoc;
  expect(doc.paused?.reason).toBe("x");
  expect(doc.members.map((m) => m.node).sort()).toEqual(["n1", "n2"]);
  expect(reboots(f)).toHaveLength(0);

  const resumed = await n1.cli(["resume"]);
  expect(resumed.exitCode).toBe(0);
  // n2 reboots at its turn and then fails its post-boot check: it holds a verifying slot.
  await f.waitForLedger((e) => e.kind === "health" && e.node === "n2" && e.phase === "post-boot" && e.result === "fail", {
    what: "n2's failing post-boot check",
  });
  await waitFor(async () => (await healthRecord("n2"))?.healthy === true, { timeoutMs: 10_000, what: "n2's heartbeat to publish healthy" });
  const view = JSON.parse((await n1.cli(["cluster", "--json"])).stdout) as ClusterDoc;
  expect(view.paused).toBeNull();
  expect(view.members.find((m) => m.node === "n2")?.slot).toBe("verifying");

  const refused = await n1.cli(["unlock", "n2"]);
  expect(refused.exitCode).toBe(1);
  expect(refused.stderr).toContain("--force");
  expect(await etcdctl(fleets.cluster, ["get", "/clusterrebootd/slots/g1/n2", "--print-value-only"])).not.toBe("");

  const forced = await n1.cli(["unlock", "n2", "--force"]);
  const unlockedAt = Date.now();
  expect(forced.exitCode).toBe(0);
  expect(await etcdctl(fleets.cluster, ["get", "/clusterrebootd/slots/g1/n2", "--print-value-only"])).toBe("");

  // Whatever the order was, both nodes rebooted exactly once and never at the same time: n2's
  // time away ends with the forced unlock (it never passed its post-boot check).
  await n1.waitForEvent("slot_released", postBootRelease);
  expect(reboots(f).map((e) => e.node).sort()).toEqual(["n1", "n2"]);
  const releases = new Map([["n1", f.releases().map((r) => r.at)], ["n2", [unlockedAt]]]);
  expect(maxOverlap(awayWindows(f.ledger(), releases)).max).toBe(1);
  const unlocked = await n1.cli(["unlock", "n2"]);
  expect(unlocked.exitCode).toBe(0);
  expect(unlocked.stdout).toContain("holds no reboot slot");
  for (const h of handoffs(f.ledger(), f.releases(), () => "g1")) console.log(`handoff pause-resume: ${h.from} released -> ${h.to} reboot command in ${h.ms} ms`);
}, TEST_TIMEOUT_MS);

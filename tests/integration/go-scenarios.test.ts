/**
 * Go clusterrebootd scenarios against a real etcd, through the CLI: `run --once` on a taken slot
 * tries 5 times with the lock backoff before exit 4 (lock_unavailable), and `run --once` with
 * metrics.enabled serves metrics and says where, as the Go daemon did.
 */
import { expect, test } from "bun:test";
import { useFleets } from "../support/fleets.ts";

const fleets = useFleets({ sharedEtcd: true });

test("run --once on a taken slot: 5 attempts with backoff, then exit 4; the metrics listener is announced", async () => {
  const f = await fleets.create({
    nodes: [
      { name: "n1", group: "g1" },
      { name: "n2", group: "g1", config: { backoff_min_sec: 1, backoff_max_sec: 1, metrics: { enabled: true, listen: "127.0.0.1:0" } } },
    ],
  });
  const [n1, n2] = f.nodes as [typeof f.nodes[0], typeof f.nodes[0]];
  // n1 reboots and stays down: its slot stays taken (until reboot_slot_timeout_sec, 30 min).
  n1.setAutoBoot(false);
  n1.requireReboot();
  n1.start();
  await f.waitForLedger((e) => e.node === "n1" && e.kind === "down", { what: "n1 down, holding the slot" });

  n2.requireReboot();
  const started = Date.now();
  const r = await n2.cli(["run", "--once"]);
  const elapsed = Date.now() - started;
  expect(r.exitCode).toBe(4);
  expect(r.stdout).toContain("lock_unavailable");
  expect(r.stderr.match(/lock_backoff/g)?.length).toBe(4);
  expect(r.stderr).toMatch(/lock_failed.*"?attempts"?\D+5/);
  expect(elapsed).toBeGreaterThanOrEqual(4_000); // 4 waits of backoff_min_sec = backoff_max_sec = 1 s
  expect(r.stderr).toMatch(/^metrics server listening on 127\.0\.0\.1:[1-9]\d*$/m);
}, 60_000);

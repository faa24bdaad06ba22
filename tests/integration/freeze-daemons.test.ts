/**
 * A node that never comes back stops the rollout (issue 22), with real daemons on a real etcd and
 * real time: n1 reboots and stays down past reboot_slot_timeout_sec (the minimum, 120 s); n2's
 * daemon turns n1's slot into a failed reboot and the group freezes; nothing else reboots; after
 * `resume --group` n2 still waits for n1 (down without a slot), and goes once n1 is back.
 */
import { expect, test } from "bun:test";
import { etcdctl } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";

const fleets = useFleets({ sharedEtcd: true });
const status = (s: string) => ({ match: (e: { fields: Record<string, unknown> }) => e.fields["status"] === s });

test("a node held down past its deadline freezes its group; resume --group lets the rollout go on", async () => {
  const ns = "/crd-freeze-1";
  const f = await fleets.create({ nodes: [{ name: "n1", group: "g" }, { name: "n2", group: "g" }, { name: "n3", group: "g" }], config: { etcd_namespace: ns, reboot_slot_timeout_sec: 120 } });
  const [n1, n2, n3] = ["n1", "n2", "n3"].map((n) => f.node(n)) as [ReturnType<typeof f.node>, ReturnType<typeof f.node>, ReturnType<typeof f.node>];
  n1.setAutoBoot(false);
  n1.requireReboot();
  n1.start();
  await f.waitForLedger((e) => e.kind === "down" && e.node === "n1", { what: "n1 down under its slot" });
  const downAt = Date.now();
  n2.requireReboot();
  n2.start();
  n3.start();
  const frozen = await n2.waitForEvent("run_outcome", { ...status("group_frozen"), timeoutMs: 150_000 });
  // Not before the deadline (120 s after the reboot command) plus the skew allowance.
  expect(frozen.at - downAt).toBeGreaterThan(120_000);
  expect(String(frozen.fields["message"])).toContain("n1 did not come back before its slot's deadline");
  const rec = JSON.parse(await etcdctl(fleets.cluster, ["get", `${ns}/frozen/g`, "--print-value-only"])) as { node: string; reason: string };
  expect(rec).toMatchObject({ node: "n1", reason: "never_returned" });
  expect((await etcdctl(fleets.cluster, ["get", `${ns}/slots/`, "--prefix", "--keys-only"])).trim()).toBe("");
  const hist = await n3.cli(["history", "n1"]);
  expect(hist.stdout).toContain("never_returned (froze group g)");
  const st = await n2.cli(["status"]);
  expect(st.exitCode).toBe(5);
  expect(f.ledger().filter((e) => e.kind === "reboot").map((e) => e.node)).toEqual(["n1"]);

  // The operator lifts the freeze while n1 is still off: n2 still waits, n1 counts as down.
  expect((await n3.cli(["resume", "--group", "g"])).exitCode).toBe(0);
  await n2.waitForEvent("run_outcome", { match: (e) => e.fields["status"] === "lock_unavailable" && String(e.fields["message"]).includes("n1 is down") });
  expect(f.ledger().filter((e) => e.kind === "reboot").map((e) => e.node)).toEqual(["n1"]);
  // n1 is back (late, its slot gone): once it is healthy, n2 goes.
  const bootAt = Date.now();
  n1.boot();
  const r2 = await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n2", { what: "n2's reboot once n1 is back", timeoutMs: 30_000 });
  // n1 had no slot to release any more: "back" is its first passing health check after boot,
  // and n2's reboot command came only after it.
  const n1Healthy = f.ledger().find((e) => e.node === "n1" && e.kind === "health" && e.result === "ok" && e.at >= bootAt - 1000);
  expect(n1Healthy).toBeDefined();
  expect(r2.at).toBeGreaterThanOrEqual(n1Healthy!.at);
}, 240_000);

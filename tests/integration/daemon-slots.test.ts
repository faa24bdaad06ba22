/**
 * Real daemons (`bun src/main.ts run`) against a real etcd, driven by the fleet simulator
 * (scripts/sim/fleet.ts): rolling reboots keep the group limit, a node that fails post-boot health
 * keeps its slot, a holder that dies before rebooting frees its slot with its lease, and a reboot
 * that never happens does not leave the slot stuck.
 *
 * One etcd for the file; every test gets its own key namespace. Hand-off times (holder's release →
 * next node's reboot command) are printed for docs/BENCHMARKS.md.
 */
import { describe, expect, test } from "bun:test";
import { handoffs, type Fleet, type NodeSpec } from "../../scripts/sim/fleet.ts";
import { etcdctl, waitFor } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";

/** bun's default is 5 s (bunfig's [test] timeout is not honoured by bun 1.4.5). */
const TEST_TIMEOUT_MS = 45_000;

const fleets = useFleets({ sharedEtcd: true });
let testNo = 0;

/** A fleet in a fresh namespace of the shared etcd. */
async function newFleet(nodes: NodeSpec[], config: Record<string, unknown> = {}): Promise<{ fleet: Fleet; ns: string }> {
  const ns = `/crd-slots-${++testNo}`;
  return { fleet: await fleets.create({ nodes, config: { etcd_namespace: ns, ...config } }), ns };
}

async function slotRecord(ns: string, group: string, node: string): Promise<{ phase: string; reason?: string } | undefined> {
  const out = await etcdctl(fleets.cluster, ["get", `${ns}/slots/${group}/${node}`, "--print-value-only"]);
  return out.trim() ? (JSON.parse(out) as { phase: string }) : undefined;
}

const postBootRelease = { match: (e: { fields: Record<string, unknown> }) => e.fields["reason"] === "post_boot_healthy" };
const reboots = (f: Fleet, node?: string) => f.ledger().filter((e) => e.kind === "reboot" && (node === undefined || e.node === node));

function printHandoffs(label: string, f: Fleet): number[] {
  const hs = handoffs(f.ledger(), f.releases(), (n) => f.nodes.find((x) => x.name === n)?.group);
  for (const h of hs) console.log(`handoff ${label}: ${h.from} released -> ${h.to} reboot command in ${h.ms} ms`);
  return hs.map((h) => h.ms);
}

describe("rolling reboot", () => {
  test("3 nodes, limit 1: one at a time; a node failing post-boot health holds the slot until healthy", async () => {
    const { fleet: f, ns } = await newFleet(["n1", "n2", "n3"].map((name) => ({ name, group: "g1" })));
    for (const n of f.nodes) n.requireReboot();
    const [n1, n2, n3] = f.nodes as [typeof f.nodes[0], typeof f.nodes[0], typeof f.nodes[0]];
    n1.setHealthy(false, ["post-boot"]);
    n1.start();
    await n1.waitForEvent("slot_acquired");
    n2.start();
    n3.start();

    // n1 reboots, comes back and fails its post-boot check twice: the slot stays, phase verifying.
    await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n1", { what: "n1 to reboot" });
    await waitFor(() => f.ledger().filter((e) => e.kind === "health" && e.node === "n1" && e.phase === "post-boot" && e.result === "fail").length >= 2, {
      timeoutMs: 15_000,
      what: "two failed post-boot checks on n1",
    });
    await n2.waitForEvent("run_outcome", { match: (e) => e.fields["status"] === "lock_unavailable" });
    await n3.waitForEvent("run_outcome", { match: (e) => e.fields["status"] === "lock_unavailable" });
    expect((await slotRecord(ns, "g1", "n1"))?.phase).toBe("verifying");
    expect(reboots(f).map((e) => e.node)).toEqual(["n1"]);

    // Healthy again: n1 releases, then the others go one by one.
    n1.setHealthy(true);
    await Promise.all(f.nodes.map((n) => n.waitForEvent("slot_released", postBootRelease)));
    expect(reboots(f).map((e) => e.node).sort()).toEqual(["n1", "n2", "n3"]);
    expect(f.maxAwayByGroup().get("g1")?.max).toBe(1);
    expect(await slotRecord(ns, "g1", "n3")).toBeUndefined();
    // Nobody reboots twice: every detector file was cleared by the boot.
    await Promise.all(f.nodes.map((n) => n.waitForEvent("run_outcome", { match: (e) => e.fields["status"] === "no_action" })));
    expect(reboots(f)).toHaveLength(3);
    expect(printHandoffs("rolling-3", f)).toHaveLength(2);
  }, TEST_TIMEOUT_MS);

  test("two groups with limit 1 each reboot one node per group at the same time", async () => {
    const specs = [
      { name: "a1", group: "ga" },
      { name: "a2", group: "ga" },
      { name: "b1", group: "gb" },
      { name: "b2", group: "gb" },
    ];
    const { fleet: f } = await newFleet(specs);
    for (const n of f.nodes) {
      n.requireReboot();
      n.setAutoBoot(false);
    }
    f.startAll();
    // Both groups have a node down at once (nobody boots until we say so).
    const down = await waitFor(() => {
      const d = f.nodes.filter((n) => n.down);
      return new Set(d.map((n) => n.group)).size === 2 && d;
    }, { timeoutMs: 15_000, what: "one machine down in each group" });
    expect(down).toHaveLength(2);
    expect(reboots(f)).toHaveLength(2);
    for (const n of f.nodes) n.setAutoBoot(true);
    for (const n of down) n.boot();
    await Promise.all(f.nodes.map((n) => n.waitForEvent("slot_released", postBootRelease)));
    expect(reboots(f)).toHaveLength(4);
    const away = f.maxAwayByGroup();
    expect(away.get("ga")?.max).toBe(1);
    expect(away.get("gb")?.max).toBe(1);
    printHandoffs("two-groups", f);
  }, TEST_TIMEOUT_MS);
});

describe("failures around the slot", () => {
  test("a holder killed before its reboot frees the slot within the lease TTL; the other node proceeds", async () => {
    // Slots only: with count_down_nodes (the default) the dead holder still counts as down
    // (down-nodes.test.ts); this test is about the slot on the session lease.
    const { fleet: f } = await newFleet([{ name: "n1", group: "g1" }, { name: "n2", group: "g1" }], { count_down_nodes: false });
    for (const n of f.nodes) {
      n.requireReboot();
      n.setHangPhase("post-lock");
    }
    f.startAll();
    const hang = await f.waitForLedger((e) => e.kind === "health" && e.result === "hang", { what: "a post-lock health check to hang" });
    const holder = f.node(hang.node);
    const other = f.nodes.find((n) => n !== holder)!;
    other.setHangPhase(null);
    const since = other.logs.length;
    const killedAt = Date.now();
    await holder.kill("SIGKILL");
    const acquired = await other.waitForEvent("slot_acquired", { since, timeoutMs: 15_000 });
    const freedMs = acquired.at - killedAt;
    console.log(`slot of a killed holder taken over after ${freedMs} ms (lock_ttl_sec 3)`);
    expect(freedMs).toBeLessThan(3_000 + 2_500);
    await other.waitForEvent("slot_released", postBootRelease);
    expect(reboots(f).map((e) => e.node)).toEqual([other.name]);
  }, TEST_TIMEOUT_MS);

  test("a reboot that does not happen: after the grace period the node says so, verifies, releases and freezes its group", async () => {
    const { fleet: f, ns } = await newFleet([{ name: "n1", group: "g1" }, { name: "n2", group: "g1" }]);
    const [n1, n2] = f.nodes as [typeof f.nodes[0], typeof f.nodes[0]];
    for (const n of f.nodes) n.requireReboot();
    n1.setRebootEffective(false);
    n1.start();
    await n1.waitForEvent("slot_acquired");
    n2.start();
    const cmd = await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n1", { what: "n1's reboot command" });
    expect(cmd.kind === "reboot" && cmd.noop).toBe(true);
    // The machine stayed up; stop n1 wanting another reboot so n2's turn is unambiguous.
    n1.clearRebootRequired();
    const notHappened = await n1.waitForEvent("reboot_not_happened", { timeoutMs: 15_000 });
    expect(notHappened.at - cmd.at).toBeGreaterThanOrEqual(3_000 - 50); // reboot_grace_sec 3
    const verifying = await n1.waitForEvent("post_boot_verifying");
    expect(verifying.fields["rebooted"]).toBe(false);
    const released = await n1.waitForEvent("slot_released", postBootRelease);
    expect(released.fields["rebooted"]).toBe(false);
    expect(n1.starts).toBe(1); // the same daemon process did all of it
    const history = JSON.parse(await etcdctl(fleets.cluster, ["get", `${ns}/reboots/n1`, "--print-value-only"])) as { last_outcome?: string };
    expect(history.last_outcome).toBe("reboot did not happen");
    // A failed reboot (max_failed_reboots 1): the group is frozen, n2 waits for an operator.
    await n2.waitForEvent("run_outcome", { match: (e) => e.fields["status"] === "group_frozen" });
    expect(String((await n2.cli(["status"])).stdout + (await n2.cli(["status"])).stderr)).toContain("resume --group g1");
    expect((await n2.cli(["cluster", "--json"])).stdout).toContain("reboot_not_happened");
    expect(reboots(f).map((e) => e.node)).toEqual(["n1"]);
    const resumed = await n1.cli(["resume", "--group", "g1"]);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).toContain("group g1 resumed");
    // Not stuck: n2 takes the slot, reboots and releases.
    await n2.waitForEvent("slot_released", postBootRelease);
    expect(reboots(f).map((e) => e.node)).toEqual(["n1", "n2"]);
    printHandoffs("not-happened", f);
  }, TEST_TIMEOUT_MS);
});

/**
 * Zone-aware groups: `group_from_node_label` takes each node's group from a label of its
 * Kubernetes node, so `group_limits` hold per zone. Real daemons (`bun src/main.ts run`) and the
 * real CLI against a real etcd and the test API server (tests/support/fake-apiserver.ts); a label
 * that cannot be read blocks (no slot, exit 4) with the reason, and the daemon goes on once it can.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { awayWindows, maxOverlap, type Fleet, type NodeSpec } from "../../scripts/sim/fleet.ts";
import { etcdctl, waitFor } from "../support/etcd.ts";
import { startFakeApiServer, type FakeApiServer } from "../support/fake-apiserver.ts";
import { useFleets } from "../support/fleets.ts";

const TEST_TIMEOUT_MS = 60_000;
const ZONE = "topology.kubernetes.io/zone";

const fleets = useFleets({ sharedEtcd: true });
let fake: FakeApiServer;
let testNo = 0;

beforeEach(async () => {
  fake = await startFakeApiServer();
});
afterEach(() => fake.stop());

/** A kubeconfig for the test API server: token auth over plain HTTP on loopback. */
function kubeconfig(server: string, token: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: t, cluster: {server: " + JSON.stringify(server) + "}}]",
    "users: [{name: t, user: {token: " + JSON.stringify(token) + "}}]",
    "contexts: [{name: t, context: {cluster: t, user: t}}]",
    "current-context: t",
    "",
  ].join("\n");
}

/** A fleet whose nodes take their group from the zone label; `spec.group` is the zone we expect. */
async function zoneFleet(nodes: NodeSpec[], config: Record<string, unknown> = {}, rebootDelayMs = 200): Promise<{ fleet: Fleet; ns: string }> {
  const ns = `/crd-zones-${++testNo}`;
  const fleet = await fleets.create({
    nodes,
    rebootDelayMs,
    config: {
      etcd_namespace: ns,
      group: null,
      group_from_node_label: ZONE,
      kubernetes: { kubeconfig: "__KUBECONFIG__", drain: { enabled: true, timeout_sec: 20 } },
      ...config,
    },
  });
  const path = join(fleet.dir, "kubeconfig");
  await writeFile(path, kubeconfig(fake.url, fake.token ?? ""), { mode: 0o600 });
  // The fleet wrote each config with the placeholder; point it at the file (same text otherwise).
  for (const n of fleet.nodes) await writeFile(n.configPath, (await Bun.file(n.configPath).text()).replace("__KUBECONFIG__", path));
  return { fleet, ns };
}

const slotKeys = async (ns: string) => (await etcdctl(fleets.cluster, ["get", `${ns}/slots/`, "--prefix", "--keys-only"])).split("\n").filter(Boolean);

describe("group_from_node_label", () => {
  test(
    "each node counts against its zone's limit: one at a time per zone, zones independent",
    async () => {
      for (const [n, z] of [["a1", "zone-a"], ["a2", "zone-a"], ["b1", "zone-b"], ["b2", "zone-b"]] as const) fake.addNode(n, { labels: { [ZONE]: z } });
      const { fleet: f, ns } = await zoneFleet(
        ["a1", "a2", "b1", "b2"].map((name) => ({ name, group: name.startsWith("a") ? "zone-a" : "zone-b" })),
        { group_limits: { "zone-a": 1, "zone-b": 1 }, max_concurrent_reboots: 3 },
        1_500, // down long enough that the first node of each zone is away at the same time
      );
      for (const n of f.nodes) n.requireReboot();
      f.startAll();
      for (const n of f.nodes) {
        const e = await n.waitForEvent("group_resolved");
        expect(e.fields).toMatchObject({ group: n.group, label: ZONE, kube_node: n.name });
      }
      // Every slot key taken so far is under the node's zone; none under "default".
      const seen = new Set<string>();
      await waitFor(
        async () => {
          for (const k of await slotKeys(ns)) seen.add(k);
          return f.releases().length >= 4;
        },
        { timeoutMs: 45_000, what: "all four nodes rebooted and released" },
      );
      for (const k of seen) expect(k).toMatch(new RegExp(`^${ns}/slots/(zone-a/a[12]|zone-b/b[12])$`));
      for (const [group, away] of f.maxAwayByGroup()) expect({ group, max: away.max }).toEqual({ group, max: 1 });
      // ...while the zones did not wait for each other: a zone-a and a zone-b node were down together.
      const releases = new Map<string, number[]>();
      for (const r of f.releases()) releases.set(r.node, [...(releases.get(r.node) ?? []), r.at]);
      expect(maxOverlap(awayWindows(f.ledger(), releases)).max).toBe(2);
      // The zone limit of 1 held although max_concurrent_reboots is 3: the per-zone limit is what the nodes published.
      const member = JSON.parse(await etcdctl(fleets.cluster, ["get", `${ns}/members/a1`, "--print-value-only"])) as { group: string; limit: number };
      expect(member).toMatchObject({ group: "zone-a", limit: 1 });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a missing label blocks with the reason (once: exit 4; status --json; the daemon waits) until the label appears",
    async () => {
      fake.addNode("c1"); // registered, but no zone label yet (the cloud controller has not run)
      const { fleet: f, ns } = await zoneFleet([{ name: "c1", group: "zone-c" }]);
      const c1 = f.node("c1");
      c1.requireReboot();

      const once = await c1.cli(["run", "--once"]);
      expect(once.exitCode).toBe(4);
      expect(once.stderr).toContain(`node c1 has no label ${ZONE}`);
      const status = await c1.cli(["status", "--json"]);
      expect(status.exitCode).toBe(4);
      expect(JSON.parse(status.stdout)).toMatchObject({ node: "c1", group: null, outcome: "group_unresolved" });

      c1.start();
      await c1.waitForEvent("group_unresolved", { match: (e) => e.fields["attempt"] === 2 });
      expect(c1.events("slot_acquired")).toEqual([]);
      expect(await slotKeys(ns)).toEqual([]);

      fake.setLabel("c1", ZONE, "zone-c");
      await c1.waitForEvent("group_resolved", { match: (e) => e.fields["group"] === "zone-c" });
      await f.waitForLedger((e) => e.kind === "reboot" && e.node === "c1", { what: "c1 to reboot once its label is there" });
      await waitFor(() => f.releases().some((r) => r.node === "c1"), { timeoutMs: 30_000, what: "c1's post-boot release" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "relabelled while down: after boot the node joins its new zone and still releases the old zone's slot",
    async () => {
      fake.addNode("e1", { labels: { [ZONE]: "zone-a" } });
      const { fleet: f, ns } = await zoneFleet([{ name: "e1", group: "zone-a" }]);
      const e1 = f.node("e1");
      e1.requireReboot();
      e1.setAutoBoot(false);
      e1.start();
      await f.waitForLedger((e) => e.kind === "reboot" && e.node === "e1", { what: "e1 to reboot" });
      await waitFor(() => e1.down, { timeoutMs: 15_000, what: "e1 down" });
      expect(await slotKeys(ns)).toEqual([`${ns}/slots/zone-a/e1`]);
      fake.setLabel("e1", ZONE, "zone-b");
      const since = e1.logs.length;
      e1.boot();
      await e1.waitForEvent("group_resolved", { since, match: (e) => e.fields["group"] === "zone-b" });
      await waitFor(() => f.releases().some((r) => r.node === "e1"), { timeoutMs: 30_000, what: "e1's post-boot release" });
      await waitFor(async () => (await slotKeys(ns)).length === 0, { timeoutMs: 10_000, what: "the zone-a slot gone" });
      const member = JSON.parse(await etcdctl(fleets.cluster, ["get", `${ns}/members/e1`, "--print-value-only"])) as { group: string };
      expect(member.group).toBe("zone-b");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "an API server that does not answer, or a value that is no group name, blocks too and says why",
    async () => {
      fake.addNode("d1", { labels: { [ZONE]: "" } });
      const { fleet: f } = await zoneFleet([{ name: "d1", group: "zone-d" }]);
      const d1 = f.node("d1");
      d1.requireReboot();
      const empty = await d1.cli(["run", "--timer", "--json"]);
      expect(empty.exitCode).toBe(4);
      expect(empty.stderr).toContain(`label ${ZONE} of node d1 is "", which is no group name`);
      expect(JSON.parse(empty.stdout)).toMatchObject({ outcome: "group_unresolved" });

      fake.setLabel("d1", ZONE, "zone-d");
      fake.fail({ method: "GET", path: /^\/api\/v1\/nodes\/d1$/, status: 503 });
      const down = await d1.cli(["run", "--once"]);
      expect(down.exitCode).toBe(4);
      expect(down.stderr).toContain("reading node d1: 503");
      // The API is back: the same command now gets as far as the slot (--once never reboots).
      const back = await d1.cli(["status", "--json"]);
      expect(back.exitCode).toBe(0);
      expect(JSON.parse(back.stdout)).toMatchObject({ node: "d1", group: "zone-d" });
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * The chaos checkers must see a real violation end to end, not only on hand-made input: two nodes
 * of one limit-1 group configured with different etcd namespaces (two coordinators that cannot see
 * each other's slots) reboot at the same time, and the ledger checker — which knows groups, not
 * namespaces — must report the overlap, while each namespace's etcd history alone looks fine.
 */
import { expect, test } from "bun:test";
import { auditHistory, readHistory } from "../../scripts/chaos/etcd-history.ts";
import { checkLedger } from "../../scripts/chaos/ledger-check.ts";
import { waitFor } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";

const fleets = useFleets();

test("two coordinators unaware of each other overlap in a limit-1 group, and the ledger checker says so", async () => {
  const cluster = await fleets.etcd();
  const fleet = await fleets.create({
    endpoints: cluster.endpoints,
    rebootDelayMs: 1500,
    nodes: [
      { name: "b1", group: "beta", config: { etcd_namespace: "/ns-one" } },
      { name: "b2", group: "beta", config: { etcd_namespace: "/ns-two" } },
    ],
    config: { max_concurrent_reboots: 1 },
  });
  for (const n of fleet.nodes) n.requireReboot();
  fleet.startAll();
  const f = fleet;
  await waitFor(() => f.releases().length >= 2, { timeoutMs: 40_000, what: "both nodes to reboot and release" });

  const verdict = checkLedger(f.ledger(), { groupOf: () => "beta", limitOf: () => 1, pauses: [], denies: new Map(), pauseSlackMs: 1000 });
  expect(verdict.peaks.get("beta")?.max).toBe(2);
  expect(verdict.violations.join("\n")).toMatch(/group beta: 2 nodes away at once \(limit 1\)/);
  for (const ns of ["/ns-one", "/ns-two"]) {
    const audit = auditHistory(await readHistory(cluster.endpoints, ns), ns, () => 1);
    expect(audit.violations).toEqual([]);
    expect(audit.fences).toBe(1);
  }
}, 60_000);

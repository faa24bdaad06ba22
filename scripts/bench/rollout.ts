/**
 * Rollout overhead: how much longer a rolling reboot of 20 nodes takes than the simulated work it
 * has to wait for — total time ÷ (Σ per node of machine-down time + post-boot health time) / limit.
 *
 *   ./node_modules/.bin/bun scripts/bench/rollout.ts [--nodes 20] [--down-ms 2000] [--health-ms 500]
 *
 * Real `clusterrebootd run` processes of the release binary (scripts/sim fleet, one group, no
 * cooldown), each machine down for --down-ms, and a post-boot health check that takes
 * --health-ms (the fleet's health script wrapped in a sleep for RC_PHASE=post-boot). Measured once
 * with limit 1 (serial) and once with limit 4. "Total" runs from the first reboot command to the
 * last post-boot release; the rest (per node) is hand-off, daemon start-up after boot and etcd.
 */
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEtcd } from "../../tests/support/etcd.ts";
import { createFleet, handoffs } from "../sim/fleet.ts";
import { buildBinaries } from "./_binaries.ts";
import { machineDescription, mean, numArg, pct, table } from "./_common.ts";

const NODES = numArg("nodes", 20);
const DOWN_MS = numArg("down-ms", 2000);
const HEALTH_MS = numArg("health-ms", 500);

async function rollout(endpoints: string[], binary: string, limit: number): Promise<(string | number)[]> {
  const dir = mkdtempSync(join(tmpdir(), "crd-bench-rollout-"));
  const nodes = Array.from({ length: NODES }, (_, i) => ({ name: `r${String(i + 1).padStart(2, "0")}`, group: "g" }));
  const fleet = await createFleet({
    endpoints,
    dir,
    nodes,
    binary,
    rebootDelayMs: DOWN_MS,
    config: { etcd_namespace: `/bench-rollout-${limit}`, max_concurrent_reboots: limit, min_reboot_interval_sec: 0 },
  });
  try {
    // The post-boot health check takes HEALTH_MS: wrap each node's health script.
    for (const n of fleet.nodes) {
      const script = join(n.dir, "health.sh");
      renameSync(script, join(n.dir, "health-inner.sh"));
      writeFileSync(script, `#!/bin/sh\n[ "$RC_PHASE" = post-boot ] && sleep ${HEALTH_MS / 1000}\nexec "$(dirname "$0")/health-inner.sh"\n`);
      chmodSync(script, 0o755);
      n.requireReboot();
    }
    const startedAt = Date.now();
    fleet.startAll();
    const deadline = startedAt + NODES * (DOWN_MS + HEALTH_MS + 10_000);
    while (fleet.releases().length < NODES) {
      if (Date.now() > deadline) throw new Error(`limit ${limit}: ${fleet.releases().length} of ${NODES} done before the deadline`);
      await Bun.sleep(100);
    }
    const ledger = fleet.ledger();
    const releases = fleet.releases();
    const firstReboot = Math.min(...ledger.filter((e) => e.kind === "reboot").map((e) => e.at));
    const lastRelease = Math.max(...releases.map((r) => r.at));
    const total = (lastRelease - firstReboot) / 1000;
    const ideal = (NODES * (DOWN_MS + HEALTH_MS)) / limit / 1000;
    const hand = handoffs(ledger, releases, () => "g").map((h) => h.ms);
    // Per node: boot (machine up) → slot released = daemon start + post-boot check + release.
    const bootToRelease = fleet.nodes.map((n) => {
      const boot = ledger.find((e) => e.node === n.name && e.kind === "boot")?.at ?? NaN;
      const rel = releases.find((r) => r.node === n.name)?.at ?? NaN;
      return rel - boot;
    });
    const rebootToDown = fleet.nodes.map((n) => {
      const r = ledger.find((e) => e.node === n.name && e.kind === "reboot")?.at ?? NaN;
      const d = ledger.find((e) => e.node === n.name && e.kind === "down")?.at ?? NaN;
      return d - r;
    });
    return [
      `limit ${limit}`,
      (lastRelease - startedAt) / 1000,
      total,
      ideal,
      total / ideal,
      pct(hand, 50),
      mean(rebootToDown),
      mean(bootToRelease) - HEALTH_MS,
    ];
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cluster = await startEtcd();
const bins = mkdtempSync(join(tmpdir(), "crd-bench-rollout-bin-"));
try {
  console.log(`rollout benchmark: ${NODES} nodes, machine down ${DOWN_MS} ms, post-boot health ${HEALTH_MS} ms, release binary`);
  for (const l of machineDescription()) console.log(`  ${l}`);
  const { product } = await buildBinaries(bins);
  const rows = [await rollout(cluster.endpoints, product, 1), await rollout(cluster.endpoints, product, 4)];
  console.log("\nseconds unless noted; ideal = N x (down + health) / limit; overhead = total / ideal");
  console.log(
    table(
      ["run", "from daemon start s", "total s", "ideal s", "overhead x", "hand-off p50 ms", "reboot cmd -> down ms", "boot -> released ms (minus health)"],
      rows,
    ),
  );
} finally {
  await cluster.stop();
  rmSync(bins, { recursive: true, force: true });
}

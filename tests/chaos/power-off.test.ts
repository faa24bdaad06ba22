/**
 * The power-off fault and the ledger's unplanned-down rule end to end (issue 22): in a limit-1
 * group, b2 loses power holding no slot (the sim's `powerOff`: SIGKILL, no graceful close) and
 * stays off past its session's expiry; b1 then needs a reboot. b1 must not reboot while b2 is off,
 * and the ledger checker — which sees only `b2 off` / `b2 boot` and b1's reboot lines — must agree.
 * A coordinator that counts slots only (the behaviour before issue 22) fails here with
 * "group beta: 2 nodes away at once (limit 1) … b1 took a slot while b2 (off since …) was down".
 */
import { expect, test } from "bun:test";
import { connectEtcd } from "../../src/etcd/index.ts";
import { countedPart, unplannedFromLedger, type UnplannedTiming } from "../../scripts/chaos/ledger-budget.ts";
import { checkLedger } from "../../scripts/chaos/ledger-check.ts";
import { waitFor } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";

const fleets = useFleets();
const NS = "/crd-power";
/** lock_ttl_sec 3 (FAST_CONFIG); margin: etcd's expiry lag and the post-lock check's lag. */
const TIMING: UnplannedTiming = { leaseTtlMs: 3_000, marginMs: 3_000, etcdDisruptions: [], wipes: [] };

test("a node powered off without a slot counts as down: the group's only other node waits for it", async () => {
  const cluster = await fleets.etcd();
  const fleet = await fleets.create({ endpoints: cluster.endpoints, nodes: [{ name: "b1", group: "beta" }, { name: "b2", group: "beta" }], config: { etcd_namespace: NS, min_reboot_interval_sec: 1 } });
  const [b1, b2] = [fleet.node("b1"), fleet.node("b2")];
  fleet.startAll();
  const gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 2_000 });
  try {
    await waitFor(async () => (await gw.get(`${NS}/health/b2`)) !== undefined, { timeoutMs: 20_000, what: "b2's health record" });
    expect(await b2.powerOff(async () => (await gw.get(`${NS}/slots/beta/b2`)) !== undefined)).toBe(true);
    // etcd knows: b2's session (lock_ttl_sec 3) is gone with its health record...
    await waitFor(async () => (await gw.get(`${NS}/health/b2`)) === undefined, { timeoutMs: 15_000, what: "b2's session to expire" });
    // ...and the checker counts b2 as down (TTL + margin after the cut), so a reboot of b1 now is judged.
    const off = unplannedFromLedger(fleet.ledger())[0]!;
    await waitFor(() => Date.now() >= countedPart(off, TIMING)!.start || undefined, { timeoutMs: 15_000, what: "the ledger to count b2 as down" });
    const since = b1.logs.length;
    b1.requireReboot();
    // b1 says it waits because b2 counts as down (or, with a coordinator that counts slots only,
    // reboots: then the checker below says what went wrong); then b2 comes back.
    const rebooted = () => fleet.ledger().some((e) => e.node === "b1" && e.kind === "reboot");
    const refusal = await waitFor(() => b1.events("run_outcome", since).find((e) => String(e.fields["message"]).includes("b2")) ?? (rebooted() ? "rebooted" : undefined), {
      timeoutMs: 30_000,
      what: "b1 to wait for b2 (or to reboot)",
    });
    b2.boot();
    const bootAt = Date.now();
    await waitFor(() => fleet.releases().some((r) => r.node === "b1" && r.rebooted) || undefined, { timeoutMs: 40_000, what: "b1 to reboot" });
    // The checker first (its message is the diagnosis), then the plain fact it judges.
    const verdict = checkLedger(fleet.ledger(), { groupOf: () => "beta", limitOf: () => 1, pauses: [], denies: new Map(), pauseSlackMs: 1000, unplanned: TIMING });
    expect(verdict.violations).toEqual([]);
    expect(fleet.ledger().find((e) => e.node === "b1" && e.kind === "reboot")!.at).toBeGreaterThanOrEqual(bootAt);
    expect(refusal === "rebooted" ? refusal : refusal.fields["message"]).toMatch(/down without a slot: b2|b2.*down/);
    expect(verdict.powerOffs).toBe(1);
    expect(verdict.downPeaks.get("beta")?.max).toBe(1);
  } finally {
    await gw.close().catch(() => {});
  }
}, 90_000);

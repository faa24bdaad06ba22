/**
 * Every down node counts (issue 22), with real daemons (`bun src/main.ts run`) on a real etcd: a
 * machine that lost power without a slot, or whose daemon was stopped, uses its group's budget
 * until it is back or forgotten; a disk clone (same machine id, other hardware) never takes or
 * frees the original's slot; a timer-mode node is not counted as down between its passes.
 */
import { expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fleet, SimNode } from "../../scripts/sim/fleet.ts";
import { etcdctl, waitFor } from "../support/etcd.ts";
import { useFleets } from "../support/fleets.ts";

const TEST_TIMEOUT_MS = 60_000;
const fleets = useFleets({ sharedEtcd: true });
let testNo = 0;

const get = async (key: string) => (await etcdctl(fleets.cluster, ["get", key, "--print-value-only"])).trim();
const reboots = (f: Fleet, node?: string) => f.ledger().filter((e) => e.kind === "reboot" && (node === undefined || e.node === node));
const refusedNaming = (down: string) => ({ match: (e: { fields: Record<string, unknown> }) => e.fields["status"] === "lock_unavailable" && String(e.fields["message"]).includes(`${down} is down`) });

/** A limit-1 group of three on its own namespace (members of other tests must not count here). */
async function fleet(extra: Record<string, unknown> = {}) {
  const ns = `/crd-down-${++testNo}`;
  const f = await fleets.create({ nodes: ["n1", "n2", "n3"].map((name) => ({ name, group: "g" })), config: { etcd_namespace: ns, ...extra } });
  return { f, ns, n: (name: string) => f.node(name) };
}

async function allUp(f: Fleet, ns: string, nodes: readonly SimNode[]) {
  for (const n of nodes) await waitFor(async () => (await get(`${ns}/health/${n.name}`)) !== "", { timeoutMs: 15_000, what: `${n.name}'s health record` });
  void f;
}

test(
  "a node that lost power without a slot counts as down: the next reboot waits until it is back",
  async () => {
    const { f, ns, n } = await fleet();
    f.startAll();
    await allUp(f, ns, f.nodes);
    // Power loss: no slot, no goodbye. Its session lease runs out after lock_ttl_sec.
    await n("n3").kill("SIGKILL");
    await waitFor(async () => (await get(`${ns}/health/n3`)) === "", { timeoutMs: 10_000, what: "n3's session to expire" });
    n("n1").requireReboot();
    const refused = await n("n1").waitForEvent("run_outcome", refusedNaming("n3"));
    expect(String(refused.fields["message"])).toContain("clusterrebootd forget n3");
    const st = await n("n1").cli(["status", "--json"]);
    expect(st.exitCode).toBe(4);
    expect(st.stdout).toContain("n3 is down");
    const cl = JSON.parse((await n("n2").cli(["cluster", "--json"])).stdout) as { members: { node: string; health: string }[] };
    expect(cl.members.find((m) => m.node === "n3")?.health).toBe("down (no live session)");
    expect(reboots(f)).toHaveLength(0);
    // Back: the count is freed by itself and n1 goes.
    n("n3").start();
    await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n1", { what: "n1's reboot once n3 is back" });
    expect(f.maxAwayByGroup().get("g")?.max).toBe(1);
  },
  TEST_TIMEOUT_MS,
);

test(
  "a daemon stopped on purpose counts as down too, until the node is forgotten",
  async () => {
    const { f, ns, n } = await fleet();
    f.startAll();
    await allUp(f, ns, f.nodes);
    // systemctl stop: SIGTERM, a graceful close (its health record goes at once).
    await n("n2").kill("SIGTERM");
    await waitFor(async () => (await get(`${ns}/health/n2`)) === "", { timeoutMs: 10_000, what: "n2's record to go" });
    n("n3").requireReboot();
    await n("n3").waitForEvent("run_outcome", refusedNaming("n2"));
    expect(reboots(f)).toHaveLength(0);
    const forgot = await n("n1").cli(["forget", "n2"]);
    expect(forgot.exitCode).toBe(0);
    await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n3", { what: "n3's reboot once n2 is forgotten" });
  },
  TEST_TIMEOUT_MS,
);

test(
  "count_down_nodes: false counts slots only (the Go behaviour): the next node goes while one is down",
  async () => {
    const { f, ns, n } = await fleet({ count_down_nodes: false });
    f.startAll();
    await allUp(f, ns, f.nodes);
    await n("n3").kill("SIGKILL");
    await waitFor(async () => (await get(`${ns}/health/n3`)) === "", { timeoutMs: 10_000, what: "n3's session to expire" });
    n("n1").requireReboot();
    await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n1", { what: "n1's reboot with n3 down" });
  },
  TEST_TIMEOUT_MS,
);

test(
  "a disk clone (same name and machine id, other hardware) exits 2 and never takes or frees the original's slot",
  async () => {
    const ns = `/crd-down-${++testNo}`;
    // Every machine of the fleet on one board id (their machine ids differ); the clone on another.
    const boards = await mkdtemp(join(tmpdir(), "crd-boards-"));
    const hw = join(boards, "hardware-original");
    await writeFile(hw, "board-original\n");
    const f = await fleets.create({ nodes: [{ name: "n1", group: "g" }, { name: "n2", group: "g" }], config: { etcd_namespace: ns }, env: { CLUSTERREBOOTD_HARDWARE_ID_FILE: hw } });
    const cloneHw = join(f.dir, "hardware-clone");
    const cloneBoot = join(f.dir, "boot-id-clone");
    await writeFile(cloneHw, "board-clone\n");
    await writeFile(cloneBoot, "c10e0000-0000-4000-8000-000000000001\n");
    const n1 = f.node("n1");
    n1.setAutoBoot(false);
    n1.requireReboot();
    f.startAll();
    await f.waitForLedger((e) => e.kind === "down" && e.node === "n1", { what: "n1 down under its slot" });
    const slotKey = `${ns}/slots/g/n1`;
    // The slot's key as etcd has it (value and mod revision): nothing may touch it.
    const kv = async () => ((JSON.parse(await etcdctl(fleets.cluster, ["get", slotKey, "-w", "json"])) as { kvs?: { mod_revision: number; value: string }[] }).kvs ?? [])[0];
    const before = await kv();
    expect(before).toBeDefined();
    const clone = { CLUSTERREBOOTD_HARDWARE_ID_FILE: cloneHw, CLUSTERREBOOTD_BOOT_ID_FILE: cloneBoot };
    // Same /etc/machine-id and state dir (the card was copied), another board, another boot.
    for (const args of [["run"], ["run", "--once"], ["run", "--timer"]]) {
      const r = await n1.cli(args, clone);
      expect({ args, code: r.exitCode }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain("disk clone");
    }
    expect(await kv()).toEqual(before);
    expect(reboots(f, "n2")).toHaveLength(0);
    // The original comes back and finishes its own slot as usual.
    n1.boot();
    await n1.waitForEvent("slot_released", { match: (e) => e.fields["reason"] === "post_boot_healthy" });
    expect(await get(slotKey)).toBe("");
    await rm(boards, { recursive: true, force: true });
  },
  TEST_TIMEOUT_MS,
);

test(
  "a timer-mode node leaves its health record between passes, so peers do not count it as down",
  async () => {
    const { f, ns, n } = await fleet();
    // n3 runs no daemon: one timer pass, then nothing (systemd would run the next in 5 minutes).
    const pass = await n("n3").cli(["run", "--timer"]);
    expect(pass.exitCode).toBe(0);
    const rec = JSON.parse(await get(`${ns}/health/n3`)) as { presence_until?: string };
    expect(Date.parse(rec.presence_until ?? "") - Date.now()).toBeGreaterThan(800_000);
    n("n1").start();
    n("n2").start();
    n("n1").requireReboot();
    await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n1", { what: "n1's reboot with the timer node up" });
  },
  TEST_TIMEOUT_MS,
);

test(
  "the first in line, refused for a node that is down, goes as soon as that node is back and healthy, not a check interval later",
  async () => {
    // n1 checks once a minute: only the health watch can make it go within the deadline below.
    const ns = `/crd-down-${++testNo}`;
    const f = await fleets.create({
      nodes: [{ name: "n1", group: "g", config: { check_interval_sec: 60 } }, { name: "n2", group: "g" }, { name: "n3", group: "g" }],
      config: { etcd_namespace: ns },
    });
    const n = (name: string) => f.node(name);
    f.startAll();
    await allUp(f, ns, f.nodes);
    // n3 loses power; n1 needs a reboot and (restarted) finds n3 down at its first pass.
    await n("n3").kill("SIGKILL");
    await waitFor(async () => (await get(`${ns}/health/n3`)) === "", { timeoutMs: 10_000, what: "n3's session to expire" });
    await n("n1").kill("SIGTERM");
    n("n1").requireReboot();
    n("n1").start();
    await n("n1").waitForEvent("run_outcome", refusedNaming("n3"));
    const healthyAt = Date.now();
    n("n3").start();
    const reboot = await f.waitForLedger((e) => e.kind === "reboot" && e.node === "n1", { timeoutMs: 20_000, what: "n1's reboot once n3 is healthy" });
    // n3 is up once its first check passed: n1 goes then, not at its next pass a minute later.
    expect(reboot.at - healthyAt).toBeLessThan(20_000);
    expect(f.maxAwayByGroup().get("g")?.max).toBe(1);
  },
  TEST_TIMEOUT_MS,
);

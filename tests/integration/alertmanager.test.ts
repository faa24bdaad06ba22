/**
 * Alertmanager silences during a reboot, end to end: real `clusterrebootd run` daemons from the
 * fleet simulator and a real Alertmanager (Debian's 0.25) on loopback. While the node is down its
 * silence exists with the configured matchers and ends at the slot's deadline; after the post-boot
 * release it is expired. An Alertmanager that refuses connections or never answers does not block
 * or delay the reboot: a warning and `silences_total{result="error"}`.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { makeKeys, parseRecord, SlotRecordSchema } from "../../src/slots/index.ts";
import { useFleets } from "../support/fleets.ts";
import { freePort } from "../support/ports.ts";
import { startAlertmanager, type Server } from "../support/prometheus.ts";
import { waitFor } from "../support/wait.ts";

const fleets = useFleets({ sharedEtcd: true });
let am: Server | undefined;
let gw: EtcdGateway | undefined;
let hanging: ReturnType<typeof Bun.serve> | undefined;
beforeAll(async () => {
  am = await startAlertmanager();
  gw = await connectEtcd({ endpoints: fleets.cluster.endpoints, requestTimeoutMs: 3000 });
});
afterAll(async () => {
  hanging?.stop(true);
  await gw?.close();
  await am?.stop();
});

interface ApiSilence {
  id: string;
  status: { state: string };
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}
const silences = async () => (await (await fetch(`${am!.url}/api/v2/silences`)).json()) as ApiSilence[];

let ns = 0;
const fleet = (node: string, alertmanager: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  fleets.create({ nodes: [{ name: node, group: "g" }], config: { etcd_namespace: `/am${ns++}`, reboot_slot_timeout_sec: 600, alertmanager, ...extra } });

test("the node's alerts are silenced while it is down, until the slot's deadline, and the silence is expired once it is back and healthy", async () => {
  const f = await fleet("a1", { url: am!.url, matchers: [{ name: "node", value: "${NODE_NAME}" }, { name: "severity", value: "info", is_equal: false }] });
  const n = f.node("a1");
  n.setAutoBoot(false);
  n.requireReboot();
  n.start();
  await f.waitForLedger((e) => e.node === "a1" && e.kind === "down", { what: "a1 to go down", timeoutMs: 30_000 });
  const slots = await gw!.getPrefix(`${makeKeys(`/am${ns - 1}`).slotsPrefix}`);
  const deadline = parseRecord(SlotRecordSchema, slots[0]?.value)?.deadline;
  expect(deadline).toBeDefined();
  const active = (await silences()).filter((s) => s.status.state === "active");
  expect(active).toHaveLength(1);
  const s = active[0]!;
  expect(s.matchers).toEqual([
    { name: "node", value: "a1", isRegex: false, isEqual: true },
    { name: "severity", value: "info", isRegex: false, isEqual: false },
  ]);
  expect(s.createdBy).toBe("clusterrebootd");
  expect(s.comment).toContain("reboot of a1");
  expect(Math.abs(Date.parse(s.endsAt) - Date.parse(deadline!))).toBeLessThan(1_000);

  n.boot();
  await n.waitForEvent("slot_released", { timeoutMs: 30_000 });
  await waitFor(async () => (await silences()).find((x) => x.id === s.id)?.status.state === "expired", { timeoutMs: 10_000, what: "the silence to be expired after the release" });
  // The daemon logs silence_expired once Alertmanager has answered, which can be just after we saw it.
  await n.waitForEvent("silence_expired", { timeoutMs: 10_000 });
  expect(n.events("silence_expired").length).toBe(1);
}, 60_000);

test("an Alertmanager that refuses connections, or never answers, neither blocks nor delays the reboot", async () => {
  // Refused: nothing listens on the port.
  const refused = `http://127.0.0.1:${await freePort()}`;
  // Hanging: accepts the request and never answers.
  hanging = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
  for (const [node, url, boundMs] of [["r1", refused, 2_000], ["h1", `http://127.0.0.1:${hanging.port}`, 4_000]] as const) {
    const port = await freePort();
    const f = await fleet(node, { url, timeout_sec: 1 }, { metrics: { enabled: true, listen: `127.0.0.1:${port}` } });
    const n = f.node(node);
    n.requireReboot();
    n.start();
    const started = await n.waitForEvent("reboot_started", { timeoutMs: 30_000 });
    const down = await f.waitForLedger((e) => e.node === node && e.kind === "reboot", { what: `${node}'s reboot command`, timeoutMs: 30_000 });
    // Between the decision and the command: no more than the request's own timeout.
    expect({ node, delayed: down.at - started.at < boundMs }).toEqual({ node, delayed: true });
    const failed = await n.waitForEvent("silence_failed", { timeoutMs: 10_000 });
    expect(failed.level).toBe("warn");
    expect(failed.fields["action"]).toBe("create");
    // Back up: released on time, the expiry fails the same way, and the metric says so.
    await n.waitForEvent("slot_released", { timeoutMs: 30_000 });
    const expire = await n.waitForEvent("silence_failed", { match: (e) => e.fields["action"] === "expire", timeoutMs: 10_000 });
    expect(expire.level).toBe("warn");
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('clusterrebootd_silences_total{action="expire",result="error"} 1');
  }
}, 90_000);

/**
 * The webhook events an operator acts on, from real daemons (fleet simulator) to a loopback
 * receiver: a reboot that did not happen, a node back from its reboot whose post-boot checks keep
 * failing (after notifications.unhealthy_after_boot_sec), then back and healthy; blocked longer
 * than blocked_threshold_sec with the reason. Each `reboot_failed` names its `cause`.
 */
import { afterEach, expect, test } from "bun:test";
import { useFleets } from "../support/fleets.ts";
import { waitFor } from "../support/wait.ts";

const fleets = useFleets({ sharedEtcd: true });
type Got = { event: string; node: string; cause?: string; reason?: string; message?: string; at: string } & Record<string, unknown>;
let receiver: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => {
  receiver?.stop(true);
  receiver = undefined;
});

function listen(): { got: Got[]; url: string } {
  const got: Got[] = [];
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push((await req.json()) as Got);
      return new Response("ok");
    },
  });
  return { got, url: `http://127.0.0.1:${receiver.port}/hook` };
}

let ns = 0;
const fleet = (names: string[], url: string, extra: Record<string, unknown> = {}) =>
  fleets.create({
    nodes: names.map((name) => ({ name, group: "g" })),
    config: { etcd_namespace: `/notify${ns++}`, notifications: { webhooks: [{ url, timeout_sec: 2, retries: 1 }], blocked_threshold_sec: 1, unhealthy_after_boot_sec: 2 }, ...extra },
  });

test("a reboot that did not happen is reboot_failed with cause reboot_not_happened", async () => {
  const r = listen();
  const f = await fleet(["x1"], r.url);
  const n = f.node("x1");
  n.setRebootEffective(false);
  n.requireReboot();
  n.start();
  const failed = await waitFor(() => r.got.find((g) => g.event === "reboot_failed"), { timeoutMs: 30_000, what: "reboot_failed" });
  expect(failed).toMatchObject({ node: "x1", cause: "reboot_not_happened", group: "g" });
  expect(failed.slot).toContain("/slots/g/x1");
}, 45_000);

test("back from the reboot but unhealthy: reboot_failed (unhealthy_after_boot) after the bound, once; then node_healthy", async () => {
  const r = listen();
  const f = await fleet(["u1"], r.url);
  const n = f.node("u1");
  n.setHealthy(false, ["post-boot"]);
  n.requireReboot();
  n.start();
  const failed = await waitFor(() => r.got.find((g) => g.event === "reboot_failed"), { timeoutMs: 30_000, what: "reboot_failed after boot" });
  expect(failed).toMatchObject({ node: "u1", cause: "unhealthy_after_boot" });
  expect(failed.message).toContain("post-boot health check failing");
  // Not before the bound: the post-boot checks had been failing for at least 2 s.
  expect(Date.parse(failed.at) - Date.parse(failed["unhealthy_since"] as string)).toBeGreaterThanOrEqual(2_000);
  n.setHealthy(true);
  await waitFor(() => r.got.some((g) => g.event === "node_healthy"), { timeoutMs: 30_000, what: "node_healthy" });
  expect(r.got.filter((g) => g.event === "reboot_failed")).toHaveLength(1);
}, 60_000);

test("blocked longer than the bound: `blocked` with the reason", async () => {
  const r = listen();
  // b1 holds the only slot (its post-boot checks fail), b2 needs a reboot and waits behind it.
  const f = await fleet(["b1", "b2"], r.url);
  const [b1, b2] = [f.node("b1"), f.node("b2")];
  b1.setHealthy(false, ["post-boot"]);
  b1.requireReboot();
  b1.start();
  await b1.waitForEvent("reboot_started", { timeoutMs: 30_000 });
  b2.requireReboot();
  b2.start();
  const blocked = await waitFor(() => r.got.find((g) => g.event === "blocked" && g.node === "b2"), { timeoutMs: 30_000, what: "b2's blocked notification" });
  expect(blocked.reason).toBe("lock_unavailable");
  expect(blocked.message).toContain("in line for group g");
  expect(typeof blocked["blocked_since"]).toBe("string");
}, 60_000);

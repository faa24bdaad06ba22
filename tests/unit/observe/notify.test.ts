import { afterEach, describe, expect, test } from "bun:test";
import { createNotifier, memoryLogger } from "../../../src/observe/index.ts";

type Got = { path: string; body: Record<string, unknown>; auth: string | null };
let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

/** A local webhook receiver; `statuses` are answered in order, the last one repeating. */
function receiver(statuses: number[]) {
  const got: Got[] = [];
  let i = 0;
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push({ path: new URL(req.url).pathname, body: (await req.json()) as Record<string, unknown>, auth: req.headers.get("authorization") });
      return new Response("", { status: statuses[Math.min(i++, statuses.length - 1)] });
    },
  });
  return { got, url: `http://127.0.0.1:${server.port}/hook` };
}

const hook = (url: string, extra = {}) => ({ url, events: ["reboot_started", "node_healthy"], timeout_sec: 2, retries: 2, headers: { authorization: "Bearer t" }, ...extra });

describe("webhook notifications", () => {
  test("posts JSON with event, node and fields, with configured headers", async () => {
    const r = receiver([200]);
    const n = createNotifier([hook(r.url)], { node: "n1", log: memoryLogger(), sleep: async () => {} });
    n.notify("reboot_started", { slot: "/p/slots/g/n1" });
    await n.idle();
    expect(r.got).toHaveLength(1);
    expect(r.got[0]).toMatchObject({ path: "/hook", auth: "Bearer t", body: { event: "reboot_started", node: "n1", slot: "/p/slots/g/n1" } });
  });

  test("only subscribed events are sent", async () => {
    const r = receiver([200]);
    const n = createNotifier([hook(r.url)], { node: "n1", log: memoryLogger(), sleep: async () => {} });
    n.notify("stale_slot_freed", {});
    await n.idle();
    expect(r.got).toHaveLength(0);
  });

  test.each([
    [[503, 503, 200], 3, false],
    [[500], 3, true], // 1 + 2 retries, then logged
    [[404], 1, true], // a client error is not retried
  ])("statuses %j: %i attempts, failure logged: %p", async (statuses, attempts, logged) => {
    const r = receiver(statuses);
    const log = memoryLogger();
    const n = createNotifier([hook(r.url)], { node: "n1", log, sleep: async () => {} });
    n.notify("node_healthy", {});
    await n.idle();
    expect(r.got).toHaveLength(attempts);
    expect(log.records.some((x) => x.event === "notification_failed")).toBe(logged);
  });

  test("an unreachable receiver times out and is logged without credentials", async () => {
    const log = memoryLogger();
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    const n = createNotifier([hook("http://user:secret@127.0.0.1:9/x?token=abc", { retries: 0 })], { node: "n1", log, sleep: async () => {} });
    n.notify("reboot_started", {});
    await n.idle();
    const rec = log.records.find((x) => x.event === "notification_failed");
    expect(rec?.fields["url"]).toBe("http://127.0.0.1:9");
  });

  test("a Slack/Discord-style URL keeps its secret out of the log: scheme and host only", async () => {
    const log = memoryLogger();
    const n = createNotifier([hook("http://127.0.0.1:9/services/T000/B000/XXXXsecretXXXX", { retries: 0 })], { node: "n1", log, sleep: async () => {} });
    n.notify("reboot_started", {});
    await n.idle();
    const rec = log.records.find((x) => x.event === "notification_failed");
    expect(rec?.fields["url"]).toBe("http://127.0.0.1:9");
    expect(JSON.stringify(log.records)).not.toContain("secret");
  });
});

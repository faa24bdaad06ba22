/**
 * A live-stream client that does not read must not grow the dashboard's memory: its queue is
 * bounded and the stream cut (the browser reconnects and gets the whole state), while a client
 * that reads keeps every event. Real Bun.serve on loopback; the stalled client is a raw TCP socket
 * that sends its request and never reads.
 */
import { afterEach, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { createDashboardMetrics, renderDashboardMetrics } from "../../../src/dashboard/_metrics.ts";
import { createHub, type Hub } from "../../../src/dashboard/_sse.ts";
import { waitFor } from "../../support/wait.ts";

let server: ReturnType<typeof Bun.serve> | undefined;
let hub: Hub | undefined;
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets) s.destroy();
  hub?.close();
  server?.stop(true);
});

test("a stalled client is cut once its queue passes the bound; a reading client gets every event", async () => {
  const metrics = createDashboardMetrics();
  hub = createHub({ maxClients: 8, heartbeatMs: 60_000, metrics, maxQueuedBytes: 256 * 1024 });
  const h = hub;
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => h.connect(req, undefined) });
  const port = server.port ?? 0;

  // The stalled one: asks for the stream, then never reads a byte.
  const stalled = connect(port, "127.0.0.1");
  sockets.push(stalled);
  stalled.on("connect", () => {
    stalled.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stalled.pause();
  });
  stalled.on("error", () => {});
  // The reader: counts the state events it receives.
  const res = await fetch(`http://127.0.0.1:${port}/events`);
  let seen = 0;
  void (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body!) {
      buf += dec.decode(chunk);
      const parts = buf.split("event: state\n");
      seen += parts.length - 1;
      buf = parts.at(-1)!;
    }
  })().catch(() => {});
  await waitFor(() => h.size() === 2, { timeoutMs: 5_000, what: "both clients connected" });

  // 200 events of 100 KB: 20 MB for a client that never reads, if nothing bounded it.
  const state = JSON.stringify({ nodes: "x".repeat(100_000) });
  let cutAt = -1;
  for (let i = 0; i < 200; i++) {
    h.broadcast(state);
    if (cutAt < 0 && h.size() === 1) cutAt = i;
    // A reader keeps up (it is in this process, so give it the turn); the stalled one never does.
    await waitFor(() => seen >= i, { timeoutMs: 5_000, intervalMs: 1, what: `the reader to keep up (event ${i}, has ${seen})` });
  }
  await waitFor(() => h.size() === 1, { timeoutMs: 10_000, what: "the stalled client to be cut" });
  expect(metrics.dropped).toBe(1);
  expect(renderDashboardMetrics(metrics)).toContain("clusterrebootd_dashboard_slow_clients_dropped_total 1");
  await waitFor(() => seen === 200, { timeoutMs: 10_000, what: `the reader to get all 200 events (has ${seen})` });
  // Cut once the socket buffers (a few MB on loopback) and the bound were full, not after 20 MB.
  expect(cutAt).toBeGreaterThan(0);
  expect(cutAt).toBeLessThan(100);
});

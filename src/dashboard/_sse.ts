/**
 * The live stream: server-sent events to every open page. Each client gets the current state at
 * once, then one `state` event per change. Bounded: at most `maxClients` streams (more get 503),
 * and a heartbeat comment every `heartbeatMs` keeps proxies from closing an idle stream — the
 * heartbeat timer runs only while a client is connected.
 *
 * A client that does not read (a stalled tab, a dead phone link the kernel has not noticed) would
 * otherwise keep every event queued in memory: 50 of them on a 400-node fleet took the process
 * from 86 to 277 MB in 25 s. Each stream counts its queued bytes, and one that holds more than
 * `maxQueuedBytes` (at least a few whole events) is cut, its queue dropped at once. Losing nothing:
 * the browser's EventSource reconnects and gets the whole current state first.
 */
import type { DashboardMetrics } from "./_metrics.ts";

export interface Hub {
  /** A new stream for `req`, or a 503 when full. `initial` is the state event to start with. */
  connect(req: Request, initial: string | undefined): Response;
  /** Sends one state event (JSON text) to every client. */
  broadcast(json: string): void;
  size(): number;
  /** Ends every stream (shutdown). */
  close(): void;
}

interface Client {
  send(chunk: string): void;
  end(): void;
  /** Bytes enqueued and not yet taken by the connection. */
  queued(): number;
  /** Ends the stream now, dropping what is queued (close() would wait for the reader). */
  cut(): void;
}

/** Default bound of one client's queue; raised to a few events when one state is larger. */
export const MAX_QUEUED_BYTES = 1 << 20;
const EVENTS_KEPT = 3;

const encoder = new TextEncoder();
/** The stream's own buffer: one byte, so everything beyond what the connection took counts as queued. */
const HIGH_WATER = 1;

/** One SSE `state` event; JSON has no raw newlines, so one `data:` line suffices. */
export const stateEvent = (json: string) => `event: state\ndata: ${json}\n\n`;

export function createHub(o: { maxClients: number; heartbeatMs: number; metrics: DashboardMetrics; onHeartbeat?: () => void; maxQueuedBytes?: number }): Hub {
  const clients = new Set<Client>();
  let bound = o.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const sync = () => {
    o.metrics.clients = clients.size;
    if (clients.size > 0 && !heartbeat) heartbeat = setInterval(() => {
        each(": heartbeat\n\n");
        o.onHeartbeat?.();
      }, o.heartbeatMs);
    if (clients.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  };
  const each = (chunk: string) => {
    for (const c of clients) {
      c.send(chunk);
      if (c.queued() > bound) {
        o.metrics.dropped++;
        c.cut();
      }
    }
  };
  return {
    connect(req, initial) {
      if (clients.size >= o.maxClients)
        return new Response(`too many live clients (limit ${o.maxClients}); retry later\n`, {
          status: 503,
          headers: { "retry-after": "10", "content-type": "text/plain; charset=utf-8" },
        });
      let client: Client | undefined;
      const drop = () => {
        if (client && clients.delete(client)) sync();
      };
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            client = {
              queued: () => HIGH_WATER - (controller.desiredSize ?? HIGH_WATER),
              cut() {
                try {
                  controller.error(new Error("client too slow: its queue exceeded the bound"));
                } catch {
                  /* already closed */
                }
                drop();
              },
              send(chunk) {
                try {
                  controller.enqueue(encoder.encode(chunk));
                } catch {
                  drop(); // the stream is already closed
                }
              },
              end() {
                try {
                  controller.close();
                } catch {
                  /* already closed */
                }
                drop();
              },
            };
            clients.add(client);
            sync();
            // retry: the browser's EventSource reconnects after 2 s when the stream breaks.
            client.send(`retry: 2000\n\n${initial ? stateEvent(initial) : ""}`);
          },
          cancel: drop,
        },
        // Counts bytes, so desiredSize says how much the connection has not taken yet.
        new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER }),
      );
      req.signal.addEventListener("abort", drop, { once: true });
      return new Response(body, {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          // nginx buffers responses by default; an event stream must pass through at once.
          "x-accel-buffering": "no",
        },
      });
    },
    broadcast(json) {
      const event = stateEvent(json);
      bound = Math.max(o.maxQueuedBytes ?? MAX_QUEUED_BYTES, EVENTS_KEPT * event.length);
      each(event);
    },
    size: () => clients.size,
    close() {
      for (const c of [...clients]) c.end();
      clients.clear();
      sync();
    },
  };
}

/**
 * The live stream: server-sent events to every open page. Each client gets the current state at
 * once, then one `state` event per change. Bounded: at most `maxClients` streams (more get 503),
 * and a heartbeat comment every `heartbeatMs` keeps proxies from closing an idle stream — the
 * heartbeat timer runs only while a client is connected.
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
}

const encoder = new TextEncoder();

/** One SSE `state` event; JSON has no raw newlines, so one `data:` line suffices. */
export const stateEvent = (json: string) => `event: state\ndata: ${json}\n\n`;

export function createHub(o: { maxClients: number; heartbeatMs: number; metrics: DashboardMetrics; onHeartbeat?: () => void }): Hub {
  const clients = new Set<Client>();
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
    for (const c of clients) c.send(chunk);
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
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          client = {
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
      });
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
      each(stateEvent(json));
    },
    size: () => clients.size,
    close() {
      for (const c of [...clients]) c.end();
      clients.clear();
      sync();
    },
  };
}

/**
 * A loopback TCP proxy in front of one etcd member, for partitions (etcd's own functional tests
 * put such a proxy between clients and members). Daemons that are given the proxy's URL instead
 * of the member's talk through it; `partition(mode)` cuts them off until `heal()`:
 *   - "drop": every connection is reset and new ones are closed at once (a firewall REJECT);
 *   - "blackhole": connections stay open but no byte gets through either way (a DROP rule, a
 *     dead switch) — clients only notice through their own timeouts.
 * On heal, blackholed connections are closed too (bytes were lost mid-stream, a gRPC stream
 * cannot resume from that), and new connections are forwarded again.
 */
import type { Socket, TCPSocketListener } from "bun";

export type PartitionMode = "drop" | "blackhole";

interface Pipe {
  client: Socket<Pipe>;
  upstream?: Socket<Pipe>;
  /** Bytes waiting for `upstream` to connect or to drain, and for `client` to drain. */
  toUpstream: Uint8Array[];
  toClient: Uint8Array[];
  closed: boolean;
}

export class TcpProxy {
  private mode: PartitionMode | null = null;
  private readonly pipes = new Set<Pipe>();
  private listener: TCPSocketListener<Pipe> | undefined;

  constructor(private readonly targetPort: number) {}

  get port(): number {
    if (!this.listener) throw new Error("proxy not started");
    return this.listener.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get partitioned(): PartitionMode | null {
    return this.mode;
  }

  start(): void {
    const self = this;
    this.listener = Bun.listen<Pipe>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          const pipe: Pipe = { client, toUpstream: [], toClient: [], closed: false };
          client.data = pipe;
          if (self.mode === "drop") return void client.end();
          self.pipes.add(pipe);
          if (self.mode === "blackhole") return; // accepted, never connected upstream
          self.connectUpstream(pipe);
        },
        data(client, buf) {
          const pipe = client.data;
          if (self.mode !== null || pipe.closed) return; // partitioned: the bytes are lost
          pipe.toUpstream.push(new Uint8Array(buf));
          if (pipe.upstream) flush(pipe.upstream, pipe.toUpstream);
        },
        drain(client) {
          flush(client, client.data.toClient);
        },
        close(client) {
          self.closePipe(client.data);
        },
        error(client) {
          self.closePipe(client.data);
        },
      },
    });
  }

  partition(mode: PartitionMode): void {
    this.mode = mode;
    if (mode === "drop") for (const p of [...this.pipes]) this.closePipe(p);
  }

  heal(): void {
    this.mode = null;
    for (const p of [...this.pipes]) this.closePipe(p);
  }

  stop(): void {
    this.heal();
    this.listener?.stop(true);
    this.listener = undefined;
  }

  private connectUpstream(pipe: Pipe): void {
    const self = this;
    void Bun.connect<Pipe>({
      hostname: "127.0.0.1",
      port: this.targetPort,
      data: pipe,
      socket: {
        open(up) {
          if (pipe.closed) return void up.end();
          pipe.upstream = up;
          flush(up, pipe.toUpstream);
        },
        data(_up, buf) {
          if (self.mode !== null || pipe.closed) return;
          pipe.toClient.push(new Uint8Array(buf));
          flush(pipe.client, pipe.toClient);
        },
        drain(up) {
          flush(up, pipe.toUpstream);
        },
        close() {
          self.closePipe(pipe);
        },
        error() {
          self.closePipe(pipe);
        },
        connectError() {
          self.closePipe(pipe);
        },
      },
    }).catch(() => self.closePipe(pipe));
  }

  private closePipe(pipe: Pipe): void {
    if (pipe.closed) return;
    pipe.closed = true;
    this.pipes.delete(pipe);
    pipe.toUpstream.length = 0;
    pipe.toClient.length = 0;
    pipe.client.end();
    pipe.upstream?.end();
  }
}

/** Writes queued chunks in order until the socket stops taking bytes (the rest waits for drain). */
function flush(sock: Socket<Pipe>, queue: Uint8Array[]): void {
  while (queue.length > 0) {
    const chunk = queue[0]!;
    const n = sock.write(chunk);
    if (n < chunk.length) {
      queue[0] = chunk.subarray(Math.max(n, 0));
      return;
    }
    queue.shift();
  }
}

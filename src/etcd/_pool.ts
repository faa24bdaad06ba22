/**
 * Two repairs to etcd3 1.1.2's connection pool, applied to one client right after it is built
 * (before any call), through the pool's internals; both throw (a bug/environment failure) if
 * etcd3's shape changed, and integration tests exercise both.
 *
 * 1. Login (etcd_auth). etcd3 logs in through a gRPC Auth client it builds itself, per attempt,
 *    with the TLS credentials but *without* the channel options: with an IP endpoint and
 *    etcd_tls.server_name, grpc.ssl_target_name_override never reaches that handshake, so login
 *    always failed ("14 UNAVAILABLE … Last error: null": a fresh channel per attempt never records
 *    the TLS error), and every attempt left a channel open. We log in through the pool's own
 *    per-host Auth client: same options as every other call, closed with the client.
 *
 * 2. TLS handshakes. grpc-js puts no deadline on a TLS handshake and does not end one that is in
 *    flight when the channel closes. A member that accepts TCP but never answers TLS (stopped with
 *    SIGSTOP, or up but not finishing TLS before it rejoins, as k3s's etcd does) kept that socket
 *    open forever: one-shot commands never exited, the daemon gained a socket per pass. Every
 *    handshake now has a deadline, and close() destroys the ones still in flight.
 */
import { castGrpcError, Etcd3, type IOptions } from "etcd3";
import { ChannelCredentials, Metadata, type CallCredentials } from "@grpc/grpc-js";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";

type Callback = (err: Error | null, res?: { token: string }) => void;
interface AuthService {
  authenticate(req: { name: string; password: string }, meta: Metadata, opts: object, cb: Callback): void;
}
interface PoolHost {
  host: string;
  channelCredentials: ChannelCredentials;
  getServiceClient(name: "Auth"): AuthService;
}
interface PoolShape {
  hosts: PoolHost[];
  authenticator: {
    getCredentialsFromHost(address: string, name: string, password: string, callOptions: object | undefined): Promise<string>;
  };
}

/** A raw etcd3 client with both repairs; close() also ends TLS handshakes still in flight. */
export interface RepairedClient {
  client: Etcd3;
  close(): void;
}

/** Builds an etcd3 client with both repairs (login only matters when `options.auth` is set). */
export function repairedClient(options: IOptions, handshakeTimeoutMs: number): RepairedClient {
  const client = new Etcd3(options);
  if (options.auth) loginThroughPool(client);
  const endHandshakes = boundHandshakes(client, handshakeTimeoutMs);
  return {
    client,
    close() {
      client.close();
      endHandshakes();
    },
  };
}

function poolOf(client: Etcd3): PoolShape {
  const pool = (client as unknown as { pool?: Partial<PoolShape> }).pool;
  if (
    !pool || !Array.isArray(pool.hosts) || typeof pool.authenticator?.getCredentialsFromHost !== "function" ||
    !pool.hosts.every((h) => h.channelCredentials instanceof ChannelCredentials && typeof h.getServiceClient === "function")
  )
    throw new Error("etcd3's connection pool is not shaped as expected (etcd3 or @grpc/grpc-js upgraded?): cannot apply the login and TLS-handshake repairs");
  return pool as PoolShape;
}

/** Repair 1: log in through the pool's per-host Auth clients. */
export function loginThroughPool(client: Etcd3): void {
  const pool = poolOf(client);
  pool.authenticator.getCredentialsFromHost = (address, name, password, callOptions) => {
    const host = pool.hosts.find((h) => h.host === address);
    if (host === undefined) return Promise.reject(new Error(`etcd3 asked to log in at ${address}, which is not one of its hosts`));
    return new Promise<string>((resolve, reject) => {
      host.getServiceClient("Auth").authenticate({ name, password }, new Metadata(), callOptions ?? {}, (err, res) => {
        if (err) reject(castGrpcError(err));
        else resolve(res!.token);
      });
    });
  };
}

/** Repair 2: a deadline on every TLS handshake of `client`'s channels. Call the result to end the ones in flight. */
export function boundHandshakes(client: Etcd3, timeoutMs: number): () => void {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`handshake timeout must be > 0 ms, got ${timeoutMs}`);
  const inFlight: InFlight = { sockets: new Set(), closed: false };
  for (const host of poolOf(client).hosts) {
    // A readonly field in etcd3's typings; replaced before any service client exists.
    (host as { channelCredentials: ChannelCredentials }).channelCredentials = new HandshakeDeadline(host.channelCredentials, timeoutMs, inFlight);
  }
  return () => {
    // grpc-js reconnects a subchannel whose handshake failed before it notices the channel is
    // closed: after close, no new handshake starts at all.
    inFlight.closed = true;
    for (const s of inFlight.sockets) s.destroy(new Error("etcd client closed during the TLS handshake"));
    inFlight.sockets.clear();
  };
}

interface InFlight {
  sockets: Set<TLSSocket>;
  closed: boolean;
}

type SecureConnector = ReturnType<ChannelCredentials["_createSecureConnector"]>;
type SecureConnectResult = Awaited<ReturnType<SecureConnector["connect"]>>;

class HandshakeDeadline extends ChannelCredentials {
  constructor(
    private readonly inner: ChannelCredentials,
    private readonly timeoutMs: number,
    private readonly inFlight: InFlight,
  ) {
    super();
  }
  _isSecure(): boolean {
    return this.inner._isSecure();
  }
  _equals(other: ChannelCredentials): boolean {
    return other === this;
  }
  _createSecureConnector(...args: Parameters<ChannelCredentials["_createSecureConnector"]>): ReturnType<ChannelCredentials["_createSecureConnector"]> {
    const inner = this.inner._createSecureConnector(...args);
    const target = args[0].path;
    // grpc-js's TLS connector keeps its tls.connect options in `connectionOptions`; we run that
    // tls.connect ourselves so we hold the TLS socket: under Bun, destroying only the raw TCP
    // socket underneath does not close the connection. Without those options (insecure
    // channels: nothing to shake hands) we delegate.
    const tlsOptions = (inner as { connectionOptions?: ConnectionOptions }).connectionOptions;
    return {
      connect: (socket) => {
        if (this.inFlight.closed) {
          socket.destroy();
          return Promise.reject(new Error("etcd client closed"));
        }
        if (tlsOptions === undefined) return inner.connect(socket);
        return new Promise<SecureConnectResult>((resolve, reject) => {
          const tlsSocket = tlsConnect({ ...tlsOptions, socket }, () => {
            settle();
            if ((tlsOptions.rejectUnauthorized ?? true) && !tlsSocket.authorized) reject(tlsSocket.authorizationError);
            else resolve({ socket: tlsSocket, secure: true });
          });
          const settle = () => {
            clearTimeout(timer);
            this.inFlight.sockets.delete(tlsSocket);
          };
          const timer = setTimeout(() => {
            const err = new Error(`TLS handshake with ${target} did not finish within ${this.timeoutMs} ms (member stopped, overloaded or not serving TLS yet)`);
            tlsSocket.destroy(err);
            socket.destroy();
            reject(err);
          }, this.timeoutMs);
          this.inFlight.sockets.add(tlsSocket);
          tlsSocket.on("error", (err: Error) => {
            settle();
            reject(err);
          });
          tlsSocket.once("close", settle);
        });
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: (): CallCredentials => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }
}

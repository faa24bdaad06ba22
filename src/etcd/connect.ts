/**
 * Building an etcd client from our options. etcd3 (and with it @grpc/grpc-js) is imported lazily so
 * that `--help`, `version`, `validate-config` and `simulate` never load the gRPC stack.
 */
import type { IOptions } from "etcd3";
import type { EtcdGateway } from "./gateway.ts";
import type { RepairedClient } from "./_pool.ts";

export type { RepairedClient } from "./_pool.ts";

/**
 * A raw etcd3 client for callers that need etcd3's Maintenance/Cluster APIs (the etcd_quorum
 * probe), with the same repairs as ours: login through the channel options, and a deadline on
 * every TLS handshake (`close()` ends those still in flight, so nothing keeps the process alive).
 */
export async function openEtcd3(options: IOptions, handshakeTimeoutMs: number): Promise<RepairedClient> {
  const { repairedClient } = await import("./_pool.ts");
  return repairedClient(options, handshakeTimeoutMs);
}

export interface EtcdConnectOptions {
  /** Full URLs (http:// or https://); etcd3 needs an array (a joined string hangs). */
  endpoints: readonly string[];
  tls?: {
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    /** TLS name to verify when endpoints are IP addresses (Bun refuses IPs as TLS server names). */
    serverName?: string;
  };
  auth?: { username: string; password: string };
  /** Deadline of every unary call (W9): an outage fails a call instead of hanging the pass. */
  requestTimeoutMs: number;
}

/**
 * Connects lazily: nothing is contacted here, so a member that is down (or an etcd that is not up
 * yet) does not fail start-up (W10). The first call reports unavailability as a transient error.
 */
export async function connectEtcd(opts: EtcdConnectOptions): Promise<EtcdGateway> {
  const [{ isRecoverableError }, cockatiel, { gatewayFromClient }, { repairedClient }, { isReceiveLimitError }, { withTlsHint }] = await Promise.all([
    import("etcd3"),
    import("cockatiel"),
    import("./_etcd3.ts"),
    import("./_pool.ts"),
    import("./_pages.ts"),
    import("./_tls-hint.ts"),
  ]);
  const memberFault = (e: Error) => isRecoverableError(e) && !isReceiveLimitError(e);
  const { handleWhen, retry, circuitBreaker, ConsecutiveBreaker, ExponentialBackoff } = cockatiel;
  const grpcOptions: Record<string, string | number> = {
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
  };
  if (opts.tls?.serverName) {
    grpcOptions["grpc.ssl_target_name_override"] = opts.tls.serverName;
    grpcOptions["grpc.default_authority"] = opts.tls.serverName;
  }
  const { client, close } = repairedClient({
    hosts: [...opts.endpoints],
    ...(opts.tls
      ? {
          credentials: {
            rootCertificate: opts.tls.ca ?? Buffer.alloc(0),
            ...(opts.tls.cert && opts.tls.key ? { certChain: opts.tls.cert, privateKey: opts.tls.key } : {}),
          },
        }
      : {}),
    ...(opts.auth
      ? { auth: { ...opts.auth, callOptions: () => ({ deadline: Date.now() + opts.requestTimeoutMs }) } }
      : {}),
    grpcOptions,
    dialTimeout: opts.requestTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + opts.requestTimeoutMs }),
    faultHandling: {
      // One retry on another member, then surface the error: the orchestration loop owns backoff.
      global: retry(handleWhen(memberFault), { maxAttempts: 1 }),
      // A member that failed 3 times in a row is skipped for 2 s so calls go to the live ones.
      host: () =>
        circuitBreaker(handleWhen(memberFault), { halfOpenAfter: 2_000, breaker: new ConsecutiveBreaker(3) }),
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 }).next(),
    },
  }, opts.requestTimeoutMs);
  const gw = gatewayFromClient(client, close);
  // Without TLS settings, a plain endpoint that turns out to speak TLS is named in the error.
  return opts.tls ? gw : withTlsHint(gw, opts.endpoints);
}

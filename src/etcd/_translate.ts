/**
 * etcd3/gRPC errors translated once, here, by etcd3's own error classes (instanceof), never by
 * class names or message regexes: a TypeError from our own code must not read as "etcd
 * unavailable" and be retried forever with etcd_up 0. Anything that is not an etcd3/gRPC error
 * is an internal error (a bug), not transient.
 */
import * as E from "etcd3";
import { isBrokenCircuitError } from "cockatiel";
import { EtcdError } from "./errors.ts";

/** A raw @grpc/grpc-js status error (code + details) that did not go through etcd3's cast. */
const isGrpcStatus = (e: Error): boolean =>
  e.constructor === Error && typeof (e as { code?: unknown }).code === "number" && "details" in e;

const UNAVAILABLE = [
  E.GRPCUnavailableError, E.GRPCDeadlineExceededError, E.GRPCCancelledError, E.GRPCAbortedError,
  E.GRPCInternalError, E.GRPCUnknownError, E.GRPCDataLossError, E.GRPCProtocolError, E.EtcdWatchStreamEnded,
] as const;
const INVALID = [
  E.GRPCInvalidArgumentError, E.GRPCFailedPreconditionError, E.GRPCOutOfRangeError, E.GRPCNotFoundError,
  E.GRPCAlreadyExistsError, E.GRPCNotImplementedError, E.EtcdLeaseInvalidError,
] as const;
const AUTH = [E.EtcdAuthenticationFailedError, E.EtcdInvalidAuthTokenError, E.GRPCUnauthenticatedError] as const;

/** What Node's TLS stack says when the certificate chain or name does not check out. */
const TLS_FAILURE = /certificate|altnames|self[- ]signed|SSL|TLS|handshake/i;

const isOne = (e: Error, classes: readonly (abstract new (...a: never[]) => Error)[]) => classes.some((c) => e instanceof c);

/** Maps anything thrown while talking to etcd to an EtcdError with an actionable message. */
export function translateEtcdError(err: unknown, what: string): EtcdError {
  if (err instanceof EtcdError) return err;
  if (!(err instanceof Error)) return new EtcdError("internal", `${what}: internal error in the etcd adapter (a bug): ${String(err)}`);
  const e = isGrpcStatus(err) ? E.castGrpcError(err) : err;
  // grpc-js appends an empty "Resolution note: " to connection failures; it only adds noise.
  const msg = (e.message || e.name).replace(/\.? Resolution note: ?$/, "");
  if (e instanceof E.ClientClosedError) return new EtcdError("closed", `${what}: etcd client closed`, { cause: e });
  if (e instanceof E.EtcdPermissionDeniedError)
    return new EtcdError("permission", `${what}: etcd permission denied (check the role of the etcd user: it needs readwrite on the key prefix): ${msg}`, { cause: e });
  if (isOne(e, AUTH)) return new EtcdError("auth", `${what}: etcd authentication failed (check etcd_auth and etcd_tls): ${msg}`, { cause: e });
  if (e instanceof E.GRPCResourceExhastedError) return resourceExhausted(e, what, msg);
  if (isOne(e, INVALID)) return new EtcdError("invalid", `${what}: etcd rejected the request: ${msg}`, { cause: e });
  // Generic etcd server errors ("etcdserver: leader changed", "request timed out", "no leader"),
  // gRPC transport failures and an open circuit breaker all mean: try again later.
  if (isOne(e, UNAVAILABLE) || e instanceof E.EtcdError || e instanceof E.GRPCGenericError || isBrokenCircuitError(e)) {
    if (TLS_FAILURE.test(msg))
      return new EtcdError("unavailable", `${what}: etcd TLS handshake failed (check etcd_tls: ca_file, cert_file/key_file, server_name): ${msg}`, { cause: e });
    return new EtcdError("unavailable", `${what}: etcd unavailable: ${msg}`, { cause: e });
  }
  return new EtcdError("internal", `${what}: internal error in the etcd adapter (a bug, not an etcd outage): ${e.name}: ${msg}`, { cause: e });
}

/**
 * RESOURCE_EXHAUSTED has three sources: a response over gRPC's receive limit (ours to fix, not
 * transient), etcd's rate limit ("too many requests", transient) and a full database (NOSPACE
 * alarm: transient for us, the operator must compact/defragment).
 */
function resourceExhausted(e: Error, what: string, msg: string): EtcdError {
  if (/larger than max/i.test(msg))
    return new EtcdError("invalid", `${what}: etcd's answer is larger than the client's receive limit: ${msg}`, { cause: e });
  if (/database space exceeded/i.test(msg))
    return new EtcdError("unavailable", `${what}: etcd is out of space (NOSPACE alarm: compact and defragment, then disarm): ${msg}`, { cause: e });
  return new EtcdError("unavailable", `${what}: etcd unavailable: ${msg}`, { cause: e });
}

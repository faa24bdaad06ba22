/**
 * etcd3/gRPC errors translated once, here, into a small set an operator can act on. Retryability is
 * a predicate (isTransient), not a class tree: the loop backs off on transient errors and
 * surfaces the rest.
 */
export type EtcdErrorKind =
  | "unavailable" // no member answered in time (down, partitioned, wrong endpoint)
  | "permission" // auth enabled and our user/role may not touch this key
  | "auth" // wrong username/password or TLS client identity
  | "invalid" // our request was malformed (a bug) or etcd refused it
  | "closed"; // we closed the client ourselves (shutdown)

export class EtcdError extends Error {
  constructor(
    readonly kind: EtcdErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "EtcdError";
  }
}

export const isTransient = (err: unknown): boolean => err instanceof EtcdError && err.kind === "unavailable";

/** Maps anything thrown by etcd3 to an EtcdError with an actionable message. */
export function translateEtcdError(err: unknown, what: string): EtcdError {
  if (err instanceof EtcdError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const name = e.constructor?.name ?? e.name;
  const msg = e.message || name;
  if (/Permission|PermissionDenied/i.test(name) || /permission denied/i.test(msg))
    return new EtcdError("permission", `${what}: etcd permission denied (check the role of the etcd user: it needs readwrite on the key prefix): ${msg}`, { cause: e });
  if (/Authentication|InvalidAuthToken|Unauthenticated/i.test(name) || /authentication failed|invalid auth token/i.test(msg))
    return new EtcdError("auth", `${what}: etcd authentication failed (check etcd_auth and etcd_tls): ${msg}`, { cause: e });
  if (/ClientClosed/i.test(name)) return new EtcdError("closed", `${what}: etcd client closed`, { cause: e });
  if (/InvalidArgument|FailedPrecondition|OutOfRange|LeaseInvalid|Lease not found|requested lease not found/i.test(name + " " + msg) && !/Unavailable/i.test(name))
    return new EtcdError("invalid", `${what}: etcd rejected the request: ${msg}`, { cause: e });
  return new EtcdError("unavailable", `${what}: etcd unavailable: ${msg}`, { cause: e });
}

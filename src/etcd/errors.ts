/**
 * The errors the etcd adapter throws: a small set an operator can act on. Retryability is a
 * predicate (isTransient), not a class tree: the loop backs off on transient errors and surfaces
 * the rest. The mapping from etcd3/gRPC errors lives in ./_translate.ts, which loads etcd3 and is
 * therefore only imported by the lazily loaded adapter.
 */
export type EtcdErrorKind =
  | "unavailable" // no member answered in time (down, partitioned, wrong endpoint, TLS handshake failing)
  | "permission" // auth enabled and our user/role may not touch this key
  | "auth" // wrong username/password or TLS client identity
  | "invalid" // etcd refused our request (malformed, too large, unknown lease)
  | "closed" // we closed the client ourselves (shutdown)
  | "internal"; // not an etcd/gRPC error at all: a bug in our adapter (never retried as an outage)

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

/**
 * Classification of what the etcd adapter sees: etcd3's own error classes decide, and anything
 * that is not an etcd3/gRPC error (a bug in our code) is "internal" — never "unavailable", which
 * the loop would retry forever with etcd_up 0.
 */
import { expect, test } from "bun:test";
import type { Etcd3 } from "etcd3";
import * as E from "etcd3";
import { BrokenCircuitError } from "cockatiel";
import { gatewayFromClient } from "../../../src/etcd/_etcd3.ts";
import { translateEtcdError } from "../../../src/etcd/_translate.ts";
import { EtcdError, isTransient } from "../../../src/etcd/index.ts";

/** A client whose every KV call throws `err`: the gateway must classify it. */
const throwingClient = (err: unknown) =>
  ({ kv: { txn: async () => { throw err; }, range: async () => { throw err; } } }) as unknown as Etcd3;

test("a TypeError inside the adapter is an internal, non-transient error, not 'etcd unavailable'", async () => {
  const gw = gatewayFromClient(throwingClient(new TypeError("Cannot read properties of undefined (reading 'kvs')")));
  const err = await gw.snapshot(["/a/"], []).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EtcdError);
  expect((err as EtcdError).kind).toBe("internal");
  expect(isTransient(err)).toBe(false);
  expect((err as Error).message).not.toContain("unavailable");
  expect((err as Error).message).toContain("TypeError");
});

test("an error whose class name merely looks like an outage is still internal", () => {
  class ServiceUnavailableWidget extends Error {}
  const e = translateEtcdError(new ServiceUnavailableWidget("lease not found in our cache"), "x");
  expect(e.kind).toBe("internal");
});

test.each([
  ["GRPCUnavailableError", new E.GRPCUnavailableError("14 UNAVAILABLE: No connection established"), "unavailable"],
  ["GRPCDeadlineExceededError", new E.GRPCDeadlineExceededError("4 DEADLINE_EXCEEDED"), "unavailable"],
  ["etcd3 EtcdError (leader changed)", new E.EtcdError("etcdserver: leader changed"), "unavailable"],
  ["open circuit breaker", new BrokenCircuitError(), "unavailable"],
  ["EtcdPermissionDeniedError", new E.EtcdPermissionDeniedError("etcdserver: permission denied"), "permission"],
  ["EtcdAuthenticationFailedError", new E.EtcdAuthenticationFailedError("etcdserver: authentication failed"), "auth"],
  ["GRPCUnauthenticatedError", new E.GRPCUnauthenticatedError("16 UNAUTHENTICATED"), "auth"],
  ["EtcdLeaseInvalidError", new E.EtcdLeaseInvalidError("etcdserver: requested lease not found"), "invalid"],
  ["GRPCInvalidArgumentError", new E.GRPCInvalidArgumentError("3 INVALID_ARGUMENT"), "invalid"],
  ["ClientClosedError", new E.ClientClosedError("KV"), "closed"],
  ["receive limit", new E.GRPCResourceExhastedError("8 RESOURCE_EXHAUSTED: Received message larger than max (5000000 vs 4194304)"), "invalid"],
  ["rate limit", new E.GRPCResourceExhastedError("8 RESOURCE_EXHAUSTED: etcdserver: too many requests"), "unavailable"],
  ["raw grpc status error", Object.assign(new Error("14 UNAVAILABLE: x"), { code: 14, details: "x" }), "unavailable"],
  ["a string thrown", "oops", "internal"],
  ["RangeError", new RangeError("Invalid array length"), "internal"],
] as const)("%s is classified by its etcd3 class", (_name, err, kind) => {
  expect(translateEtcdError(err, "op").kind).toBe(kind);
});

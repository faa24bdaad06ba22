/**
 * An in-memory FleetLock backend with the spec's semantics (a counting semaphore per group with
 * recursive lock and unlock-if-held), so the HTTP layer can be tested without etcd.
 */
import { fleetError, type ClientParams, type FleetLockBackend, type LockOutcome } from "../../../src/fleetlock/index.ts";

/** What a Request or fetch accepts as a body. */
export type Body = ConstructorParameters<typeof Request>[1] extends infer I ? (I extends { body?: infer B } ? NonNullable<B> : never) : never;

export class MemoryBackend implements FleetLockBackend {
  readonly holders = new Map<string, Set<string>>();
  calls: { op: "pre" | "steady"; params: ClientParams }[] = [];
  /** Replace to make the next calls throw or hang. */
  intercept: ((p: ClientParams) => Promise<LockOutcome> | undefined) | undefined;

  constructor(readonly limits: Record<string, number>) {}

  async preReboot(params: ClientParams): Promise<LockOutcome> {
    this.calls.push({ op: "pre", params });
    const hooked = this.intercept?.(params);
    if (hooked) return hooked;
    const limit = this.limits[params.group];
    if (limit === undefined) return { kind: "refused", error: fleetError("unknown_group", `unknown group ${params.group}`) };
    const set = this.holders.get(params.group) ?? new Set<string>();
    this.holders.set(params.group, set);
    const slotKey = `/p/slots/${params.group}/${params.id}`;
    if (set.has(params.id)) return { kind: "locked", recursive: true, slotKey, deadline: undefined };
    if (set.size >= limit) return { kind: "refused", error: fleetError("failed_lock_semaphore_full", `all ${limit} slots held`) };
    set.add(params.id);
    return { kind: "locked", recursive: false, slotKey, deadline: "2030-01-01T00:00:00.000Z" };
  }

  async steadyState(params: ClientParams): Promise<LockOutcome> {
    this.calls.push({ op: "steady", params });
    const hooked = this.intercept?.(params);
    if (hooked) return hooked;
    const released = this.holders.get(params.group)?.delete(params.id) ?? false;
    return { kind: "unlocked", released };
  }
}

/** A FleetLock request as Zincati sends it: pretty-printed JSON, no Content-Type. */
export function zincatiRequest(path: string, id: string, group: string, init: { headers?: Record<string, string>; method?: string } = {}): Request {
  return new Request(`http://127.0.0.1:8080${path}`, {
    method: init.method ?? "POST",
    headers: { "fleet-lock-protocol": "true", ...init.headers },
    // Bytes, not a string: a string body would make Request add a text/plain Content-Type.
    body: new TextEncoder().encode(JSON.stringify({ client_params: { id, group } }, null, 2)),
  });
}

export function rawRequest(path: string, body: Body | null, init: { headers?: Record<string, string>; method?: string } = {}): Request {
  return new Request(`http://127.0.0.1:8080${path}`, {
    method: init.method ?? "POST",
    headers: { "fleet-lock-protocol": "true", ...init.headers },
    ...(body === null ? {} : { body }),
  });
}

export const ID_A = "c988d2509fdf5cdcbed39037c56406fb";
export const ID_B = "0123456789abcdef0123456789abcdef";
export const ID_C = "fedcba9876543210fedcba9876543210";

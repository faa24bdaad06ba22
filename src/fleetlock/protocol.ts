/**
 * The FleetLock wire protocol (Zincati `docs/development/fleetlock/protocol.md`): the two
 * endpoints, the guard header, the request body, and the error vocabulary we answer with.
 *
 * Error kinds are a small fixed set because clients use `kind` as a metric label (the spec says
 * the server MUST keep its cardinality bounded); the HTTP status of each kind lives in one table
 * that the compiler checks for completeness.
 */

/** Both operations of the protocol, named as in our metrics. */
export type Endpoint = "pre_reboot" | "steady_state";

export const PATHS: { readonly [K in Endpoint]: string } = {
  pre_reboot: "/v1/pre-reboot",
  steady_state: "/v1/steady-state",
};

/** The guard header; its only valid value is `true`. */
export const PROTOCOL_HEADER = "fleet-lock-protocol";

export type ErrorKind =
  // --- the request is wrong (4xx, retrying the same request will not help) ---
  | "missing_header" // fleet-lock-protocol: true absent or another value
  | "method_not_allowed" // not POST
  | "not_found" // unknown path
  | "payload_too_large" // body over max_body_bytes
  | "invalid_body" // not JSON, not an object, client_params / id / group missing or not strings
  | "invalid_client_id" // id does not fit our slot key charset [A-Za-z0-9._-]{1,63}
  | "invalid_group" // group does not fit our slot key charset
  | "unknown_group" // group not configured on this server
  | "id_conflict" // this id holds a slot in another group, or a daemon/operator slot has this name
  // --- the lock is not available now (423 Locked: retry later) ---
  | "failed_lock_semaphore_full" // group limit or global cap reached (the spec's example kind)
  | "paused" // cluster-wide pause key present
  | "cooldown" // the group's cooldown after the last reboot is running
  | "window_closed" // inside a deny window or outside every allow window
  | "health_blocked" // cluster health policy refuses another node going down
  | "draining" // slot reserved, the beforeGrant hook is still draining the node
  | "drain_blocked" // the drain did not finish (a PDB, refused pods); node uncordoned, retry later
  // --- our side failed (5xx) ---
  | "hook_failed" // beforeGrant said failed, or afterRelease threw
  | "conflict" // lost too many transaction races, or the slot changed under us: retry
  | "etcd_unavailable" // etcd did not answer
  | "internal_error"; // a bug; logged with details

export const STATUS: { readonly [K in ErrorKind]: number } = {
  missing_header: 400,
  method_not_allowed: 405,
  not_found: 404,
  payload_too_large: 413,
  invalid_body: 400,
  invalid_client_id: 400,
  invalid_group: 400,
  unknown_group: 400,
  id_conflict: 409,
  failed_lock_semaphore_full: 423,
  paused: 423,
  cooldown: 423,
  window_closed: 423,
  health_blocked: 423,
  draining: 423,
  drain_blocked: 423,
  hook_failed: 500,
  conflict: 503,
  etcd_unavailable: 503,
  internal_error: 500,
};

export const ERROR_KINDS = Object.keys(STATUS) as ErrorKind[];

/** The spec's error body: both fields non-empty. */
export interface FleetLockError {
  kind: ErrorKind;
  value: string;
}

export const fleetError = (kind: ErrorKind, value: string): FleetLockError => ({ kind, value: value || kind });

/** A validated request: `id` and `group` already fit our etcd key charset. */
export interface ClientParams {
  id: string;
  group: string;
  /** The source address of the request (set by the handler; a lock is bound to it). */
  address?: string;
}

/** Names used verbatim in slot keys `P/slots/<group>/<id>` (same rule as node and group names). */
const NAME_RE = /^[A-Za-z0-9._-]{1,63}$/;
const validName = (s: string) => NAME_RE.test(s) && s !== "." && s !== "..";

/**
 * Parses and validates a request body. We reject (never rewrite) ids and groups outside our key
 * charset: a deterministic mapping (hashing, escaping) would make `clusterrebootd cluster` show
 * names the operator never configured and could collide with daemon node names. Zincati's ids
 * (32 lowercase hex) and the spec's group pattern `^[a-zA-Z0-9.-]+$` fit as they are.
 */
export function parseClientParams(text: string): { kind: "ok"; params: ClientParams } | { kind: "error"; error: FleetLockError } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return bad("invalid_body", "request body is not valid JSON");
  }
  if (!isObject(data)) return bad("invalid_body", 'request body must be a JSON object {"client_params": {"id": ..., "group": ...}}');
  const cp = data["client_params"];
  if (!isObject(cp)) return bad("invalid_body", "client_params is missing or not an object");
  const id = cp["id"];
  const group = cp["group"];
  if (typeof id !== "string" || id === "") return bad("invalid_body", "client_params.id is missing or not a non-empty string");
  if (typeof group !== "string" || group === "") return bad("invalid_body", "client_params.group is missing or not a non-empty string");
  if (!validName(id))
    return bad("invalid_client_id", `client_params.id ${quote(id)} must be 1-63 characters of A-Z a-z 0-9 . _ - (it names an etcd key)`);
  if (!validName(group))
    return bad("invalid_group", `client_params.group ${quote(group)} must be 1-63 characters of A-Z a-z 0-9 . _ - (it names an etcd key)`);
  return { kind: "ok", params: { id, group } };
}

// --- internal ---

const bad = (kind: ErrorKind, value: string) => ({ kind: "error" as const, error: fleetError(kind, value) });

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** JSON-quotes a client-supplied string for a message, cut short so a hostile one cannot bloat it. */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** What the lock backend answers; the handler maps it onto HTTP. */
export type LockOutcome =
  | { kind: "locked"; recursive: boolean; slotKey: string; deadline: string | undefined } // pre-reboot: the id holds its slot
  | { kind: "unlocked"; released: boolean } // steady-state: the id holds no slot (any more)
  | { kind: "refused"; error: FleetLockError }; // a protocol error with its kind

/** The two operations over some lock store (etcd slots in production, a fake in unit tests). */
export interface FleetLockBackend {
  /** RecursiveLock: success when the slot is held by this id, already or newly. */
  preReboot(params: ClientParams): Promise<LockOutcome>;
  /** UnlockIfHeld: success when this id holds no slot afterwards (also when it held none). */
  steadyState(params: ClientParams): Promise<LockOutcome>;
}

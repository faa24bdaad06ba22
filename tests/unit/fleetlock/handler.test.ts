/**
 * The HTTP layer against the spec (Zincati docs/development/fleetlock/protocol.md): every success
 * and error case, recursive semantics, and malformed or hostile requests, over a memory backend.
 */
import { describe, expect, test } from "bun:test";
import { EtcdError } from "../../../src/etcd/index.ts";
import { createFleetLockHandler, ERROR_KINDS, STATUS, type FleetLockHandler } from "../../../src/fleetlock/index.ts";
import { memoryLogger } from "../../../src/observe/index.ts";
import { ID_A, ID_B, ID_C, MemoryBackend, rawRequest, zincatiRequest } from "./_fake.ts";

const PRE = "/v1/pre-reboot";
const STEADY = "/v1/steady-state";

function setup(limits: Record<string, number> = { default: 1, workers: 2 }, maxBodyBytes = 4096) {
  const backend = new MemoryBackend(limits);
  const log = memoryLogger();
  const handler: FleetLockHandler = createFleetLockHandler({ backend, maxBodyBytes, log, serveMetrics: true });
  return { backend, handler, log };
}

async function errorOf(res: Response): Promise<{ kind: string; value: string }> {
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as { kind: string; value: string };
  expect(Object.keys(body).sort()).toEqual(["kind", "value"]);
  expect(body.value.length).toBeGreaterThan(0);
  return body;
}

describe("RecursiveLock and UnlockIfHeld", () => {
  test("a lock is granted, repeated by the holder (recursive), and released by steady-state", async () => {
    const { handler, backend } = setup();
    expect((await handler(zincatiRequest(PRE, ID_A, "default"))).status).toBe(200);
    const again = await handler(zincatiRequest(PRE, ID_A, "default"));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("already locked");
    expect((await handler(zincatiRequest(STEADY, ID_A, "default"))).status).toBe(200);
    expect(backend.holders.get("default")?.size).toBe(0);
  });

  test("a full semaphore refuses another id with 423 failed_lock_semaphore_full", async () => {
    const { handler } = setup();
    await handler(zincatiRequest(PRE, ID_A, "default"));
    const res = await handler(zincatiRequest(PRE, ID_B, "default"));
    expect(res.status).toBe(423);
    expect((await errorOf(res)).kind).toBe("failed_lock_semaphore_full");
  });

  test("a group with limit 2 takes two ids and refuses the third", async () => {
    const { handler } = setup();
    const statuses = [];
    for (const id of [ID_A, ID_B, ID_C]) statuses.push((await handler(zincatiRequest(PRE, id, "workers"))).status);
    expect(statuses).toEqual([200, 200, 423]);
  });

  test("unlock by a non-holder is a successful no-op and leaves the holder's lock alone", async () => {
    const { handler, backend } = setup();
    await handler(zincatiRequest(PRE, ID_A, "default"));
    const res = await handler(zincatiRequest(STEADY, ID_B, "default"));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("holds no reboot slot");
    expect([...(backend.holders.get("default") ?? [])]).toEqual([ID_A]);
  });

  test("unbalanced unlocks are all successes (initialization retries steady-state)", async () => {
    const { handler } = setup();
    for (let i = 0; i < 3; i++) expect((await handler(zincatiRequest(STEADY, ID_A, "default"))).status).toBe(200);
  });

  test("after the holder releases, the next id gets the slot", async () => {
    const { handler } = setup();
    await handler(zincatiRequest(PRE, ID_A, "default"));
    await handler(zincatiRequest(STEADY, ID_A, "default"));
    expect((await handler(zincatiRequest(PRE, ID_B, "default"))).status).toBe(200);
  });

  test("the backend's refusal kinds pass through with their status", async () => {
    const { handler } = setup();
    const res = await handler(zincatiRequest(PRE, ID_A, "nosuchgroup"));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).kind).toBe("unknown_group");
  });
});

describe("requests the spec allows", () => {
  test.each([
    ["no Content-Type (Zincati)", {}],
    ["application/json", { "content-type": "application/json" }],
    ["an unrelated Content-Type", { "content-type": "application/x-www-form-urlencoded" }],
  ])("%s is accepted", async (_n, headers) => {
    const { handler } = setup();
    expect((await handler(zincatiRequest(PRE, ID_A, "default", { headers }))).status).toBe(200);
  });

  test("the header name is case-insensitive", async () => {
    const { handler } = setup();
    const req = new Request(`http://h${PRE}`, { method: "POST", headers: { "Fleet-Lock-Protocol": "true" }, body: JSON.stringify({ client_params: { id: ID_A, group: "default" } }) });
    expect((await handler(req)).status).toBe(200);
  });

  test("extra fields in the body and in client_params are ignored", async () => {
    const { handler } = setup();
    const body = JSON.stringify({ client_params: { id: ID_A, group: "default", extra: [1] }, other: true });
    expect((await handler(rawRequest(PRE, body))).status).toBe(200);
  });

  test("a base URL with a path prefix works (suffix match, e.g. behind a reverse proxy)", async () => {
    const { handler } = setup();
    expect((await handler(zincatiRequest(`/fleet_lock${PRE}`, ID_A, "default"))).status).toBe(200);
  });
});

describe("malformed and hostile requests get the right error", () => {
  const big = "x".repeat(5000);
  test.each([
    ["missing header", rawRequest(PRE, `{"client_params":{"id":"a","group":"g"}}`, { headers: { "fleet-lock-protocol": "" } }), 400, "missing_header"],
    ["header value false", rawRequest(PRE, `{}`, { headers: { "fleet-lock-protocol": "false" } }), 400, "missing_header"],
    ["GET on an endpoint", new Request(`http://h${PRE}`, { headers: { "fleet-lock-protocol": "true" } }), 405, "method_not_allowed"],
    ["PUT on an endpoint", rawRequest(STEADY, "{}", { method: "PUT" }), 405, "method_not_allowed"],
    ["unknown path", rawRequest("/v2/pre-reboot", "{}"), 404, "not_found"],
    ["root path", rawRequest("/", "{}"), 404, "not_found"],
    ["empty body", rawRequest(PRE, null), 400, "invalid_body"],
    ["not JSON", rawRequest(PRE, "client_params=1"), 400, "invalid_body"],
    ["truncated JSON", rawRequest(PRE, `{"client_params":{"id":"a"`), 400, "invalid_body"],
    ["a JSON array", rawRequest(PRE, "[]"), 400, "invalid_body"],
    ["JSON null", rawRequest(PRE, "null"), 400, "invalid_body"],
    ["client_params missing", rawRequest(PRE, `{"id":"a","group":"g"}`), 400, "invalid_body"],
    ["client_params a string", rawRequest(PRE, `{"client_params":"x"}`), 400, "invalid_body"],
    ["id a number", rawRequest(PRE, `{"client_params":{"id":42,"group":"default"}}`), 400, "invalid_body"],
    ["id empty", rawRequest(PRE, `{"client_params":{"id":"","group":"default"}}`), 400, "invalid_body"],
    ["group missing", rawRequest(PRE, `{"client_params":{"id":"abc"}}`), 400, "invalid_body"],
    ["group null", rawRequest(PRE, `{"client_params":{"id":"abc","group":null}}`), 400, "invalid_body"],
    ["id with a slash", rawRequest(PRE, `{"client_params":{"id":"../../pause","group":"default"}}`), 400, "invalid_client_id"],
    ["id too long", rawRequest(PRE, JSON.stringify({ client_params: { id: "a".repeat(64), group: "default" } })), 400, "invalid_client_id"],
    ["id '..'", rawRequest(PRE, `{"client_params":{"id":"..","group":"default"}}`), 400, "invalid_client_id"],
    ["group with a slash", rawRequest(PRE, `{"client_params":{"id":"abc","group":"a/b"}}`), 400, "invalid_group"],
    ["group with a space", rawRequest(PRE, `{"client_params":{"id":"abc","group":"my group"}}`), 400, "invalid_group"],
    ["group with unicode", rawRequest(PRE, `{"client_params":{"id":"abc","group":"grüppe"}}`), 400, "invalid_group"],
    ["group with NUL", rawRequest(PRE, `{"client_params":{"id":"abc","group":"a\\u0000b"}}`), 400, "invalid_group"],
    ["group '.'", rawRequest(PRE, `{"client_params":{"id":"abc","group":"."}}`), 400, "invalid_group"],
    ["body over the limit", rawRequest(PRE, big), 413, "payload_too_large"],
    ["invalid UTF-8", rawRequest(PRE, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 400, "invalid_body"],
    ["deeply nested JSON", rawRequest(PRE, "[".repeat(2000) + "]".repeat(2000)), 400, "invalid_body"],
  ] as const)("%s → %i %s", async (_n, req, status, kind) => {
    const { handler, backend } = setup();
    const res = await handler(req);
    expect(res.status).toBe(status);
    expect((await errorOf(res)).kind).toBe(kind);
    expect(backend.calls).toEqual([]); // the backend never sees a bad request
  });

  test("JSON nested 32k deep within a 64 KiB limit is parsed and refused, not a crash", async () => {
    const { handler } = setup(undefined, 65_536);
    const res = await handler(rawRequest(PRE, "[".repeat(32_000) + "]".repeat(32_000)));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).kind).toBe("invalid_body");
  });

  test("405 names the allowed method", async () => {
    const { handler } = setup();
    expect((await handler(rawRequest(PRE, "{}", { method: "DELETE" }))).headers.get("allow")).toBe("POST");
  });

  test("a chunked body over the limit is cut off without reading it all", async () => {
    const { handler } = setup(undefined, 100);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(64).fill(0x20));
        if (pulled > 10_000) c.close();
      },
    });
    const res = await handler(rawRequest(PRE, stream));
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  test("a lying Content-Length over the limit is refused before reading", async () => {
    const { handler } = setup(undefined, 100);
    const req = rawRequest(PRE, "{}", { headers: { "content-length": "99999999" } });
    expect((await handler(req)).status).toBe(413);
  });

  test("error messages quote hostile ids only shortened", async () => {
    const { handler } = setup();
    const res = await handler(rawRequest(PRE, JSON.stringify({ client_params: { id: "/".repeat(3000), group: "g" } })));
    expect((await errorOf(res)).value.length).toBeLessThan(300);
  });
});

describe("failures behind the handler", () => {
  test("an etcd outage is 503 etcd_unavailable with Retry-After", async () => {
    const { handler, backend } = setup();
    backend.intercept = () => Promise.reject(new EtcdError("unavailable", "read cluster state: etcd unavailable: connect ECONNREFUSED"));
    const res = await handler(zincatiRequest(PRE, ID_A, "default"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect((await errorOf(res)).kind).toBe("etcd_unavailable");
  });

  test("a bug is 500 internal_error, logged with its stack, and the message is not leaked", async () => {
    const { handler, backend, log } = setup();
    backend.intercept = () => Promise.reject(new TypeError("secret detail"));
    const res = await handler(zincatiRequest(STEADY, ID_A, "default"));
    expect(res.status).toBe(500);
    const body = await errorOf(res);
    expect(body.kind).toBe("internal_error");
    expect(body.value).not.toContain("secret");
    expect(log.records.find((r) => r.event === "fleetlock_internal_error")?.fields["error"]).toContain("secret detail");
  });
});

describe("metrics and probes", () => {
  test("requests are counted by endpoint and outcome and rendered as Prometheus text", async () => {
    const { handler } = setup();
    await handler(zincatiRequest(PRE, ID_A, "default"));
    await handler(zincatiRequest(PRE, ID_B, "default"));
    await handler(zincatiRequest(STEADY, ID_A, "default"));
    await handler(rawRequest("/nope", "{}"));
    expect(handler.metrics.get("pre_reboot", "ok")).toBe(1);
    expect(handler.metrics.get("pre_reboot", "failed_lock_semaphore_full")).toBe(1);
    expect(handler.metrics.get("steady_state", "ok")).toBe(1);
    expect(handler.metrics.get("other", "not_found")).toBe(1);
    const res = await handler(new Request("http://h/metrics"));
    const text = await res.text();
    expect(text).toContain('clusterrebootd_fleetlock_requests_total{endpoint="pre_reboot",outcome="ok"} 1');
    expect(text).toContain("# TYPE clusterrebootd_fleetlock_requests_total counter");
  });

  test("GET /-/healthy answers 200", async () => {
    const { handler } = setup();
    expect((await handler(new Request("http://h/-/healthy"))).status).toBe(200);
  });

  test("every error kind maps to a 4xx or 5xx status", () => {
    for (const k of ERROR_KINDS) expect(STATUS[k]).toBeGreaterThanOrEqual(400);
    for (const k of ERROR_KINDS) expect(STATUS[k]).toBeLessThan(600);
    expect(ERROR_KINDS.length).toBeLessThanOrEqual(20); // the spec: keep the kind cardinality small
  });
});

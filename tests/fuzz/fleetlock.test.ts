/**
 * FleetLock handler fuzzing, complementing tests/unit/fleetlock/fuzz.test.ts (random methods,
 * paths, headers and whole bodies): here the body arrives as a stream of random chunks, without
 * Content-Length, as a chunked upload does. The answer must not depend on how the bytes were cut,
 * an oversized stream must be refused without reading it to the end, and an endless one must not
 * hang the handler.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createFleetLockHandler, type ClientParams, type FleetLockBackend, type LockOutcome } from "../../src/fleetlock/index.ts";

const MAX = 4096;

/** Grants everything, remembers nothing: only the HTTP and body layers are under test. */
const backend: FleetLockBackend = {
  preReboot: async (_p: ClientParams): Promise<LockOutcome> => ({ kind: "locked", recursive: false, slotKey: "/p/slots/g/x", deadline: undefined }),
  steadyState: async (_p: ClientParams): Promise<LockOutcome> => ({ kind: "unlocked", released: true }),
};

function streamOf(chunks: Uint8Array[], pulled: { n: number }, endless = false): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(ctrl) {
      pulled.n++;
      if (endless) return ctrl.enqueue(new Uint8Array(1024).fill(120));
      if (i < chunks.length) ctrl.enqueue(chunks[i++]!);
      else ctrl.close();
    },
  });
}

const request = (path: string, body: Uint8Array | ReadableStream<Uint8Array>) =>
  new Request(`http://127.0.0.1:8080${path}`, { method: "POST", headers: { "fleet-lock-protocol": "true" }, body });

/** Valid and near-valid JSON bodies plus random bytes. */
const payload = fc.oneof(
  fc.record({ id: fc.string({ maxLength: 40 }), group: fc.constantFrom("default", "workers", "", "a/b") }).map((cp) => new TextEncoder().encode(JSON.stringify({ client_params: cp }, null, 2))),
  fc.jsonValue().map((j) => new TextEncoder().encode(JSON.stringify(j))),
  fc.uint8Array({ maxLength: 600 }),
  fc.nat({ max: 3 * MAX }).map((n) => new TextEncoder().encode(`{"client_params":{"id":"${"x".repeat(n)}","group":"default"}}`)),
);

/** Cuts `bytes` at random points (empty chunks included). */
const cut = (bytes: Uint8Array, points: number[]) => {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    out.push(bytes.slice(prev, p));
    prev = p;
  }
  return out;
};

describe("FleetLock handler, streamed bodies", () => {
  test("the answer does not depend on how the body is cut, and oversized streams stop early", async () => {
    await fc.assert(
      fc.asyncProperty(payload, fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom("/v1/pre-reboot", "/v1/steady-state"), async (bytes, points, path) => {
        const handler = createFleetLockHandler({ backend, maxBodyBytes: MAX });
        const whole = await handler(request(path, bytes));
        const chunks = cut(bytes, points);
        const pulled = { n: 0 };
        const streamed = await handler(request(path, streamOf(chunks, pulled)));
        expect(streamed.status).toBe(whole.status);
        expect(await streamed.text()).toBe(await whole.text());
        if (bytes.length > MAX) {
          expect(streamed.status).toBe(413);
          // Reading stops at the first chunk over the cap (the stream may pull one ahead).
          let sum = 0;
          const firstOver = chunks.findIndex((c) => (sum += c.length) > MAX);
          expect(pulled.n).toBeLessThanOrEqual(firstOver + 2);
        }
      }),
      { numRuns: 400 },
    );
  });

  test("an endless body is refused as too large, not read forever", async () => {
    const handler = createFleetLockHandler({ backend, maxBodyBytes: MAX });
    const pulled = { n: 0 };
    const res = await handler(request("/v1/pre-reboot", streamOf([], pulled, true)));
    expect(res.status).toBe(413);
    expect(pulled.n).toBeLessThan(10);
  });
});

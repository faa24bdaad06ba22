/**
 * Property: whatever arrives (method, path, headers, body), the handler answers, and the answer is
 * well formed — 200 with text, or the status of a known error kind with a `{kind, value}` body.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { EtcdError } from "../../../src/etcd/index.ts";
import { createFleetLockHandler, ERROR_KINDS, STATUS, type ErrorKind } from "../../../src/fleetlock/index.ts";
import { MemoryBackend, type Body } from "./_fake.ts";

const printable = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_./ \t:;,=\"'{}[]"), maxLength: 40 });
const name = fc.oneof(
  fc.constantFrom("default", "workers", "c988d2509fdf5cdcbed39037c56406fb", "", ".", "..", "a/b", "x".repeat(64)),
  fc.string({ maxLength: 70 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
);
const jsonish = fc.oneof(
  fc.jsonValue().map((j) => JSON.stringify(j)),
  fc.record({ id: fc.oneof(name, fc.jsonValue()), group: fc.oneof(name, fc.jsonValue()) }, { requiredKeys: [] }).map((cp) => JSON.stringify({ client_params: cp })),
  fc.tuple(name, name).map(([id, group]) => JSON.stringify({ client_params: { id, group } }, null, 2)),
);
const body = fc.oneof(
  jsonish.map((s): Body => s),
  fc.string({ maxLength: 200 }).map((s): Body => s),
  fc.uint8Array({ maxLength: 300 }).map((b): Body => b),
  fc.constant("x".repeat(5000) as Body),
  fc.constant(null),
);
const request = fc.record({
  method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
  path: fc.oneof(fc.constantFrom("/v1/pre-reboot", "/v1/steady-state", "/x/v1/pre-reboot", "/", "/metrics", "/-/healthy"), printable.map((p) => "/" + encodeURIComponent(p))),
  header: fc.oneof(fc.constant("true"), fc.constant(undefined), printable),
  contentType: fc.oneof(fc.constant(undefined), fc.constantFrom("application/json", "text/plain", "multipart/form-data; boundary=x")),
  body,
  failure: fc.constantFrom("none", "none", "none", "etcd", "bug"),
});

test("random requests always get a well-formed answer", async () => {
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const backend = new MemoryBackend({ default: 1, workers: 2 });
      if (r.failure === "etcd") backend.intercept = () => Promise.reject(new EtcdError("unavailable", "down"));
      if (r.failure === "bug") backend.intercept = () => Promise.reject(new Error("boom"));
      const handler = createFleetLockHandler({ backend, maxBodyBytes: 4096, serveMetrics: true });
      const headers: Record<string, string> = {};
      if (r.header !== undefined) headers["fleet-lock-protocol"] = r.header;
      if (r.contentType !== undefined) headers["content-type"] = r.contentType;
      const hasBody = r.method !== "GET" && r.method !== "HEAD" && r.body !== null;
      const req = new Request(`http://127.0.0.1:8080${r.path}`, { method: r.method, headers, ...(hasBody ? { body: r.body } : {}) });
      const res = await handler(req);
      if (res.status === 200) {
        expect(res.headers.get("content-type")).toStartWith("text/plain");
        return;
      }
      const parsed = (await res.json()) as { kind: ErrorKind; value: string };
      expect(ERROR_KINDS).toContain(parsed.kind);
      expect(typeof parsed.value).toBe("string");
      expect(parsed.value.length).toBeGreaterThan(0);
      expect(res.status).toBe(STATUS[parsed.kind]);
    }),
    { numRuns: 1500 },
  );
});

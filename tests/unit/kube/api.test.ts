/** The API client: connection caching and refresh, error shapes, malformed answers. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createKubeApi, type ConnectionResult } from "../../../src/kube/index.ts";
import { FakeClock } from "../../fakes/clock.ts";
import { NODE, startFakeApiServer, type FakeApiServer } from "../../support/fake-apiserver.ts";

let fake: FakeApiServer;
beforeEach(async () => {
  fake = await startFakeApiServer();
  fake.addNode(NODE);
});
afterEach(() => fake.stop());

function counting(result: () => ConnectionResult) {
  const loader = Object.assign(async () => (loader.calls++, result()), { calls: 0 });
  return loader;
}
const conn = (token: string | null, server = fake.url): ConnectionResult => ({
  kind: "ok",
  conn: { server, ca: null, cert: null, key: null, serverName: null, insecureSkipVerify: false, token, source: "test" },
});

describe("kube API client", () => {
  test("re-reads the connection once a minute (rotated certificates and tokens)", async () => {
    const clock = new FakeClock();
    let token = "old-token";
    const load = counting(() => conn(token));
    const api = createKubeApi({ load, clock, timeoutMs: 5_000 });
    expect((await api.getNode(NODE)).kind).toBe("status"); // 401: the server wants test-token
    token = "test-token";
    expect((await api.getNode(NODE)).kind).toBe("status"); // still cached
    await clock.advance(60_000);
    expect((await api.getNode(NODE)).kind).toBe("ok");
    expect(load.calls).toBe(2);
  });

  test("keeps the last good connection when a reload fails, and reports a first failure", async () => {
    const clock = new FakeClock();
    let fail = false;
    const api = createKubeApi({ load: async () => (fail ? { kind: "error", message: "cannot read kubeconfig /k" } : conn("test-token")), clock, timeoutMs: 5_000 });
    expect((await api.getNode(NODE)).kind).toBe("ok");
    fail = true;
    await clock.advance(60_000);
    expect((await api.getNode(NODE)).kind).toBe("ok");
    const fresh = createKubeApi({ load: async () => ({ kind: "error", message: "cannot read kubeconfig /k" }), clock, timeoutMs: 5_000 });
    expect(await fresh.getNode(NODE)).toEqual({ kind: "error", message: "cannot read kubeconfig /k" });
  });

  test.each([
    ["a missing node", "nope", { kind: "status", code: 404, reason: "NotFound", message: 'nodes "nope" not found' }],
    ["a wrong token", NODE, { kind: "status", code: 401, reason: "Unauthorized", message: "Unauthorized" }],
  ])("%s is a status result with the API server's reason", async (what, node, expected) => {
    const api = createKubeApi({ load: async () => conn(what === "a wrong token" ? "bad" : "test-token"), clock: new FakeClock(), timeoutMs: 5_000 });
    expect(await api.getNode(node)).toEqual(expected as never);
  });

  test("a malformed object is an error, never half-used", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ metadata: { labels: {} } }) });
    try {
      const api = createKubeApi({ load: async () => conn(null, `http://127.0.0.1:${server.port}`), clock: new FakeClock(), timeoutMs: 5_000 });
      const r = await api.getNode(NODE);
      expect(r).toMatchObject({ kind: "error", message: expect.stringContaining("malformed node: metadata.name") });
    } finally {
      server.stop(true);
    }
  });

  test("nothing listening is an error result with the URL", async () => {
    const api = createKubeApi({ load: async () => conn(null, "http://127.0.0.1:1"), clock: new FakeClock(), timeoutMs: 5_000 });
    expect(await api.listNodes()).toMatchObject({ kind: "error", message: expect.stringContaining("GET http://127.0.0.1:1/api/v1/nodes") });
  });
});

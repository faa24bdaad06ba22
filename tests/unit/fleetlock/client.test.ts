/**
 * The FleetLock client against our own server (memory backend, real sockets on loopback): every
 * way a call can end maps to its tagged result.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkBaseUrl,
  createFleetLockClient,
  createFleetLockHandler,
  startFleetLockServer,
  type LockOutcome,
  type RunningServer,
} from "../../../src/fleetlock/index.ts";
import { makeTlsMaterial } from "../../support/tls.ts";
import { ID_A, ID_B, MemoryBackend } from "./_fake.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function serve(backend = new MemoryBackend({ default: 1 }), tls?: { cert: string; key: string }): { server: RunningServer; backend: MemoryBackend } {
  const server = startFleetLockServer({ listen: "127.0.0.1:0", handler: createFleetLockHandler({ backend }), ...(tls ? { tls } : {}) });
  cleanups.push(() => server.stop(true));
  return { server, backend };
}

describe("client against our server", () => {
  test("lock, recursive lock, refusal for another id, unlock", async () => {
    const { server } = serve();
    const c = createFleetLockClient({ baseUrl: server.url });
    expect(await c.preReboot(ID_A, "default")).toEqual({ kind: "ok", status: 200 });
    expect(await c.preReboot(ID_A, "default")).toEqual({ kind: "ok", status: 200 });
    const refused = await c.preReboot(ID_B, "default");
    expect(refused).toMatchObject({ kind: "refused", status: 423, error: { kind: "failed_lock_semaphore_full" } });
    expect(await c.steadyState(ID_A, "default")).toEqual({ kind: "ok", status: 200 });
    expect(await c.preReboot(ID_B, "default")).toEqual({ kind: "ok", status: 200 });
  });

  test("invalid parameters come back as the server's error kind", async () => {
    const { server } = serve();
    const c = createFleetLockClient({ baseUrl: server.url });
    expect(await c.preReboot("a/b", "default")).toMatchObject({ kind: "refused", status: 400, error: { kind: "invalid_client_id" } });
  });

  test.each([
    ["no trailing slash", ""],
    ["trailing slash", "/"],
  ])("a base URL with a path prefix and %s keeps the prefix", async (_n, slash) => {
    const seen: string[] = [];
    const { server } = serve();
    const c = createFleetLockClient({
      baseUrl: `${server.url}fleet_lock${slash}`,
      fetch: ((input: string | URL | Request, init?: RequestInit) => (seen.push(String(input)), fetch(input, init))) as typeof fetch,
    });
    expect((await c.steadyState(ID_A, "default")).kind).toBe("ok");
    expect(seen).toEqual([`${server.url}fleet_lock/v1/steady-state`]);
  });

  test("a call that outlives its timeout is a timeout, and the server survives it", async () => {
    const backend = new MemoryBackend({ default: 1 });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    backend.intercept = () => gate.then((): LockOutcome => ({ kind: "unlocked", released: false }));
    const { server } = serve(backend);
    const c = createFleetLockClient({ baseUrl: server.url, timeoutMs: 100 });
    expect(await c.steadyState(ID_A, "default")).toEqual({ kind: "timeout", timeoutMs: 100 });
    release();
    backend.intercept = undefined;
    expect((await createFleetLockClient({ baseUrl: server.url }).steadyState(ID_A, "default")).kind).toBe("ok");
  });

  test("the caller's abort is reported as aborted", async () => {
    const backend = new MemoryBackend({ default: 1 });
    backend.intercept = () => new Promise<LockOutcome>(() => {});
    const { server } = serve(backend);
    const ac = new AbortController();
    const p = createFleetLockClient({ baseUrl: server.url }).preReboot(ID_A, "default", ac.signal);
    ac.abort();
    expect(await p).toEqual({ kind: "aborted" });
  });

  test("nothing listening is a network error", async () => {
    const { server } = serve();
    const url = server.url;
    await server.stop(true);
    const r = await createFleetLockClient({ baseUrl: url, timeoutMs: 2000 }).preReboot(ID_A, "default");
    expect(r.kind).toBe("network_error");
  });

  test.each([
    ["text body", () => new Response("bad gateway", { status: 502 }), { kind: "http_error", status: 502, error: { kind: "generic_http_502" } }],
    ["JSON without kind", () => Response.json({ error: "x" }, { status: 500 }), { kind: "http_error", status: 500 }],
    ["empty kind", () => Response.json({ kind: "", value: "v" }, { status: 400 }), { kind: "http_error", status: 400 }],
    ["another server's kind", () => Response.json({ kind: "failed_lock", value: "all 1 semaphore slots currently locked" }, { status: 500 }), { kind: "refused", status: 500, error: { kind: "failed_lock" } }],
    ["a redirect is not followed", () => new Response(null, { status: 307, headers: { location: "http://127.0.0.1:1/" } }), { kind: "http_error", status: 307 }],
    ["any 2xx is success (airlock: empty body)", () => new Response(null, { status: 204 }), { kind: "ok", status: 204 }],
  ])("a foreign server answering with %s", async (_n, respond, expected) => {
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: respond });
    cleanups.push(() => other.stop(true));
    const r = await createFleetLockClient({ baseUrl: `http://127.0.0.1:${other.port}/` }).preReboot(ID_A, "default");
    expect(r).toMatchObject(expected);
  });

  test("the request is what Zincati sends: POST, the header, client_params", async () => {
    let got: { method: string; header: string | null; body: unknown; path: string } | undefined;
    const other = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => ((got = { method: req.method, header: req.headers.get("fleet-lock-protocol"), body: await req.json(), path: new URL(req.url).pathname }), new Response("ok")),
    });
    cleanups.push(() => other.stop(true));
    await createFleetLockClient({ baseUrl: `http://127.0.0.1:${other.port}` }).steadyState(ID_A, "workers");
    expect(got).toEqual({ method: "POST", header: "true", body: { client_params: { id: ID_A, group: "workers" } }, path: "/v1/steady-state" });
  });

  test("server TLS: the client trusts a private CA", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crd-fleetlock-tls-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const tls = await makeTlsMaterial(dir);
    const { server } = serve(undefined, { cert: await Bun.file(tls.serverCertFile).text(), key: await Bun.file(tls.serverKeyFile).text() });
    expect(server.url).toStartWith("https://");
    const base = `https://localhost:${server.port}/`;
    expect(await createFleetLockClient({ baseUrl: base, ca: tls.ca.toString() }).preReboot(ID_A, "default")).toEqual({ kind: "ok", status: 200 });
    // Without the CA the certificate is not trusted.
    expect((await createFleetLockClient({ baseUrl: base }).preReboot(ID_A, "default")).kind).toBe("network_error");
  });
});

describe("checkBaseUrl", () => {
  test.each([
    ["http://127.0.0.1:8080/", null],
    ["https://fleetlock.example.internal/fleet_lock/", null],
    ["ftp://x/", "expected an http:// or https:// URL"],
    ["not a url", "expected an http:// or https:// URL"],
    ["http://x/?a=1", "must not carry a query"],
  ])("%s", (raw, problem) => {
    const r = checkBaseUrl(raw);
    if (problem === null) expect(r).toBeNull();
    else expect(r).toContain(problem);
  });
});

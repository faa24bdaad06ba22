/** The listener: address parsing, and hostile traffic over a real loopback socket. */
import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { BODY_BACKSTOP_BYTES, createFleetLockHandler, parseListen, startFleetLockServer, type RunningServer } from "../../../src/fleetlock/index.ts";
import { ID_A, MemoryBackend, type Body } from "./_fake.ts";

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop(true);
  server = undefined;
});

function serve(): RunningServer {
  server = startFleetLockServer({ listen: "127.0.0.1:0", handler: createFleetLockHandler({ backend: new MemoryBackend({ default: 1 }), maxBodyBytes: 1024 }) });
  return server;
}

const post = (url: string, body: Body, headers: Record<string, string> = {}) =>
  fetch(`${url}v1/pre-reboot`, { method: "POST", headers: { "fleet-lock-protocol": "true", ...headers }, body, duplex: "half" } as RequestInit);

/** Sends raw bytes, returns the first response line (or "" if the server just closed). */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    s.on("data", (d) => {
      out += d.toString();
      if (out.includes("\r\n")) {
        s.destroy();
        resolve(out.split("\r\n")[0]!);
      }
    });
    s.on("error", reject);
    s.on("close", () => resolve(out.split("\r\n")[0] ?? ""));
  });
}

describe("parseListen", () => {
  test.each([
    ["127.0.0.1:8080", { hostname: "127.0.0.1", port: 8080 }],
    ["[::1]:9", { hostname: "::1", port: 9 }],
    [":8080", { hostname: "0.0.0.0", port: 8080 }],
    ["localhost:0", { hostname: "localhost", port: 0 }],
  ])("%s", (listen, expected) => {
    expect(parseListen(listen)).toEqual(expected);
  });
});

describe("hostile traffic over a socket", () => {
  test("a body over max_body_bytes gets our JSON 413", async () => {
    const s = serve();
    const res = await post(s.url, "x".repeat(2000));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ kind: "payload_too_large" });
  });

  test("a chunked body over the limit gets our JSON 413", async () => {
    const s = serve();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 50; i++) c.enqueue(new Uint8Array(100).fill(0x20));
        c.close();
      },
    });
    const res = await post(s.url, stream);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ kind: "payload_too_large" });
  });

  test("a body beyond Bun's backstop is refused by Bun with 413", async () => {
    const s = serve();
    const res = await post(s.url, new Uint8Array(BODY_BACKSTOP_BYTES + 1));
    expect(res.status).toBe(413);
  });

  test.each([
    ["not HTTP at all", "\x00\x01\x02 hello\r\n\r\n"],
    ["a huge Content-Length with a short body", "POST /v1/pre-reboot HTTP/1.1\r\nHost: a\r\nfleet-lock-protocol: true\r\nContent-Length: 99999999999\r\n\r\n{}"],
    ["a negative Content-Length", "POST /v1/pre-reboot HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n{}"],
    ["a request line with a bad method", "P@ST /v1/pre-reboot HTTP/1.1\r\nHost: a\r\n\r\n"],
  ])("%s gets an error or a closed socket, and the server keeps serving", async (_n, bytes) => {
    const s = serve();
    const line = await rawExchange(s.port, bytes);
    expect(line === "" || /^HTTP\/1\.1 4\d\d/.test(line)).toBe(true);
    const ok = await post(s.url, JSON.stringify({ client_params: { id: ID_A, group: "default" } }));
    expect(ok.status).toBe(200);
  });
});

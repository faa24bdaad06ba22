/** The partition proxy of the chaos run (scripts/chaos/proxy.ts), against a loopback echo server. */
import { afterAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { TcpProxy } from "../../scripts/chaos/proxy.ts";
import { waitFor } from "../support/wait.ts";

const echo = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s, b) => void s.write(b) } });
const proxy = new TcpProxy(echo.port);
proxy.start();
afterAll(() => {
  proxy.stop();
  echo.stop(true);
});

/** A client of the proxy that collects what comes back and notes when it is closed. */
async function client() {
  const st = { got: "", closed: false, sock: undefined as Socket | undefined };
  st.sock = await Bun.connect({ hostname: "127.0.0.1", port: proxy.port, socket: { data: (_s, b) => void (st.got += b.toString()), close: () => void (st.closed = true) } });
  return st;
}

test("forwards both ways, drops and blackholes on partition, forwards again after heal", async () => {
  const a = await client();
  a.sock!.write("ping");
  await waitFor(() => a.got === "ping" || undefined, { timeoutMs: 5_000, what: "echo through the proxy" });

  proxy.partition("drop");
  await waitFor(() => a.closed || undefined, { timeoutMs: 5_000, what: "the connection dropped" });
  const b = await client();
  await waitFor(() => b.closed || undefined, { timeoutMs: 5_000, what: "a new connection refused while dropping" });

  proxy.partition("blackhole");
  const c = await client();
  c.sock!.write("lost");
  await Bun.sleep(200); // nothing must come back: absence can only be checked over a time
  expect(c.got).toBe("");
  expect(c.closed).toBe(false);

  proxy.heal();
  await waitFor(() => c.closed || undefined, { timeoutMs: 5_000, what: "blackholed connection closed on heal" });
  const d = await client();
  d.sock!.write("pong");
  await waitFor(() => d.got === "pong" || undefined, { timeoutMs: 5_000, what: "echo after heal" });
  d.sock!.end();
});

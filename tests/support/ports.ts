/**
 * Free loopback TCP ports for test servers.
 *
 * We bind port 0, read what the kernel chose and close again. Another process can grab the
 * port before our server binds it, so callers must detect EADDRINUSE and retry with new ports
 * (startEtcd does); ports handed out here are also remembered so one test run never hands out
 * the same port twice.
 */
import { createServer } from "node:net";

const handedOut = new Set<number>();

/** One free port on 127.0.0.1, not returned before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await bindZero();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("could not find an unused loopback port in 20 attempts");
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePort());
  return ports;
}

function bindZero(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port from listen(0)"))));
    });
  });
}

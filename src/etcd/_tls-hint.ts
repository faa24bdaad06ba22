/**
 * A TLS etcd reached through a plain `http://` endpoint fails every call with gRPC's "No
 * connection established. Last error: Failed to connect", which reads like "etcd is down". When a
 * call fails as unavailable and an endpoint is plain, we ask that endpoint once for a TLS
 * handshake (certificate not checked: we only want to know what it speaks); if it answers, the
 * error says so and how to fix it. One probe per endpoint for the gateway's life once it answered
 * TLS, at most one every 30 s while it did not.
 */
import { connect } from "node:tls";
import { EtcdError } from "./errors.ts";
import type { EtcdGateway } from "./gateway.ts";

const PROBE_TIMEOUT_MS = 1_500;
const RETRY_PROBE_MS = 30_000;

/** Resolves true when `host:port` completes a TLS handshake (any certificate), false otherwise. */
export function speaksTls(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["h2"], ...(isIp(host) ? {} : { servername: host }) });
    const done = (v: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("secureConnect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const isIp = (h: string) => /^[0-9.]+$/.test(h) || h.includes(":");

/** The gateway, with the TLS hint added to "unavailable" errors when a plain endpoint speaks TLS. */
export function withTlsHint(gw: EtcdGateway, endpoints: readonly string[]): EtcdGateway {
  const plain = endpoints.filter((e) => e.startsWith("http://")).map((e) => new URL(e));
  if (plain.length === 0) return gw;
  const known = new Map<string, { tls: boolean; at: number }>();
  const hint = async (): Promise<string | undefined> => {
    const found: string[] = [];
    for (const u of plain) {
      const k = known.get(u.host);
      let tls = k?.tls ?? false;
      if (!k || (!k.tls && Date.now() - k.at > RETRY_PROBE_MS)) {
        tls = await speaksTls(u.hostname.replace(/^\[|\]$/g, ""), Number(u.port || 80));
        known.set(u.host, { tls, at: Date.now() });
      }
      if (tls) found.push(`http://${u.host}`);
    }
    if (found.length === 0) return undefined;
    return `${found.join(", ")} answer${found.length === 1 ? "s" : ""} with TLS but the endpoint says http://: the server speaks TLS and the endpoint does not (write https:// and set etcd_tls.enabled with ca_file)`;
  };
  const wrap = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (err) {
        if (!(err instanceof EtcdError) || err.kind !== "unavailable") throw err;
        const h = await hint().catch(() => undefined);
        throw h ? new EtcdError("unavailable", `${err.message.replace(/: etcd unavailable: .*$/s, "")}: etcd unreachable: ${h} (gRPC said: ${err.message.replace(/^.*?: etcd unavailable: /s, "")})`, { cause: err }) : err;
      }
    };
  return {
    snapshot: wrap(gw.snapshot.bind(gw)),
    txn: wrap(gw.txn.bind(gw)),
    get: wrap(gw.get.bind(gw)),
    getPrefix: wrap(gw.getPrefix.bind(gw)),
    grantLease: wrap(gw.grantLease.bind(gw)),
    leaseTtl: wrap(gw.leaseTtl.bind(gw)),
    watchPrefix: wrap(gw.watchPrefix.bind(gw)),
    close: () => gw.close(),
  };
}

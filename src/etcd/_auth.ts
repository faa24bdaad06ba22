/**
 * etcd3 1.1.2 logs in (etcd_auth) through a gRPC Auth client it builds itself, per attempt, with
 * the TLS credentials but *without* the channel options: with an IP endpoint and
 * etcd_tls.server_name, grpc.ssl_target_name_override never reaches that handshake, so login
 * always fails ("14 UNAVAILABLE … Last error: null": a fresh channel per attempt never records
 * the TLS error), and every attempt leaves one more channel open. We route the login through the
 * pool's own per-host Auth client instead: same options as every other call, one channel per
 * host, closed with the client.
 */
import type { Etcd3 } from "etcd3";
import { Metadata } from "@grpc/grpc-js";
import { castGrpcError } from "etcd3";

type Callback = (err: Error | null, res?: { token: string }) => void;
interface AuthService {
  authenticate(req: { name: string; password: string }, meta: Metadata, opts: object, cb: Callback): void;
}
interface PoolHost {
  host: string;
  getServiceClient(name: "Auth"): AuthService;
}
interface PoolShape {
  hosts: PoolHost[];
  authenticator: {
    getCredentialsFromHost(address: string, name: string, password: string, callOptions: object | undefined): Promise<string>;
  };
}

/** Replaces the login transport on `client`; throws (a bug/environment failure) if etcd3's internals changed. */
export function loginThroughPool(client: Etcd3): void {
  const pool = (client as unknown as { pool?: Partial<PoolShape> }).pool;
  if (!pool || !Array.isArray(pool.hosts) || typeof pool.authenticator?.getCredentialsFromHost !== "function")
    throw new Error("etcd3's connection pool is not shaped as expected (etcd3 upgraded?): cannot route etcd_auth login through the TLS options");
  const hosts = pool.hosts;
  pool.authenticator.getCredentialsFromHost = (address, name, password, callOptions) => {
    const host = hosts.find((h) => h.host === address);
    if (host === undefined) return Promise.reject(new Error(`etcd3 asked to log in at ${address}, which is not one of its hosts`));
    return new Promise<string>((resolve, reject) => {
      host.getServiceClient("Auth").authenticate({ name, password }, new Metadata(), callOptions ?? {}, (err, res) => {
        if (err) reject(castGrpcError(err));
        else resolve(res!.token);
      });
    });
  };
}

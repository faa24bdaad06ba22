/**
 * Our etcd client (connectEtcd, as the daemon builds it from etcd_tls) against a real etcd with TLS
 * and client-certificate auth: mTLS by DNS name, by IP with server_name, and refusal without a
 * client certificate. Also the daemon's config path: `cluster --json` with an etcd_tls block, and
 * etcd_auth on top of TLS (the k3s control-plane layout plus a password): the login must use the
 * same TLS name as every other call, and a failing handshake must still name the certificate problem.
 * A TLS server behind a plain http:// endpoint is named as such, not as "etcd unavailable".
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd } from "../../src/etcd/index.ts";
import { DEFAULT_AUTH, makeTlsMaterial, startEtcd, type EtcdCluster, type TlsMaterial } from "../support/etcd.ts";

let dir: string;
let tls: TlsMaterial;
let cluster: EtcdCluster;
let authed: EtcdCluster;
/** A second CA that signed nothing etcd trusts: the "wrong ca_file" case. */
let stranger: TlsMaterial;
const port = () => new URL(cluster.endpoints[0]!).port;
const authPort = () => new URL(authed.endpoints[0]!).port;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crd-tls-"));
  tls = await makeTlsMaterial(dir);
  await mkdir(join(dir, "stranger"));
  stranger = await makeTlsMaterial(join(dir, "stranger"));
  [cluster, authed] = await Promise.all([startEtcd({ tls }), startEtcd({ tls, auth: true })]);
});
afterAll(async () => {
  await Promise.all([cluster?.stop(), authed?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const login = { username: DEFAULT_AUTH.user, password: DEFAULT_AUTH.password };

test("etcd_auth + mTLS to an IP with server_name (k3s layout plus a password) connects", async () => {
  const gw = await connectEtcd({
    endpoints: [`https://127.0.0.1:${authPort()}`],
    requestTimeoutMs: 3000,
    tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey, serverName: "localhost" },
    auth: login,
  });
  try {
    expect(await gw.txn([], [{ kind: "put", key: `${DEFAULT_AUTH.prefix}tls-auth-probe`, value: "1" }])).toMatchObject({ succeeded: true });
    expect((await gw.get(`${DEFAULT_AUTH.prefix}tls-auth-probe`))?.value).toBe("1");
  } finally {
    await gw.close();
  }
});

test.each([
  ["a CA that did not sign the server certificate", () => ({ ca: stranger.ca, serverName: "localhost" }), /TLS handshake failed.*(certificate|self[- ]signed)/],
  ["a server_name the certificate does not carry", () => ({ ca: tls.ca, serverName: "wrong.example" }), /TLS handshake failed.*wrong\.example/],
] as const)("etcd_auth + TLS with %s: the error names the certificate problem", async (_name, tlsOf, expected) => {
  const gw = await connectEtcd({
    endpoints: [`https://127.0.0.1:${authPort()}`],
    requestTimeoutMs: 3000,
    tls: { cert: tls.clientCert, key: tls.clientKey, ...tlsOf() },
    auth: login,
  });
  try {
    const err = await gw.get(`${DEFAULT_AUTH.prefix}x`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(expected);
    expect((err as Error).message).not.toContain("Last error: null");
  } finally {
    await gw.close();
  }
});

test.each([
  ["mTLS to the certificate's DNS name", () => `https://localhost:${port()}`, undefined, true],
  ["mTLS to an IP with etcd_tls.server_name", () => `https://127.0.0.1:${port()}`, "localhost", true],
  ["no client certificate is refused (client-cert-auth)", () => `https://localhost:${port()}`, undefined, false],
] as const)("%s", async (_name, endpoint, serverName, withCert) => {
  const gw = await connectEtcd({
    endpoints: [endpoint()],
    requestTimeoutMs: 3000,
    tls: { ca: tls.ca, ...(withCert ? { cert: tls.clientCert, key: tls.clientKey } : {}), ...(serverName ? { serverName } : {}) },
  });
  try {
    const res = await gw.txn([], [{ kind: "put", key: "/clusterrebootd/tls-probe", value: "1" }]).catch((e: unknown) => e);
    if (withCert) expect(res).toMatchObject({ succeeded: true });
    else expect(res).toBeInstanceOf(Error);
  } finally {
    await gw.close();
  }
});

test("a TLS etcd reached with a plain http:// endpoint: the error says the server speaks TLS and the endpoint does not", async () => {
  const gw = await connectEtcd({ endpoints: [`http://127.0.0.1:${port()}`], requestTimeoutMs: 2000 });
  try {
    const err = await gw.get("/clusterrebootd/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`http://127.0.0.1:${port()} answers with TLS`);
    expect((err as Error).message).toContain("the server speaks TLS and the endpoint does not");
    expect((err as Error).message).toContain("https://");
  } finally {
    await gw.close();
  }
  // A plain endpoint where nothing listens stays "unavailable", without a TLS hint.
  const none = await connectEtcd({ endpoints: ["http://127.0.0.1:9"], requestTimeoutMs: 1000 });
  try {
    const err = await none.get("/clusterrebootd/x").catch((e: unknown) => e);
    expect((err as Error).message).toContain("etcd unavailable");
    expect((err as Error).message).not.toContain("speaks TLS");
  } finally {
    await none.close();
  }
});

test("the daemon's config path: etcd_tls with files and server_name reaches etcd", async () => {
  const health = join(dir, "health.sh");
  await writeFile(health, "#!/bin/sh\nexit 0\n");
  await chmod(health, 0o755);
  const cfg = join(dir, "c.yaml");
  await writeFile(
    cfg,
    [
      "node_name: tls1",
      "reboot_required_detectors: [{type: file, path: /nonexistent/reboot-required}]",
      `health_script: ${health}`,
      `etcd_endpoints: ["https://127.0.0.1:${port()}"]`,
      "etcd_tls:",
      "  enabled: true",
      `  ca_file: ${tls.caFile}`,
      `  cert_file: ${tls.clientCertFile}`,
      `  key_file: ${tls.clientKeyFile}`,
      "  server_name: localhost",
    ].join("\n"),
  );
  const proc = Bun.spawn([process.execPath, "src/main.ts", "cluster", "--json", "--config", cfg], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out).namespace).toBe("/clusterrebootd");
});

/**
 * Throw-away PKI for TLS tests, made with the openssl CLI: a CA, a server certificate for
 * `localhost` / 127.0.0.1 and a client certificate, all signed by that CA.
 *
 * EC P-256 keys keep generation to a few milliseconds. The server certificate names both
 * DNS:localhost and IP:127.0.0.1 because clients differ: Bun refuses an IP as TLS server name
 * (so our clients dial https://localhost), while etcdctl and etcd's own peers may use the IP.
 */
import { join } from "node:path";

export interface TlsMaterial {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** PEM contents, ready for etcd3's `credentials` and fetch's `tls`. */
  ca: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

/** Creates the CA, server and client key pairs under `dir` (which must exist). */
export async function makeTlsMaterial(dir: string): Promise<TlsMaterial> {
  const f = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(dir, ["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.pem"),
    "-days", "2", "-subj", "/CN=clusterrebootd test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  await issue(dir, "server", "localhost",
    ["subjectAltName=DNS:localhost,IP:127.0.0.1", "extendedKeyUsage=serverAuth,clientAuth"]);
  await issue(dir, "client", "clusterrebootd-test-client", ["extendedKeyUsage=clientAuth"]);
  const read = (name: string) => Bun.file(f(name)).bytes().then((b) => Buffer.from(b));
  return {
    dir,
    caFile: f("ca.pem"),
    serverCertFile: f("server.pem"),
    serverKeyFile: f("server.key"),
    clientCertFile: f("client.pem"),
    clientKeyFile: f("client.key"),
    ca: await read("ca.pem"),
    clientCert: await read("client.pem"),
    clientKey: await read("client.key"),
  };
}

/** Key + CSR, then a CA-signed certificate carrying `extensions`. */
async function issue(dir: string, name: string, cn: string, extensions: string[]): Promise<void> {
  const f = (file: string) => join(dir, file);
  await openssl(dir, ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/CN=${cn}`]);
  await Bun.write(f(`${name}.ext`), `${["keyUsage=critical,digitalSignature", ...extensions].join("\n")}\n`);
  await openssl(dir, ["x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca.key"),
    "-CAcreateserial", "-days", "2", "-out", f(`${name}.pem`), "-extfile", f(`${name}.ext`)]);
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  const proc = Bun.spawn(["openssl", ...args], { cwd, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`openssl ${args[0]} failed (exit ${code}): ${stderr.trim()}`);
}

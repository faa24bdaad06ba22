/** Kubeconfig and in-cluster connection loading, with an in-memory file system. */
import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { inClusterLoader, kubeconfigLoader, parseKubeconfig, type ConnectionResult } from "../../../src/kube/index.ts";
import type { Fs } from "../../../src/platform/index.ts";

const PEM = (what: string) => `-----BEGIN ${what}-----\nMIIB\n-----END ${what}-----\n`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

function memFs(files: Record<string, string>): Fs {
  return {
    readText: async (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return files[path]!;
    },
    stat: async () => ({ kind: "missing" }),
    writeAtomic: async () => {},
    remove: async () => {},
  };
}

/** A kubeconfig like the one k3s writes, with `user` and `cluster` overridable. */
function kubeconfig(o: { user?: Record<string, unknown>; cluster?: Record<string, unknown>; current?: string | null; extraContext?: boolean } = {}) {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": b64(PEM("CERTIFICATE")), ...o.cluster } }],
    contexts: [
      { name: "default", context: { cluster: "default", user: "default" } },
      ...(o.extraContext ? [{ name: "ops", context: { cluster: "default", user: "ops" } }] : []),
    ],
    "current-context": o.current === undefined ? "default" : o.current,
    users: [
      { name: "default", user: o.user ?? { "client-certificate-data": b64(PEM("CERTIFICATE")), "client-key-data": b64(PEM("EC PRIVATE KEY")) } },
      { name: "ops", user: { token: "ops-token" } },
    ],
  });
}

const ok = (r: ConnectionResult) => {
  if (r.kind !== "ok") throw new Error(r.message);
  return r.conn;
};

describe("kubeconfig", () => {
  test("k3s.yaml: embedded CA, client certificate and key", async () => {
    const conn = ok(await parseKubeconfig(kubeconfig(), "/etc/rancher/k3s/k3s.yaml", null, memFs({})));
    expect(conn).toMatchObject({ server: "https://127.0.0.1:6443", token: null, insecureSkipVerify: false, serverName: null, source: "kubeconfig /etc/rancher/k3s/k3s.yaml (context default)" });
    expect(conn.ca).toContain("BEGIN CERTIFICATE");
    expect(conn.cert).toContain("BEGIN CERTIFICATE");
    expect(conn.key).toContain("BEGIN EC PRIVATE KEY");
  });

  test("file references resolve relative to the kubeconfig's directory", async () => {
    const fs = memFs({ "/etc/kube/ca.crt": PEM("CERTIFICATE"), "/etc/kube/me.crt": PEM("CERTIFICATE"), "/abs/me.key": PEM("PRIVATE KEY") });
    const text = kubeconfig({ cluster: { "certificate-authority-data": null, "certificate-authority": "ca.crt" }, user: { "client-certificate": "me.crt", "client-key": "/abs/me.key" } });
    const conn = ok(await parseKubeconfig(text, "/etc/kube/config", null, fs));
    expect([conn.ca, conn.cert, conn.key].map((x) => x?.split("\n")[0])).toEqual(["-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----"]);
  });

  test.each([
    ["a token", { token: "abc" }, { token: "abc" }],
    ["a tokenFile (trimmed)", { tokenFile: "/run/token" }, { token: "from-file" }],
  ])("user with %s", async (_what, user, expected) => {
    const conn = ok(await parseKubeconfig(kubeconfig({ user }), "/k", null, memFs({ "/run/token": "from-file\n" })));
    expect(conn).toMatchObject({ ...expected, cert: null, key: null });
  });

  test("an explicit context wins over current-context", async () => {
    const conn = ok(await parseKubeconfig(kubeconfig({ extraContext: true }), "/k", "ops", memFs({})));
    expect(conn).toMatchObject({ token: "ops-token", source: "kubeconfig /k (context ops)" });
  });

  test("tls-server-name and insecure-skip-tls-verify are honoured", async () => {
    const conn = ok(await parseKubeconfig(kubeconfig({ cluster: { "tls-server-name": "kubernetes", "insecure-skip-tls-verify": true } }), "/k", null, memFs({})));
    expect(conn).toMatchObject({ serverName: "kubernetes", insecureSkipVerify: true });
  });

  test.each([
    ["not YAML", "a: [", null, "not valid YAML"],
    ["no current-context", kubeconfig({ current: null }), null, "no context given and no current-context set"],
    ["an unknown context", kubeconfig(), "nope", 'context "nope" not found'],
    ["an exec plugin", kubeconfig({ user: { exec: { command: "aws" } } }), null, "does not run"],
    ["a certificate without key", kubeconfig({ user: { "client-certificate-data": b64(PEM("CERTIFICATE")) } }), null, "client certificate and key go together"],
    ["data that is not PEM", kubeconfig({ user: { "client-certificate-data": b64("hello"), "client-key-data": b64("x") } }), null, "client-certificate-data is not base64 of a PEM block"],
    ["a missing CA file", kubeconfig({ cluster: { "certificate-authority-data": null, "certificate-authority": "/none/ca.crt" } }), null, "cannot read /none/ca.crt"],
    ["a server that is not a URL", kubeconfig({ cluster: { server: "not a url" } }), null, "is not a URL"],
    ["clusters of the wrong shape", stringify({ clusters: "x" }), null, "clusters"],
  ])("%s is an error naming the problem", async (_what, text, context, message) => {
    const r = await parseKubeconfig(text, "/k", context, memFs({}));
    expect(r.kind).toBe("error");
    expect(r.kind === "error" ? r.message : "").toContain(message);
  });

  test("a kubeconfig that does not exist says which path", async () => {
    const r = await kubeconfigLoader("/etc/rancher/k3s/k3s.yaml", null, memFs({}))();
    expect(r).toMatchObject({ kind: "error", message: expect.stringContaining("cannot read kubeconfig /etc/rancher/k3s/k3s.yaml") });
  });
});

describe("in-cluster", () => {
  const sa = { "/sa/token": "sa-token\n", "/sa/ca.crt": PEM("CERTIFICATE") };
  test.each([
    ["IPv4", "10.43.0.1", "https://10.43.0.1:443"],
    ["IPv6", "fd00::1", "https://[fd00::1]:443"],
  ])("builds the server URL from KUBERNETES_SERVICE_HOST (%s)", async (_what, host, url) => {
    const conn = ok(await inClusterLoader({ KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: "443" }, memFs(sa), "/sa")());
    expect(conn).toMatchObject({ server: url, token: "sa-token", source: "in-cluster service account" });
  });

  test("outside a pod it says so", async () => {
    const r = await inClusterLoader({}, memFs(sa), "/sa")();
    expect(r).toMatchObject({ kind: "error", message: expect.stringContaining("not running in a pod?") });
  });

  test("a missing token file is an error", async () => {
    const r = await inClusterLoader({ KUBERNETES_SERVICE_HOST: "10.43.0.1", KUBERNETES_SERVICE_PORT: "443" }, memFs({}), "/sa")();
    expect(r).toMatchObject({ kind: "error", message: expect.stringContaining("service-account token") });
  });
});

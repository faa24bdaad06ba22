/** The dashboard's settings: the `dashboard:` config block and the command's flags over it. */
import { describe, expect, test } from "bun:test";
import { resolveSettings } from "../../../src/dashboard/index.ts";
import { KEY_PEM, loadData, mustLoad, PEM, problemsOf, withKeys, DEFAULT_FILES } from "../config/_helpers.ts";

const files: Record<string, string> = { "/pw": "s3cret\n", "/empty": "\n", "/cert.pem": PEM, "/key.pem": KEY_PEM, "/plain.txt": "hi" };
const read = async (p: string) => {
  const t = files[p];
  if (t === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
  return t;
};
const defaults = async () => mustLoad(await loadData(withKeys({}))).dashboard;

describe("dashboard: block", () => {
  test("absent = defaults: loopback 127.0.0.1:8090, bounded clients, heartbeat and refresh", async () => {
    expect(await defaults()).toEqual({ listen: "127.0.0.1:8090", basic_auth: null, tls: null, insecure_listen: false, max_clients: 32, heartbeat_sec: 15, min_refresh_ms: 250 });
  });

  test("every problem is named with its field", async () => {
    const problems = problemsOf(
      await loadData(withKeys({ dashboard: { listen: "0.0.0.0:80", max_clients: 5000, heartbeat_sec: 0, min_refresh_ms: 10, tls: { cert_file: "/etc/clusterrebootd/not-pem.txt" }, basic_auth: { username: "ops" }, extra: 1 } })),
    );
    const text = problems.join("\n");
    expect(text).toContain("dashboard.max_clients: must be ≤ 1024, got 5000");
    expect(text).toContain("dashboard.heartbeat_sec: must be > 0");
    expect(text).toContain("dashboard.min_refresh_ms: must be ≥ 50, got 10");
    expect(text).toContain("dashboard.tls.key_file: is required when dashboard.tls is set");
    expect(text).toContain("dashboard.basic_auth.password_file: is required when dashboard.basic_auth is set");
    expect(text).toContain("dashboard.tls.cert_file: /etc/clusterrebootd/not-pem.txt contains no PEM block");
    expect(text).toMatch(/dashboard.*extra/);
  });

  test("beyond loopback needs basic auth or insecure_listen; the password file must be readable", async () => {
    expect(problemsOf(await loadData(withKeys({ dashboard: { listen: "10.0.0.5:8090" } })))).toEqual([expect.stringContaining("dashboard.listen: \"10.0.0.5:8090\" listens on 10.0.0.5, beyond loopback, without basic auth")]);
    mustLoad(await loadData(withKeys({ dashboard: { listen: "10.0.0.5:8090", insecure_listen: true } })));
    mustLoad(await loadData(withKeys({ dashboard: { listen: "[::1]:8090" } })));
    const auth = { listen: ":8090", basic_auth: { username: "ops", password_file: "/etc/clusterrebootd/etcd-password" } };
    mustLoad(await loadData(withKeys({ dashboard: auth })));
    const missing = problemsOf(await loadData(withKeys({ dashboard: { ...auth, basic_auth: { username: "ops", password_file: "/nope" } } }), DEFAULT_FILES));
    expect(missing).toEqual(["dashboard.basic_auth.password_file: cannot read /nope: no such file or directory"]);
  });
});

describe("flags over the block", () => {
  test("flags win; basic auth and TLS are read; the trailing newline is not part of the password", async () => {
    const r = await resolveSettings(await defaults(), { listen: "0.0.0.0:9000", basicAuthUser: "ops", basicAuthPasswordFile: "/pw", tlsCert: "/cert.pem", tlsKey: "/key.pem" }, read);
    if (!r.ok) throw new Error(r.problems.join("\n"));
    expect(r.settings).toMatchObject({ listen: "0.0.0.0:9000", basicAuth: { username: "ops", password: "s3cret" }, tls: { cert: PEM, key: KEY_PEM }, exposed: true, maxClients: 32, heartbeatMs: 15_000, minRefreshMs: 250 });
    expect(r.warnings).toEqual([]);
  });

  test("open beyond loopback: refused, unless --insecure-listen (then a warning); basic auth without TLS warns", async () => {
    const refused = await resolveSettings(await defaults(), { listen: ":9000" }, read);
    expect(refused).toEqual({ ok: false, problems: [expect.stringMatching(/^--listen: ":9000" listens on every interface, beyond loopback, without basic auth/)] });
    const open = await resolveSettings(await defaults(), { listen: ":9000", insecureListen: true }, read);
    expect(open.ok && open.warnings).toEqual([expect.stringContaining("open to anyone")]);
    const clear = await resolveSettings(await defaults(), { listen: ":9000", basicAuthUser: "ops", basicAuthPasswordFile: "/pw" }, read);
    expect(clear.ok && clear.warnings).toEqual([expect.stringContaining("clear text")]);
  });

  test("every flag problem at once", async () => {
    const r = await resolveSettings(await defaults(), { listen: "host", basicAuthPasswordFile: "/empty", tlsKey: "/plain.txt" }, read);
    expect(r.ok ? [] : r.problems).toEqual([
      expect.stringContaining("--listen: expected host:port"),
      "--basic-auth-password-file needs --basic-auth-user (or dashboard.basic_auth.username)",
      "--tls-key needs --tls-cert (the certificate goes with the key)",
      "--basic-auth-password-file: /empty is empty",
      "--tls-key: /plain.txt contains no PEM block; expected a PEM-encoded private key",
    ]);
  });
});

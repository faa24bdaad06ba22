/**
 * Where the API server is and how we authenticate: from a kubeconfig (k3s writes an admin one with
 * embedded client certificate, key and CA to /etc/rancher/k3s/k3s.yaml) or from inside a pod
 * (service-account token and CA at the standard paths). Only what a Pi fleet needs: certificate
 * and token auth. exec plugins and auth providers are refused with a clear message, never ignored.
 */
import { dirname, isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";
import * as v from "valibot";
import { describeFsError, type Fs } from "../platform/index.ts";
import { summarize } from "./objects.ts";

export interface KubeConnection {
  /** https://host:port, no trailing slash. */
  server: string;
  /** PEM texts. */
  ca: string | null;
  cert: string | null;
  key: string | null;
  /** Name to verify in the server certificate (kubeconfig tls-server-name). */
  serverName: string | null;
  insecureSkipVerify: boolean;
  token: string | null;
  /** For messages: `kubeconfig /etc/rancher/k3s/k3s.yaml (context default)`. */
  source: string;
}

export type ConnectionResult = { kind: "ok"; conn: KubeConnection } | { kind: "error"; message: string };
export type ConnectionLoader = () => Promise<ConnectionResult>;

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

const opt = v.optional(v.nullable(v.string()));
const Cluster = v.looseObject({
  server: v.string(),
  "certificate-authority-data": opt,
  "certificate-authority": opt,
  "insecure-skip-tls-verify": v.optional(v.nullable(v.boolean())),
  "tls-server-name": opt,
});
const User = v.looseObject({
  "client-certificate-data": opt,
  "client-key-data": opt,
  "client-certificate": opt,
  "client-key": opt,
  token: opt,
  tokenFile: opt,
  exec: v.optional(v.unknown()),
  "auth-provider": v.optional(v.unknown()),
});
const Context = v.looseObject({ cluster: v.string(), user: v.optional(v.string()) });
const list = <S extends v.GenericSchema>(s: S) => v.optional(v.nullable(v.array(s)));
const Kubeconfig = v.looseObject({
  "current-context": opt,
  clusters: list(v.looseObject({ name: v.string(), cluster: Cluster })),
  users: list(v.looseObject({ name: v.string(), user: v.nullish(User, {}) })),
  contexts: list(v.looseObject({ name: v.string(), context: Context })),
});

/** Loads a kubeconfig file on every call (the API client caches the result for a minute). */
export function kubeconfigLoader(path: string, context: string | null, fs: Fs): ConnectionLoader {
  return async () => {
    let text: string;
    try {
      text = await fs.readText(path);
    } catch (e) {
      return { kind: "error", message: `cannot read kubeconfig ${path}: ${describeFsError(e)}` };
    }
    return parseKubeconfig(text, path, context, fs);
  };
}

/** Parses kubeconfig text; relative file references resolve against the kubeconfig's directory. */
export async function parseKubeconfig(text: string, path: string, context: string | null, fs: Fs): Promise<ConnectionResult> {
  const fail = (why: string): ConnectionResult => ({ kind: "error", message: `kubeconfig ${path}: ${why}` });
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return fail(`not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const p = v.safeParse(Kubeconfig, doc);
  if (!p.success) return fail(summarize(p.issues));
  const kc = p.output;
  const ctxName = context ?? kc["current-context"] ?? null;
  if (ctxName === null || ctxName === "") return fail("no context given and no current-context set");
  const ctx = kc.contexts?.find((c) => c.name === ctxName)?.context;
  if (ctx === undefined) return fail(`context ${JSON.stringify(ctxName)} not found`);
  const cluster = kc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (cluster === undefined) return fail(`cluster ${JSON.stringify(ctx.cluster)} (of context ${ctxName}) not found`);
  const user = ctx.user === undefined ? {} : kc.users?.find((u) => u.name === ctx.user)?.user;
  if (user === undefined) return fail(`user ${JSON.stringify(ctx.user)} (of context ${ctxName}) not found`);
  if (user.exec != null || user["auth-provider"] != null) {
    return fail(`user ${ctx.user} uses an exec plugin or auth provider, which clusterrebootd does not run; use a client certificate or token (k3s's k3s.yaml works as is)`);
  }
  const base = dirname(path);
  const files = { fs, base, fail };
  const ca = await material(cluster["certificate-authority-data"], cluster["certificate-authority"], "certificate-authority", files);
  const cert = await material(user["client-certificate-data"], user["client-certificate"], "client-certificate", files);
  const key = await material(user["client-key-data"], user["client-key"], "client-key", files);
  for (const m of [ca, cert, key]) if (typeof m === "object" && m !== null) return m;
  if ((cert === null) !== (key === null)) return fail(`user ${ctx.user}: client certificate and key go together`);
  let token = user.token ?? null;
  if (token === null && user.tokenFile) {
    const t = await readFile(resolve(base, user.tokenFile), fs);
    if (!t.ok) return fail(`tokenFile: ${t.error}`);
    token = t.text.trim();
  }
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    return fail(`cluster ${ctx.cluster}: server ${JSON.stringify(cluster.server)} is not a URL`);
  }
  return {
    kind: "ok",
    conn: {
      server: server.toString().replace(/\/+$/, ""),
      ca: ca as string | null,
      cert: cert as string | null,
      key: key as string | null,
      serverName: cluster["tls-server-name"] ?? null,
      insecureSkipVerify: cluster["insecure-skip-tls-verify"] === true,
      token,
      source: `kubeconfig ${path} (context ${ctxName})`,
    },
  };
}

/**
 * In a pod: KUBERNETES_SERVICE_HOST/PORT, the projected service-account token (re-read on every
 * load: bound tokens rotate) and the cluster CA.
 */
export function inClusterLoader(env: Record<string, string | undefined>, fs: Fs, dir = SERVICE_ACCOUNT_DIR): ConnectionLoader {
  return async () => {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) return { kind: "error", message: "in-cluster: KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod?)" };
    const [token, ca] = await Promise.all([readFile(join(dir, "token"), fs), readFile(join(dir, "ca.crt"), fs)]);
    if (!token.ok) return { kind: "error", message: `in-cluster: service-account token: ${token.error}` };
    if (!ca.ok) return { kind: "error", message: `in-cluster: service-account CA: ${ca.error}` };
    return {
      kind: "ok",
      conn: {
        server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
        ca: ca.text,
        cert: null,
        key: null,
        serverName: null,
        insecureSkipVerify: false,
        token: token.text.trim(),
        source: "in-cluster service account",
      },
    };
  };
}

// --- internal ---

interface Files {
  fs: Fs;
  base: string;
  fail: (why: string) => ConnectionResult;
}

/** Inline base64 data wins over a file reference (kubectl's rule). null = not configured. */
async function material(data: string | null | undefined, file: string | null | undefined, what: string, f: Files): Promise<string | null | ConnectionResult> {
  if (data) {
    const text = Buffer.from(data, "base64").toString("utf8");
    return text.includes("-----BEGIN") ? text : f.fail(`${what}-data is not base64 of a PEM block`);
  }
  if (!file) return null;
  const r = await readFile(resolve(f.base, file), f.fs);
  return r.ok ? r.text : f.fail(`${what}: ${r.error}`);
}

function resolve(base: string, p: string): string {
  return isAbsolute(p) ? p : join(base, p);
}

async function readFile(path: string, fs: Fs): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  try {
    return { ok: true, text: await fs.readText(path) };
  } catch (e) {
    return { ok: false, error: `cannot read ${path}: ${describeFsError(e)}` };
  }
}

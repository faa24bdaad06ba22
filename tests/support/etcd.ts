/**
 * Real etcd clusters for integration tests (Debian's /usr/bin/etcd, 3.4.x), on 127.0.0.1 with
 * free random ports and temp data dirs.
 *
 *   const cluster = await startEtcd({ members: 3 });
 *   try { const client = new Etcd3(etcd3Options(cluster)); ... } finally { await cluster.stop(); }
 *
 * Every process is also registered with ./reaper.ts, so a failing or interrupted test run never
 * leaves etcd behind. Tests wait with `waitFor` (conditions with deadlines), never with sleeps.
 */
import type { IOptions } from "etcd3";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { Member, PortInUseError, peerUrl, type EtcdMember, type EtcdTuning } from "./_etcd-member.ts";
import { freePorts } from "./ports.ts";
import { ownedDirPrefix, sweepStaleDirs, trackDir, untrackDir } from "./reaper.ts";
import type { TlsMaterial } from "./tls.ts";
import { waitFor } from "./wait.ts";

export type { EtcdMember, EtcdTuning } from "./_etcd-member.ts";
export { makeTlsMaterial, type TlsMaterial } from "./tls.ts";
export { waitFor, type WaitOptions } from "./wait.ts";

export interface EtcdCluster {
  /** Client URLs of all members, in member order (pass as etcd3 `hosts`). */
  endpoints: string[];
  members: EtcdMember[];
  tls?: TlsMaterial;
  /** Set by {@link enableAuth}: etcdctl calls made by the harness log in as root. */
  root?: { user: "root"; password: string };
  /** The member currently leading (waits for an election to finish, up to 10 s). */
  leader(): Promise<EtcdMember>;
  /** SIGKILLs every member and removes the data dirs. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Data loss: every member SIGKILLed, every data dir emptied, and a new cluster (new cluster id,
   * revisions from 1) started on the same ports. Resolves once every member serves again.
   */
  wipe(): Promise<void>;
}

export interface StartOptions {
  members?: 1 | 3;
  tls?: TlsMaterial;
  /**
   * Enable auth right away (same as calling {@link enableAuth} after start); `true` uses
   * {@link DEFAULT_AUTH}. The cluster's `root` then holds the root credentials.
   */
  auth?: boolean | AuthSetup;
  /** Raft timing and request size (e.g. k3s's 500 / 5000 ms election timing). */
  tuning?: EtcdTuning;
}

/** Credentials `startEtcd({ auth: true })` sets up. */
export const DEFAULT_AUTH: Readonly<AuthSetup> = {
  rootPassword: "root-secret",
  user: "clusterrebootd",
  password: "crd-secret",
  prefix: "/clusterrebootd/",
};

export interface AuthSetup {
  rootPassword: string;
  user: string;
  password: string;
  /** The only key prefix `user` may read and write. */
  prefix: string;
}

/** Starts a 1- or 3-member cluster and resolves once every member reports healthy. */
export async function startEtcd(opts: StartOptions = {}): Promise<EtcdCluster> {
  for (let attempt = 1; ; attempt++) {
    const cluster = await launch(opts.members ?? 1, opts.tls, opts.tuning);
    try {
      await Promise.all(cluster.members.map((m) => m.waitReady()));
      if (opts.auth) await enableAuth(cluster, opts.auth === true ? DEFAULT_AUTH : opts.auth);
      return cluster;
    } catch (error) {
      await cluster.stop();
      // Another process took a port between our pick and etcd's bind: pick again.
      if (error instanceof PortInUseError && attempt < 3) continue;
      throw error;
    }
  }
}

/**
 * Runs `etcdctl` (v3 API) against the cluster, or against `endpoints` when given; returns stdout,
 * throws with stderr on a non-zero exit. Uses root's credentials once auth is enabled.
 */
export async function etcdctl(cluster: EtcdCluster, args: string[], endpoints = cluster.endpoints): Promise<string> {
  const { tls, root } = cluster;
  const argv = [
    "etcdctl", `--endpoints=${endpoints.join(",")}`, "--dial-timeout=2s", "--command-timeout=5s",
    ...(tls ? [`--cacert=${tls.caFile}`, `--cert=${tls.clientCertFile}`, `--key=${tls.clientKeyFile}`] : []),
    ...(root ? [`--user=${root.user}`, `--password=${root.password}`] : []),
    ...args,
  ];
  // A clean environment: stray ETCDCTL_* variables from the caller's shell would change the call.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", ETCDCTL_API: "3" };
  const proc = Bun.spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 20_000, killSignal: "SIGKILL" });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`etcdctl ${args.join(" ")} failed (exit ${code}): ${stderr.trim()}`);
  return stdout;
}

/**
 * Turns on etcd auth: a root user, a role `<user>-rw` with readwrite on `prefix` only, `user`
 * holding that role. Afterwards clients must log in; the harness's etcdctl calls use root.
 */
export async function enableAuth(cluster: EtcdCluster, opts: AuthSetup): Promise<void> {
  const role = `${opts.user}-rw`;
  const steps: string[][] = [
    ["user", "add", "root", `--new-user-password=${opts.rootPassword}`, "--interactive=false"],
    ["role", "add", "root"],
    ["user", "grant-role", "root", "root"],
    ["role", "add", role],
    ["role", "grant-permission", role, "--prefix=true", "readwrite", opts.prefix],
    ["user", "add", opts.user, `--new-user-password=${opts.password}`, "--interactive=false"],
    ["user", "grant-role", opts.user, role],
    ["auth", "enable"],
  ];
  for (const step of steps) await etcdctl(cluster, step);
  cluster.root = { user: "root", password: opts.rootPassword };
}

/**
 * etcd3 client options for the cluster: all endpoints as `hosts`, and mTLS credentials when the
 * cluster uses TLS. `extra` is merged last (e.g. `auth`, `dialTimeout`).
 */
export function etcd3Options(cluster: EtcdCluster, extra: Partial<IOptions> = {}): IOptions {
  const { tls } = cluster;
  return {
    hosts: [...cluster.endpoints],
    ...(tls ? { credentials: { rootCertificate: tls.ca, certChain: tls.clientCert, privateKey: tls.clientKey } } : {}),
    ...extra,
  };
}

// --- internal ---

let swept = false;

async function launch(count: number, tls: TlsMaterial | undefined, tuning: EtcdTuning | undefined): Promise<Cluster> {
  if (!swept) {
    swept = true;
    for (const tool of ["etcd", "etcdctl"]) {
      if (Bun.which(tool) === null) {
        throw new Error(`${tool} not found in PATH; run scripts/setup test (Debian's etcd-server and etcd-client)`);
      }
    }
    sweepStaleDirs("etcd");
  }
  const dir = await mkdtemp(ownedDirPrefix("etcd"));
  trackDir(dir);
  const ports = await freePorts(count * 2);
  const names = Array.from({ length: count }, (_, i) => `m${i}`);
  const initialCluster = names.map((name, i) => `${name}=${peerUrl(ports[2 * i + 1]!)}`).join(",");
  const clusterToken = `crd-test-${randomUUID()}`;
  const members: Member[] = [];
  for (const [i, name] of names.entries()) {
    const dataDir = join(dir, name);
    await mkdir(dataDir, { mode: 0o700 });
    const member = new Member({
      name, dataDir, logFile: join(dir, `${name}.log`), initialCluster, clusterToken, tls, ...(tuning ? { tuning } : {}),
      clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]!,
    });
    member.start();
    members.push(member);
  }
  return new Cluster(dir, members, tls);
}

class Cluster implements EtcdCluster {
  readonly endpoints: string[];
  root?: { user: "root"; password: string };
  private stopped = false;

  constructor(
    private readonly dir: string,
    readonly members: Member[],
    readonly tls: TlsMaterial | undefined,
  ) {
    this.endpoints = members.map((m) => m.clientUrl);
  }

  async leader(): Promise<EtcdMember> {
    return waitFor(
      async () => {
        const running = this.members.filter((m) => m.running);
        const out = await etcdctl(this, ["endpoint", "status", "-w", "json"], running.map((m) => m.clientUrl));
        // Member ids are uint64: compare them as text, JSON.parse would round them.
        for (const [, endpoint, memberId, leaderId] of out.matchAll(
          /"Endpoint":"([^"]+)","Status":\{"header":\{[^}]*"member_id":(\d+)[^}]*\}.*?"leader":(\d+)/g,
        )) {
          if (memberId === leaderId) return running.find((m) => m.clientUrl === endpoint);
        }
        return undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "an etcd leader to be elected" },
    );
  }

  async wipe(): Promise<void> {
    if (this.stopped) throw new Error("etcd cluster already stopped");
    await Promise.all(this.members.map((m) => m.kill("SIGKILL")));
    const token = `crd-test-${randomUUID()}`;
    for (const m of this.members) await m.wipe(token);
    await Promise.all(this.members.map((m) => m.waitReady()));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.members.map((m) => m.kill("SIGKILL")));
    await rm(this.dir, { recursive: true, force: true });
    untrackDir(this.dir);
  }
}

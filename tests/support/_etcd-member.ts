/**
 * One real etcd process for tests: spawn, health polling, kill, restart on the same data dir.
 * Used through `startEtcd` in ./etcd.ts; kept apart so the cluster code stays readable.
 */
import type { Subprocess } from "bun";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { parentDeathPrefix, trackChild } from "./reaper.ts";
import type { TlsMaterial } from "./tls.ts";
import { waitFor } from "./wait.ts";

export interface EtcdMember {
  name: string;
  /** URL clients dial: http://127.0.0.1:<port>, or https://localhost:<port> with TLS. */
  clientUrl: string;
  /** PID of the current process (changes on restart); 0 before the first start. */
  readonly pid: number;
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL: a crash, not a shutdown) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on its data dir and ports (killing it first if running), then waits until healthy. */
  restart(): Promise<void>;
  /** Resolves once /health says ok (the member sees a leader); throws with its log tail if it exits or times out. */
  waitReady(timeoutMs?: number): Promise<void>;
}

/** etcd could not bind one of its ports (someone took it after we picked it): retry with new ones. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
}

export interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  logFile: string;
  initialCluster: string;
  clusterToken: string;
  tls?: TlsMaterial;
  tuning?: EtcdTuning;
}

/** etcd flags a test may change from our fast defaults. */
export interface EtcdTuning {
  /**
   * Raft timing. etcd's minimum lease TTL is ceil(1.5 × election timeout) and it silently raises
   * shorter leases to it: k3s's 500 ms / 5000 ms make that 8 s, our default 100 / 1000 make it 2 s.
   */
  heartbeatMs?: number;
  electionMs?: number;
  /** --max-request-bytes (etcd's default 1.5 MiB): room to store values larger than gRPC's 4 MiB. */
  maxRequestBytes?: number;
}

export const peerUrl = (port: number) => `http://127.0.0.1:${port}`;

export class Member implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  private proc: Subprocess | undefined;

  constructor(private readonly spec: MemberSpec) {
    this.name = spec.name;
    // Bun will not do TLS to an IP address, so TLS clients dial the certificate's DNS name.
    this.clientUrl = spec.tls ? `https://localhost:${spec.clientPort}` : `http://127.0.0.1:${spec.clientPort}`;
  }

  get pid(): number {
    return this.proc?.pid ?? 0;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`etcd member ${this.name} is already running`);
    const { spec } = this;
    const scheme = spec.tls ? "https" : "http";
    const clientListen = `${scheme}://127.0.0.1:${spec.clientPort}`;
    const argv = [
      ...parentDeathPrefix(),
      "etcd", "--name", spec.name, "--data-dir", spec.dataDir,
      "--listen-client-urls", clientListen, "--advertise-client-urls", clientListen,
      "--listen-peer-urls", peerUrl(spec.peerPort), "--initial-advertise-peer-urls", peerUrl(spec.peerPort),
      "--initial-cluster", spec.initialCluster, "--initial-cluster-state", "new",
      "--initial-cluster-token", spec.clusterToken,
      "--heartbeat-interval", String(spec.tuning?.heartbeatMs ?? 100),
      "--election-timeout", String(spec.tuning?.electionMs ?? 1000),
      ...(spec.tuning?.maxRequestBytes ? ["--max-request-bytes", String(spec.tuning.maxRequestBytes)] : []),
      "--logger", "zap", "--log-outputs", "stderr",
      ...(spec.tls
        ? ["--cert-file", spec.tls.serverCertFile, "--key-file", spec.tls.serverKeyFile,
           "--trusted-ca-file", spec.tls.caFile, "--client-cert-auth"]
        : []),
    ];
    // Both streams go to a file: nobody has to drain a pipe, and failures can quote the log.
    const log = openSync(spec.logFile, "a");
    try {
      this.proc = Bun.spawn(argv, { stdin: "ignore", stdout: log, stderr: log, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    } finally {
      closeSync(log);
    }
    trackChild(this.proc);
    // The reaper kills it at exit; an unref'd child lets `bun test` finish even if a test forgot stop().
    this.proc.unref();
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !this.running) return;
    proc.kill(signal);
    await proc.exited;
  }

  /**
   * Loses everything: the member is killed, its data dir emptied, and it starts again as a member
   * of a new cluster (`clusterToken`, so a new cluster id) on the same ports — what a restore
   * from nothing, or a recreated etcd pod without its volume, looks like to clients.
   */
  async wipe(clusterToken: string): Promise<void> {
    await this.kill();
    rmSync(this.spec.dataDir, { recursive: true, force: true });
    mkdirSync(this.spec.dataDir, { mode: 0o700 });
    this.spec.clusterToken = clusterToken;
    this.start();
  }

  async restart(): Promise<void> {
    await this.kill();
    this.start();
    await this.waitReady();
  }

  async waitReady(timeoutMs = Math.max(10_000, 4 * (this.spec.tuning?.electionMs ?? 0))): Promise<void> {
    const outcome = await waitFor(
      async () => {
        if (!this.running) return "exited" as const;
        return (await this.healthy()) ? ("ready" as const) : undefined;
      },
      { timeoutMs, what: `etcd member ${this.name} (${this.clientUrl}) to report healthy` },
    ).catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await this.logTail()}`);
    });
    if (outcome === "exited") {
      const tail = await this.logTail();
      if (/address already in use/.test(tail)) throw new PortInUseError(`etcd member ${this.name}: port taken`);
      throw new Error(`etcd member ${this.name} exited (code ${this.proc?.exitCode}) before becoming healthy\n${tail}`);
    }
  }

  /** GET /health; true once the member is up and sees a leader. */
  private async healthy(): Promise<boolean> {
    const { tls } = this.spec;
    const response = await fetch(`${this.clientUrl}/health`, {
      signal: AbortSignal.timeout(1_000),
      keepalive: false,
      ...(tls ? { tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey } } : {}),
    });
    const body = (await response.json()) as { health?: string };
    return response.ok && body.health === "true";
  }

  async logTail(lines = 15): Promise<string> {
    const text = await Bun.file(this.spec.logFile).text().catch(() => "");
    const tail = text.trimEnd().split("\n").slice(-lines).join("\n");
    return `--- last lines of ${this.spec.logFile} ---\n${tail}`;
  }
}

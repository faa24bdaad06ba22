/**
 * The demo's etcd: Debian's `etcd-server` (provisioned by scripts/setup demo when missing) running
 * as one throw-away member on 127.0.0.1 with random ports and a data dir inside the demo's temp
 * dir. Only `etcd` itself is needed (no etcdctl), so a fresh machine needs one package.
 */
import type { Subprocess } from "bun";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export interface LocalEtcd {
  endpoint: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const setpriv = Bun.which("setpriv");

/**
 * Makes sure `etcd` is on PATH through the shared provisioning script (scripts/setup demo): it
 * installs Debian's etcd-server with apt-get when missing and root, or says exactly what to run.
 */
export async function ensureEtcd(say: (line: string) => void): Promise<{ ok: true } | { ok: false; message: string }> {
  if (Bun.which("etcd")) return { ok: true };
  say("etcd not found: provisioning with scripts/setup demo ...");
  const p = Bun.spawn(["bash", join(import.meta.dir, "../setup"), "demo"], { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  if ((await p.exited) !== 0) return { ok: false, message: `scripts/setup demo failed (exit ${p.exitCode}); see the line above for what to run` };
  return Bun.which("etcd") ? { ok: true } : { ok: false, message: "scripts/setup demo succeeded but etcd is not on PATH" };
}

/** Starts one etcd member in `dir`; resolves once /health says true (retries on a taken port). */
export async function startLocalEtcd(dir: string): Promise<LocalEtcd> {
  for (let attempt = 1; ; attempt++) {
    const [client, peer] = [await freePort(), await freePort()];
    const data = join(dir, `etcd-data-${attempt}`);
    mkdirSync(data, { recursive: true, mode: 0o700 });
    const logFile = join(dir, `etcd-${attempt}.log`);
    const endpoint = `http://127.0.0.1:${client}`;
    const log = openSync(logFile, "a");
    let proc: Subprocess;
    try {
      proc = Bun.spawn(
        [
          ...(setpriv ? [setpriv, "--pdeathsig", "KILL", "--"] : []),
          "etcd", "--name", "demo", "--data-dir", data,
          "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
          "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
          "--initial-cluster", `demo=http://127.0.0.1:${peer}`, "--initial-cluster-state", "new",
          "--heartbeat-interval", "100", "--election-timeout", "1000", "--logger", "zap", "--log-outputs", "stderr",
        ],
        { stdin: "ignore", stdout: log, stderr: log, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      );
    } finally {
      closeSync(log);
    }
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    };
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) break;
      const ok = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) })
        .then(async (r) => ((await r.json()) as { health?: string }).health === "true")
        .catch(() => false);
      if (ok) return { endpoint, pid: proc.pid, logFile, stop };
      await Bun.sleep(100);
    }
    await stop();
    const tail = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-10).join("\n");
    if (attempt < 3 && /address already in use/.test(tail)) continue;
    throw new Error(`etcd did not become healthy (log ${logFile}):\n${tail}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => (port > 0 ? resolve(port) : reject(new Error("no port from listen(0)"))));
    });
  });
}

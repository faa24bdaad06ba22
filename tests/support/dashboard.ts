/**
 * `clusterrebootd dashboard` as a process for the tests: writes a config for a real etcd, starts
 * the command on a free loopback port (port 0: it prints the URL it got), and stops it by PID.
 */
import type { Subprocess } from "bun";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parentDeathPrefix, trackChild } from "./reaper.ts";
import { waitFor } from "./wait.ts";

const ROOT = resolve(import.meta.dir, "../..");

export interface DashboardProcess {
  url: string;
  proc: Subprocess;
  /** SIGTERM and the exit code. */
  stop(): Promise<number>;
  stderr(): string;
}

/** A config file for a viewer node on `endpoints` under namespace `ns`, plus extra YAML lines. */
export async function dashboardConfig(dir: string, endpoints: string[], ns: string, extra: string[] = []): Promise<string> {
  const path = join(dir, `config-${ns.replace(/\W/g, "")}.yaml`);
  await writeFile(
    path,
    [
      "node_name: viewer",
      "reboot_required_detectors: [{ type: file, path: /run/reboot-required }]",
      "health_script: /usr/local/bin/health",
      `etcd_endpoints: ${JSON.stringify(endpoints)}`,
      `etcd_namespace: ${ns}`,
      ...extra,
    ].join("\n") + "\n",
  );
  return path;
}

/** Runs `clusterrebootd <args>` to completion: exit code, stdout, stderr. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...parentDeathPrefix(), process.execPath, "src/main.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  trackChild(proc);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export async function startDashboardProcess(config: string, extraArgs: string[] = []): Promise<DashboardProcess> {
  const proc = Bun.spawn([...parentDeathPrefix(), process.execPath, "src/main.ts", "dashboard", "--config", config, ...(extraArgs.includes("--listen") ? [] : ["--listen", "127.0.0.1:0"]), ...extraArgs], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  trackChild(proc);
  let out = "";
  let err = "";
  void (async () => {
    for await (const c of proc.stdout) out += new TextDecoder().decode(c);
  })();
  void (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  try {
    const url = await waitFor(() => /dashboard: (https?:\/\/\S+\/)/.exec(out)?.[1] ?? (proc.exitCode !== null ? Promise.reject(new Error(`exited ${proc.exitCode}: ${err}`)) : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: "the dashboard to print its URL",
    });
    return {
      url,
      proc,
      stderr: () => err,
      async stop() {
        proc.kill("SIGTERM");
        return proc.exited;
      },
    };
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  }
}

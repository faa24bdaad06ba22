/**
 * One simulated machine: its node dir (config, health script, steering files, boot id), its daemon
 * process and that process's parsed JSON log. The fleet (fleet.ts) owns the reboot cycle; this
 * file only knows how to start, stop and observe one daemon.
 */
import type { Subprocess } from "bun";
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NODE_FILES } from "./_scripts.ts";

/** One JSON log record of a daemon, plus which process wrote it. */
export interface DaemonEvent {
  /** Epoch ms of the record's `ts`. */
  at: number;
  ts: string;
  level: string;
  node: string;
  event: string;
  fields: Record<string, unknown>;
  /** PID of the daemon process that logged it, and its start count (1 = first start). */
  pid: number;
  start: number;
}

export interface WaitEventOptions {
  /** Only events with index ≥ this in `logs` (take `logs.length` before acting to wait for a new one). */
  since?: number;
  match?: (e: DaemonEvent) => boolean;
  /** Default 30 000. */
  timeoutMs?: number;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface NodeSetup {
  name: string;
  group: string;
  dir: string;
  argv: string[];
  env: Record<string, string>;
  appendLedger(line: string): void;
}

/** How long a CLI call may take before it is killed (a hung call fails the test, not the suite). */
const CLI_TIMEOUT_MS = 20_000;
const DEFAULT_EVENT_TIMEOUT_MS = 30_000;
/** `setpriv --pdeathsig KILL`: the kernel kills a daemon whose parent (test or demo) dies. */
const setpriv = Bun.which("setpriv");

/** A fresh hardware id, shaped like a DMI product_uuid. */
export function newHardwareId(): string {
  return randomUUID();
}

/** A fresh machine id as systemd writes it: 32 lowercase hex digits. */
export function newMachineId(): string {
  return randomUUID().replaceAll("-", "");
}

export class NodeProcess {
  readonly name: string;
  readonly group: string;
  readonly dir: string;
  readonly logs: DaemonEvent[] = [];
  /** How often the daemon was started. */
  starts = 0;
  private proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  private waiters = new Set<() => void>();

  constructor(protected readonly setup: NodeSetup) {
    this.name = setup.name;
    this.group = setup.group;
    this.dir = setup.dir;
  }

  path(file: keyof typeof NODE_FILES): string {
    return join(this.dir, NODE_FILES[file]);
  }

  get configPath(): string {
    return this.path("config");
  }

  get pid(): number | undefined {
    return this.running ? this.proc?.pid : undefined;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get bootId(): string {
    return readFileSync(this.path("bootId"), "utf8").trim();
  }

  /** Exit code of the last daemon process (null while it runs, was never started, or died by a signal). */
  get exitCode(): number | null {
    return this.proc?.exitCode ?? null;
  }

  get machineId(): string {
    return readFileSync(this.path("machineId"), "utf8").trim();
  }

  get hardwareId(): string {
    return readFileSync(this.path("hardwareId"), "utf8").trim();
  }

  /** A new boot id: what the kernel does on every boot. */
  newBootId(): string {
    const id = randomUUID();
    writeFileSync(this.path("bootId"), id + "\n");
    return id;
  }

  start(): void {
    if (this.running) throw new Error(`node ${this.name}: daemon already running (pid ${this.proc?.pid})`);
    const start = ++this.starts;
    const proc = Bun.spawn([...(setpriv ? [setpriv, "--pdeathsig", "KILL", "--"] : []), ...this.setup.argv, "run", "--config", this.configPath], {
      cwd: this.dir,
      env: this.setup.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.proc = proc;
    this.appendRaw(`--- start ${start} pid ${proc.pid} at ${new Date().toISOString()}`);
    void this.readLines(proc.stderr, (line) => this.onLine(line, proc.pid, start));
    void this.readLines(proc.stdout, (line) => this.appendRaw(`[stdout] ${line}`));
  }

  /** Sends `signal` to the current daemon and waits until it is gone; no-op when none runs. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    const proc = this.proc;
    if (!proc || !this.running) return proc?.exitCode ?? null;
    proc.kill(signal);
    return proc.exited;
  }

  /** Events named `event` so far (from `since`). */
  events(event: string, since = 0): DaemonEvent[] {
    return this.logs.slice(since).filter((e) => e.event === event);
  }

  /** Resolves with the first matching event at index ≥ since; rejects with the log tail on timeout. */
  waitForEvent(event: string, opts: WaitEventOptions = {}): Promise<DaemonEvent> {
    const since = opts.since ?? 0;
    const find = () => this.logs.slice(since).find((e) => e.event === event && (opts.match?.(e) ?? true));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EVENT_TIMEOUT_MS;
    return new Promise<DaemonEvent>((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (!hit) return;
        cleanup();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`node ${this.name}: timed out after ${timeoutMs} ms waiting for event ${event}\n${this.tail()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The last `n` log records as compact lines, for failure messages. */
  tail(n = 20): string {
    return this.logs
      .slice(-n)
      .map((e) => `  ${e.ts} [${e.start}] ${e.event} ${JSON.stringify(e.fields)}`)
      .join("\n");
  }

  // --- steering files ---

  setFile(file: keyof typeof NODE_FILES, content: string | null): void {
    if (content === null) rmSync(this.path(file), { force: true });
    else writeFileSync(this.path(file), content);
  }

  has(file: keyof typeof NODE_FILES): boolean {
    return existsSync(this.path(file));
  }

  /**
   * Runs a CLI command of the product with this node's config appended (`--config <file>`).
   * `env` adds to the node's environment (e.g. another hardware id: a disk clone of this machine).
   */
  async cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const proc = Bun.spawn([...this.setup.argv, ...args, "--config", this.configPath], {
      cwd: this.dir,
      env: { ...this.setup.env, ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: CLI_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    const [exitCode, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { exitCode, stdout, stderr };
  }

  // --- internal ---

  private onLine(line: string, pid: number, start: number): void {
    this.appendRaw(line);
    let rec: { ts?: unknown; level?: unknown; node?: unknown; event?: unknown; fields?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      return; // not a log record (e.g. a crash trace); it is in daemon.log
    }
    if (typeof rec.event !== "string" || typeof rec.ts !== "string") return;
    this.logs.push({
      at: Date.parse(rec.ts),
      ts: rec.ts,
      level: String(rec.level ?? ""),
      node: String(rec.node ?? this.name),
      event: rec.event,
      fields: typeof rec.fields === "object" && rec.fields !== null ? (rec.fields as Record<string, unknown>) : {},
      pid,
      start,
    });
    for (const w of [...this.waiters]) w();
  }

  private appendRaw(line: string): void {
    try {
      appendFileSync(this.path("daemonLog"), line + "\n");
    } catch {
      // the node dir is gone (fleet stopped): nothing left to record
    }
  }

  private async readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf) onLine(buf);
  }
}

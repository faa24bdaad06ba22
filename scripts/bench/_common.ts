/**
 * Shared pieces of the benchmarks in this folder: command-line numbers, the machine description
 * printed above every table (a figure without its machine is meaningless), /proc readings and a
 * plain-text table. Loopback and temp dirs only; every child runs under `setpriv --pdeathsig`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** `--name N` from argv as a positive number, else `def`. */
export function numArg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(n) && n > 0 ? n : def;
}

export function flagArg(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** One line per fact: nproc, CPU model, memory, OS, kernel, Bun and etcd versions. */
export function machineDescription(): string[] {
  const os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(safeRead("/etc/os-release"))?.[1] ?? "unknown";
  const kernel = safeRead("/proc/sys/kernel/osrelease").trim();
  const etcd = Bun.which("etcd") ? /etcd Version: (\S+)/.exec(run(["etcd", "--version"]))?.[1] ?? "?" : "not installed";
  const load = safeRead("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  return [
    `nproc ${cpus().length}, CPU ${cpus()[0]?.model ?? "unknown"}`,
    `memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${os}, kernel ${kernel}`,
    `Bun ${Bun.version}, etcd ${etcd}, load average at start ${load}`,
  ];
}

/** Clock ticks per second for /proc/<pid>/stat times (100 on every Linux we know, but ask). */
export const CLK_TCK = Number(run(["getconf", "CLK_TCK"]).trim()) || 100;

export interface ProcSample {
  rssKb: number;
  /** utime + stime of the process itself, in ticks. */
  cpuTicks: number;
  /** cutime + cstime: children it has waited for (health scripts, detectors). */
  childTicks: number;
  /** Voluntary context switches per thread id: how often the process wakes up. */
  switches: Map<string, number>;
  threads: number;
}

/**
 * Wake-ups over a series of samples: per consecutive pair, the growth of every thread's count
 * (threads come and go, so totals of two samples cannot simply be subtracted).
 */
export function wakeups(samples: readonly ProcSample[]): number {
  let sum = 0;
  for (let i = 1; i < samples.length; i++) {
    for (const [tid, n] of samples[i]!.switches) sum += Math.max(0, n - (samples[i - 1]!.switches.get(tid) ?? 0));
  }
  return sum;
}

/** VmRSS from /proc/<pid>/status and CPU ticks from /proc/<pid>/stat; undefined once gone. */
export function procSample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at field 3 ("state").
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const n = (i: number) => Number(f[i - 3]);
    return {
      rssKb: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
      cpuTicks: n(14) + n(15),
      childTicks: n(16) + n(17),
      ...threadSwitches(pid),
    };
  } catch {
    return undefined;
  }
}

/** A fixed-width text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const width = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[], numeric: boolean[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join("  ").trimEnd();
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  return [line(headers, numeric), width.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map((r) => line(r, numeric))].join("\n");
}

/** Up to 3 significant decimals for small numbers, whole numbers for large ones. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return "n/a";
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Nearest-rank percentile over an unsorted list; NaN when empty. */
export function pct(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function threadSwitches(pid: number): { switches: Map<string, number>; threads: number } {
  const switches = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(safeRead(`/proc/${pid}/task/${tid}/status`));
    if (m) switches.set(tid, Number(m[1]));
  }
  return { switches, threads: switches.size };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function run(argv: string[]): string {
  try {
    const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
    return r.stdout.toString() + r.stderr.toString();
  } catch {
    return "";
  }
}

/**
 * Ports: every side effect the coordinator has goes through one of these small interfaces.
 * `platform/index.ts` builds the real implementations (`realPorts`), the CLI's `main` calls it
 * once per process; tests pass fakes (tests/fakes/).
 */

/** Wall-clock time, cancellable sleeping, and the randomness of jitter. Overridable for tests (FakeClock). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), like Math.random: how far into its jitter a retry or wake-up waits. */
  random(): number;
}

/** What to run and how; argv is executed directly, never through a shell. */
export interface RunSpec {
  argv: readonly string[];
  /** Full environment for the child (callers merge process.env themselves). */
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the whole process group after this long; undefined = no timeout. */
  timeoutMs?: number;
  /** Per-stream capture cap in bytes; output past it is dropped and `truncated` set. */
  maxOutputBytes?: number;
  /** Aborting kills the process group, like a timeout (result kind `aborted`). */
  signal?: AbortSignal;
}

/** Common fields of every process result. */
export interface RunTiming {
  durationMs: number;
  stdout: string;
  stderr: string;
  /** True when either stream exceeded maxOutputBytes. */
  truncated: boolean;
}

/** How a child process ended. Only `exited` carries an exit code. */
export type RunResult =
  | ({ kind: "exited"; exitCode: number } & RunTiming) // ran to completion
  | ({ kind: "signaled"; signal: string } & RunTiming) // died from a signal we did not send
  | ({ kind: "timeout"; timeoutMs: number } & RunTiming) // we killed its group at the deadline
  | ({ kind: "aborted" } & RunTiming) // we killed its group because the caller aborted
  | ({ kind: "spawn-error"; message: string } & RunTiming); // never started (not found, EACCES, …)

/** Runs child processes in their own process group. Overridable for tests (FakeRunner). */
export interface ProcessRunner {
  run(spec: RunSpec): Promise<RunResult>;
}

/** What a disk clone does not copy, read by `_hardware-id.ts` (docs/SLOTS.md §Identity). */
export interface HardwareId {
  /** Prefixed by its source, e.g. `dmi:4c4c4544-…`, `dt:10000000a1b2c3d4`, `mac:dc:a6:32:…`. */
  id: string;
  source: "file" | "dmi" | "devicetree" | "mac";
}

/** Facts about the machine we run on. Overridable for tests and the fleet simulator. */
export interface Host {
  /** Kernel boot id (/proc/sys/kernel/random/boot_id); changes on every boot. */
  bootId(): Promise<string>;
  hostname(): string;
  pid(): number;
  /** Effective uid (0 = root); the health runner's ownership checks depend on it. */
  uid(): number;
  /** Interactive sessions ("user@tty"), for deferring reboots while someone is logged in. */
  loggedInUsers(): Promise<string[]>;
  /**
   * This machine's identity (/etc/machine-id, else a random id kept in the state directory):
   * two machines cloned from one SD card share a node name but never this.
   */
  machineId(): Promise<string>;
  /**
   * What a disk clone does not copy (DMI product_uuid, device-tree serial, default-route MAC):
   * same machine id with another hardware id is a clone. Undefined when the machine offers none.
   */
  hardwareId(): Promise<HardwareId | undefined>;
  /** Where local state survives reboots (etcd identity, the rebooting marker). */
  stateDir(): string;
}

/** The few file-system calls the coordinator makes. */
export interface Fs {
  /** stat() following symlinks: "missing" for ENOENT/ENOTDIR, otherwise the stat or an error. */
  stat(path: string): Promise<FileStat>;
  readText(path: string): Promise<string>;
  /** Write atomically: temp file in the same directory, fsync, rename. */
  writeAtomic(path: string, data: string, mode?: number): Promise<void>;
  remove(path: string): Promise<void>;
}

export type FileStat =
  | { kind: "missing" }
  | { kind: "present"; mode: number; uid: number; isFile: boolean; isDirectory: boolean }
  | { kind: "error"; message: string };

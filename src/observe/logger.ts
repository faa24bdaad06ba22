/**
 * One structured logger. Under systemd (stderr not a TTY) every record is one JSON object per line
 * with ts, level, node, event and fields; on a terminal a short human line. Built once in the CLI
 * and passed down; tests use `memoryLogger()`.
 */
import { createConsola, type ConsolaReporter, type LogObject } from "consola";
import type { EventName } from "./events.ts";

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, unknown>;

export interface Logger {
  event(level: Level, event: EventName, fields?: Fields): void;
}

const LEVEL_NUM: Record<Level, number> = { error: 0, warn: 1, info: 3, debug: 4 };
const NUM_LEVEL = (n: number): Level => (n <= 0 ? "error" : n === 1 ? "warn" : n >= 4 ? "debug" : "info");

export interface LoggerOptions {
  node: string;
  level: Level;
  /** JSON lines (daemon under systemd) or human lines (terminal). */
  json: boolean;
  write?: (line: string) => void;
}

export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const reporter: ConsolaReporter = {
    log(obj: LogObject) {
      const [event, fields] = obj.args as [string, Fields | undefined];
      const level = NUM_LEVEL(obj.level);
      if (opts.json) {
        write(JSON.stringify({ ts: obj.date.toISOString(), level, node: opts.node, event, ...(fields && Object.keys(fields).length ? { fields } : {}) }));
      } else {
        const f = fields ? Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ") : "";
        write(`${obj.date.toISOString().slice(11, 19)} ${level.toUpperCase().padEnd(5)} ${event}${f ? " " + f : ""}`);
      }
    },
  };
  const c = createConsola({ level: LEVEL_NUM[opts.level], reporters: [reporter], throttle: 0 });
  return {
    event(level, event, fields) {
      c[level](event, fields);
    },
  };
}

/** For tests: keeps every record in memory. */
export function memoryLogger(): Logger & { records: { level: Level; event: EventName; fields: Fields }[] } {
  const records: { level: Level; event: EventName; fields: Fields }[] = [];
  return { records, event: (level, event, fields = {}) => void records.push({ level, event, fields }) };
}

export const silentLogger: Logger = { event: () => {} };

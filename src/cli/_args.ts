/** Argument definitions shared by several commands. */
import type { ArgsDef } from "citty";
import { DEFAULT_CONFIG_PATH } from "../config/index.ts";

export const configArg = {
  config: { type: "string", description: "path to the configuration file", default: DEFAULT_CONFIG_PATH, valueHint: "FILE" },
} as const satisfies ArgsDef;

export const jsonArg = {
  json: { type: "boolean", description: "print one JSON document instead of the human report", default: false },
} as const satisfies ArgsDef;

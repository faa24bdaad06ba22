/** Shared pieces of the config tests: an in-memory file system and a known-good base config. */
import { stringify } from "yaml";
import type { FileStat } from "../../../src/platform/ports.ts";
import { parseConfigText, type LoadOptions, type LoadResult } from "../../../src/config/index.ts";

export const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
export const KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

/** A file in the fake file system: text and mode, or an error code every access fails with. */
export type FakeFile = { text: string; mode?: number } | { errorCode: string };

/** In-memory files, with readFile/stat that behave like node's (errors carry `code`). */
export function fakeFs(files: Record<string, FakeFile>): Required<Pick<LoadOptions, "readFile" | "stat">> {
  const fail = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code });
  return {
    readFile: async (path) => {
      const f = files[path];
      if (f === undefined) throw fail("ENOENT", path);
      if ("errorCode" in f) throw fail(f.errorCode, path);
      return f.text;
    },
    stat: async (path): Promise<FileStat> => {
      const f = files[path];
      if (f === undefined) return { kind: "missing" };
      if ("errorCode" in f) return { kind: "error", message: f.errorCode };
      return { kind: "present", mode: 0o100000 | (f.mode ?? 0o644), uid: 0, isFile: true, isDirectory: false };
    },
  };
}

export const HEALTH_SCRIPT = "/usr/local/bin/health";

/** Files present by default: an executable health script and valid TLS material. */
export const DEFAULT_FILES: Record<string, FakeFile> = {
  [HEALTH_SCRIPT]: { text: "#!/bin/sh\nexit 0\n", mode: 0o755 },
  "/etc/clusterrebootd/ca.pem": { text: PEM },
  "/etc/clusterrebootd/client.pem": { text: PEM },
  "/etc/clusterrebootd/client-key.pem": { text: KEY_PEM },
  "/etc/clusterrebootd/etcd-password": { text: "s3cret\n" },
  "/etc/clusterrebootd/not-pem.txt": { text: "hello\n" },
  "/etc/clusterrebootd/unreadable.pem": { errorCode: "EACCES" },
};

/** The smallest valid config, as data. */
export function baseConfig(): Record<string, unknown> {
  return {
    node_name: "node-1",
    reboot_required_detectors: [{ type: "file", path: "/var/run/reboot-required" }],
    health_script: HEALTH_SCRIPT,
    etcd_endpoints: ["127.0.0.1:2379"],
  };
}

/** Base config with top-level keys replaced (undefined deletes a key). */
export function withKeys(patch: Record<string, unknown>): Record<string, unknown> {
  const cfg = baseConfig();
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete cfg[k];
    else cfg[k] = v;
  }
  return cfg;
}

/** Parse YAML text with the fake file system and an empty environment. */
export function load(text: string, files: Record<string, FakeFile> = DEFAULT_FILES, env: Record<string, string> = {}): Promise<LoadResult> {
  return parseConfigText(text, { ...fakeFs(files), env });
}

/** Parse a config given as data. */
export const loadData = (data: Record<string, unknown>, files?: Record<string, FakeFile>) => load(stringify(data), files);

/** The config of a result that must be ok (fails the test with the problems otherwise). */
export function mustLoad(r: LoadResult) {
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.problems.join("\n")}`);
  return r.config;
}

/** The problems of a result that must fail. */
export function problemsOf(r: LoadResult): string[] {
  if (r.ok) throw new Error("expected config problems, but the config loaded");
  return r.problems;
}

/**
 * What a test needs from the machine. A test that needs a tool runs or fails: a missing tool is
 * an error naming the Debian package (`npm test` installs them through scripts/setup first), never
 * a skip or a vacuous pass. A test that cannot apply here (e.g. needs root) skips with a reason
 * that scripts/test prints in its closing summary.
 */
import { describe, test } from "bun:test";
import { appendFileSync, existsSync } from "node:fs";
import { relative, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");

/** Throws unless `name` is on PATH (or, for an absolute path, exists). */
export function requireTool(name: string, aptPackage: string): void {
  const found = name.startsWith("/") ? existsSync(name) : Bun.which(name) !== null;
  if (!found) throw new Error(`${name} not found: run scripts/setup test (or apt-get install ${aptPackage})`);
}

/** Records a skip and its reason for the closing summary (CRD_SKIP_REPORT, set by scripts/test). */
function record(file: string, reason: string): void {
  const line = `${relative(REPO, file)}: ${reason}\n`;
  const report = process.env["CRD_SKIP_REPORT"];
  if (report) appendFileSync(report, line);
  else process.stderr.write(`skip: ${line}`);
}

/** `describe` when `runs`, otherwise `describe.skip` with `reason` recorded for the summary. */
export function describeIf(runs: boolean, reason: string, file: string): typeof describe {
  if (runs) return describe;
  record(file, reason);
  return describe.skip;
}

/** `test` when `runs`, otherwise `test.skip` with `reason` recorded for the summary. */
export function testIf(runs: boolean, reason: string, file: string): typeof test {
  if (runs) return test;
  record(file, reason);
  return test.skip;
}

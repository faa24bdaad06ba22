/**
 * Run by as-nobody.ts as an unprivileged user: performs one operation of ours on a path and
 * prints its result as one JSON line.
 *   stat PATH     createFs().stat(PATH)
 *   detect PATH   a file detector on PATH (evaluateDetectors)
 */
import { evaluateDetectors } from "../../src/detect/index.ts";
import { createFs, createProcessRunner, systemClock } from "../../src/platform/index.ts";

const [op, path] = process.argv.slice(2);
const fs = createFs();
if (op === "stat" && path) {
  console.log(JSON.stringify({ uid: process.geteuid?.(), result: await fs.stat(path) }));
} else if (op === "detect" && path) {
  const ev = await evaluateDetectors([{ name: "f", type: "file", path }], { runner: createProcessRunner(), fs, clock: systemClock, env: {} });
  console.log(JSON.stringify({ uid: process.geteuid?.(), result: ev }));
} else {
  console.error("usage: _unprivileged-probe.ts stat|detect PATH");
  process.exit(64);
}

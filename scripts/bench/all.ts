/**
 * `npm run bench`: every benchmark in this folder, one after the other (they would disturb each
 * other's timings in parallel), each printing its own table. About 20 minutes; `--quick` shortens
 * every one (smaller counts, 30 s idle window) for a smoke run.
 *
 *   bun scripts/bench/all.ts [--quick] [--only handoff,rollout,...]
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

const quick = process.argv.includes("--quick");
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg >= 0 ? new Set(process.argv[onlyArg + 1]!.split(",")) : undefined;
const BENCHES: [string, string[], string[]][] = [
  ["startup", [], ["--runs", "10"]],
  ["handoff", [], ["--handoffs", "50", "--rounds", "1"]],
  ["rollout", [], ["--nodes", "6", "--down-ms", "500", "--health-ms", "200"]],
  ["etcd-load", [], ["--sizes", "20,100", "--warmup", "30", "--seconds", "30"]],
  ["idle", [], ["--seconds", "30", "--warmup", "5"]],
  ["fleetlock", [], ["--requests", "100", "--seconds", "5"]],
];
let failed = 0;
for (const [name, full, short] of BENCHES) {
  const file = join(import.meta.dir, `${name}.ts`);
  if ((only && !only.has(name)) || !existsSync(file)) continue;
  console.log(`\n===== ${name} =====`);
  const p = Bun.spawn([process.execPath, file, ...(quick ? short : full)], { stdout: "inherit", stderr: "inherit" });
  if ((await p.exited) !== 0) {
    failed++;
    console.log(`${name}: exit ${p.exitCode}`);
  }
}
process.exit(failed ? 1 : 0);

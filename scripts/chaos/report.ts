/** The verdict of a chaos run as text lines (the long run's output and the test's failure message). */
import type { ChaosResult } from "./options.ts";

export function formatResult(r: ChaosResult): string[] {
  const lines = [
    `chaos run, seed ${r.seed}: ${r.ok ? "PASSED" : "FAILED"} after ${(r.durationMs / 1000).toFixed(0)} s`,
    `  waves completed ${r.wavesDone}, reboot commands ${r.reboots}, fences in etcd ${r.audit.fences}, slots taken ${r.audit.acquisitions}`,
    `  daemon SIGKILLs by phase: ${Object.entries(r.kills).map(([p, n]) => `${p} ${n}`).join(", ")}; restarts ${r.restarts}`,
    `  etcd member kills+restarts ${r.etcdRestarts}, cluster pauses ${r.pauses} (pause key set/removed ${r.audit.pauseChanges} times), deny windows lifted ${r.windowLifts}`,
    `  identity/state faults: clones ${r.state.clones} (exit 2 ${r.state.clonesRefused}, refused but exit 1 as etcd_unavailable ${r.state.clonesRefusedAsEtcdError}, killed still refusing ${r.state.clonesKilled}, identity_conflict records ${r.state.cloneConflictRecords}${r.state.cloneOtherExits.length ? `, other exits: ${r.state.cloneOtherExits.join("; ")}` : ""}; disk clones with the same machine id ${r.state.sameIdClones}, exit 2 ${r.state.sameIdClonesRefused}), etcd wipes ${r.state.wipes}, partitions ${r.state.partitions} (drop ${r.state.partitionsByMode["drop"] ?? 0}, blackhole ${r.state.partitionsByMode["blackhole"] ?? 0}), downs longer than the lease ${r.state.longDowns}, past the slot timeout ${r.state.strandedDowns}`,
    `  power-offs without a slot ${r.state.powerOffs} (long ${r.state.longPowerOffs}); frozen groups ${r.state.freezes.length}${r.state.freezes.length ? ` (${r.state.freezes.map((f) => `${f.group}: ${f.node} ${f.reason}`).join("; ")})` : ""}, resumed by the operator ${r.state.resumes}, frozen keys set in etcd ${r.audit.freezes}`,
    `  etcd history: ${r.audit.revisions} revisions checked; most slots held at once: ${[...r.audit.peaks].map(([g, p]) => `${g} ${p.max}`).join(", ")}`,
    `  ledger: most nodes away (slot taken → healthy) at once: ${[...r.ledger.peaks].map(([g, p]) => `${g} ${p.max}`).join(", ")}; fleet-wide ${r.ledger.globalPeak.max}`,
    `  ledger: most nodes down at once, planned or powered off (may exceed the limit by power-offs alone): ${[...r.ledger.downPeaks].map(([g, p]) => `${g} ${p.max}`).join(", ")}`,
    `  daemon events: ${Object.entries(r.daemonEvents).map(([e, n]) => `${e} ${n}`).join(", ")}`,
    "  not checked: Kubernetes cordon (the fleet simulator does not model an API server)",
  ];
  for (const t of r.state.cloneSlotTouches) lines.push(`  clone touched a slot of its name (a violation): ${t}`);
  for (const v of r.violations) lines.push(`  VIOLATION: ${v}`);
  lines.push(...r.explanations);
  if (r.dir) lines.push(`  logs and ledger kept in ${r.dir}`);
  return lines;
}

/**
 * The external ledger of the VM tier, read on the host: a VM is down from its DOWN line (its
 * shutdown began) or from the host cutting its power (OFF), until its next UP line (it reached
 * multi-user again). The budget's promise is about these intervals, not about what the daemons
 * say of themselves.
 */
import type { LedgerEntry } from "./_vm.ts";

export interface Down {
  vm: string;
  from: number;
  /** Infinity while the VM has not come back. */
  to: number;
}

export function downIntervals(ledger: readonly LedgerEntry[]): Down[] {
  const open = new Map<string, number>();
  const out: Down[] = [];
  for (const e of [...ledger].sort((a, b) => a.at - b.at)) {
    if ((e.kind === "DOWN" || e.kind === "OFF") && !open.has(e.vm)) open.set(e.vm, e.at);
    if (e.kind === "UP" && open.has(e.vm)) {
      out.push({ vm: e.vm, from: open.get(e.vm)!, to: e.at });
      open.delete(e.vm);
    }
  }
  for (const [vm, from] of open) out.push({ vm, from, to: Infinity });
  return out.sort((a, b) => a.from - b.from);
}

/** The most VMs of `vms` down at one moment. */
export function maxDown(ledger: readonly LedgerEntry[], vms: readonly string[]): { count: number; at?: number; who: string[] } {
  const downs = downIntervals(ledger).filter((d) => vms.includes(d.vm));
  let best: { count: number; at?: number; who: string[] } = { count: 0, who: [] };
  for (const d of downs) {
    const who = downs.filter((o) => o.from <= d.from && d.from < o.to).map((o) => o.vm);
    if (who.length > best.count) best = { count: who.length, at: d.from, who };
  }
  return best;
}

/** One line per event, seconds relative to the first: for the failure message and the log. */
export function render(ledger: readonly LedgerEntry[]): string {
  const t0 = ledger[0]?.at ?? 0;
  return ledger.map((e) => `  +${((e.at - t0) / 1000).toFixed(1).padStart(6)} s  ${e.vm.padEnd(4)} ${e.kind.padEnd(4)} ${e.bootId?.slice(0, 8) ?? ""}`).join("\n");
}

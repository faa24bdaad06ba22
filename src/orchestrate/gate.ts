/**
 * The gate contract: what a gate sees (GateCtx) and the value it returns (Step). A gate writes
 * neither the report nor the loop memory: it returns the facts it saw and the memory change it
 * wants, and pass.ts applies both. The gates themselves are gates.ts.
 */
import type { ClusterState } from "../slots/index.ts";
import type { Coordinator, MemoryChange, PassMode } from "./context.ts";
import type { Outcome } from "./outcome.ts";
import type { Facts } from "./report.ts";

/** What a gate sees: the coordinator, the pass mode, the cluster view read so far. */
export interface GateCtx {
  co: Coordinator;
  mode: PassMode;
  signal: AbortSignal | undefined;
  /** The latest cluster view (undefined: the backend decides pause/cooldown/policy itself). */
  state: ClusterState | undefined;
  /** Where the gate stands: before the slot or under it (changes messages and health phase). */
  stage: "before" | "under";
  /** Slot attempts so far (RC_LOCK_ATTEMPTS under the slot). */
  attempts: number;
}

/** What every gate result may carry: the facts it saw (for the report) and a change to the loop's memory. */
export interface Seen {
  facts?: Facts;
  remember?: MemoryChange;
}

export type Step =
  | ({ kind: "continue" } & Seen) // this gate allows; here is what it saw
  | ({ kind: "stop"; outcome: Outcome } & Seen) // refused (give any slot back)
  | ({ kind: "hold"; outcome: Outcome } & Seen) // not yet: keep the slot, come back
  | ({ kind: "idle"; outcome: Outcome } & Seen); // nothing to do: no reboot needed

export interface Gate {
  name: string;
  run(g: GateCtx): Promise<Step>;
}

const seen = (facts?: Facts, remember?: MemoryChange): Seen => ({ ...(facts ? { facts } : {}), ...(remember ? { remember } : {}) });
export const go = (facts?: Facts, remember?: MemoryChange): Step => ({ kind: "continue", ...seen(facts, remember) });
export const stop = (o: Outcome, facts?: Facts, remember?: MemoryChange): Step => ({ kind: "stop", outcome: o, ...seen(facts, remember) });

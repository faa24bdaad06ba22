export { runPass } from "./pass.ts";
export { runLoop, backoffDelay, type LoopHooks } from "./loop.ts";
export { EXIT_CODE, outcome, type Outcome, type OutcomeKind } from "./outcome.ts";
export type { Coordinator, Plan, PassMode, Ports } from "./context.ts";
export type { PassReport } from "./report.ts";
export { expandCommand } from "./_command.ts";
export { runClientPass, type RemoteLock } from "./client-pass.ts";

/**
 * Extension points around a FleetLock grant, for Kubernetes draining (a separate issue). The
 * server calls them while it holds the client's slot, so a drain never runs without budget.
 *
 * - `beforeGrant(id)` runs after the slot is taken (phase `preparing`) and before the grant is
 *   final. `draining` keeps the slot reserved and answers 423 `draining`; the client's next
 *   pre-reboot (Zincati retries every ~5 min) calls the hook again. `failed` frees the slot (no
 *   cooldown: nobody rebooted) and answers 500 `hook_failed`. A throw counts as `failed`.
 * - `afterRelease(id)` runs on every steady-state of this id that is not refused: after its slot
 *   was released, and also when it held none (so an uncordon that failed earlier is retried). A
 *   throw answers 500 `hook_failed`, which makes the client retry steady-state, and with it the hook.
 *
 * Both must be idempotent: requests are retried, and several servers may call them for one id.
 */
export type BeforeGrantResult =
  | { kind: "ready" } // the node may reboot now
  | { kind: "draining" } // still in progress: keep the slot, ask the client to come back
  | { kind: "failed"; reason: string }; // give up this attempt: free the slot

export interface FleetLockHooks {
  beforeGrant(id: string, info: { group: string }): Promise<BeforeGrantResult>;
  afterRelease(id: string, info: { group: string; released: boolean }): Promise<void>;
}

/** The default: grant at once, nothing to undo. */
export const noopHooks: FleetLockHooks = {
  beforeGrant: async () => ({ kind: "ready" }),
  afterRelease: async () => {},
};

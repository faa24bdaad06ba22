/**
 * Extension points around a FleetLock grant (Kubernetes draining: kube-hooks.ts). The contract
 * lives with the lifecycle that calls them (orchestrate/_kube.ts GrantHooks); this is the
 * FleetLock domain's name for it and the default that grants at once.
 */
import type { BeforeGrantResult, GrantHooks } from "../orchestrate/index.ts";

export type { BeforeGrantResult };
export type FleetLockHooks = GrantHooks;

/** The default: grant at once, nothing to undo. */
export const noopHooks: FleetLockHooks = {
  beforeGrant: async () => ({ kind: "ready" }),
  afterRelease: async () => {},
};

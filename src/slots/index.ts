/**
 * Front door of slots/: every etcd transaction of the protocol lives here (and the gateway in
 * etcd/), one small file per concept, like etcd's own client/v3/concurrency: the key layout, the
 * records, one consistent read, acquisition, the transitions after it, and the daemon's session.
 */
export { makeKeys, lastSegment, type Keys } from "./keys.ts";
export * from "./records.ts";
export { describeMachine, foreignMachine, identityFields, identityFix, type MachineIdentity } from "./identity.ts";
export { emptyClusterState, readClusterState, ownSlot, slotFromKV, type ClusterState, type SlotEntry } from "./state.ts";
export { tryAcquireSlot, acquireOnNewLease, admission, budgetUse, effectiveLimits, fenceBudget, upCompares, type AcquireResult, type SlotRequest } from "./acquire.ts";
export { enterRebooting, keepOnOwnLease, refreshSlotLease, updateSlot, releaseSlot, deleteSlots, type FenceResult, type ReleaseResult } from "./transitions.ts";
export { checkIdentity, IdentityConflictError, openSession, passiveSession, registerMember, type Session, type SessionIdentity } from "./session.ts";
export { describeBudget, describeDown, downMembers, isStale, isStarting, STARTING_PHASE, STALE_AFTER_INTERVALS, staleAfterMs, type DownNode, type Liveness } from "./down.ts";
export { convertStaleSlot, describeFreeze, failureEntry, failureLimit, isStaleSlot, planFailure, type FailurePlan, type StaleResult } from "./failure.ts";
export { acknowledgeReset, clearFreeze, clearHistory, clearPause, forgetNode, setPause } from "./operator.ts";
export { joinQueue, leaveQueue, ordinal, queuePlace, type QueueView } from "./queue.ts";
export { cancelRequest, putRequest, readRequest, requestAtFence, type RequestView } from "./requests.ts";

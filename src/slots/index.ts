/**
 * Front door of slots/: every etcd transaction of the protocol lives here (and the gateway in
 * etcd/), one small file per concept, like etcd's own client/v3/concurrency: the key layout, the
 * records, one consistent read, acquisition, the transitions after it, and the daemon's session.
 */
export { makeKeys, lastSegment, type Keys } from "./keys.ts";
export * from "./records.ts";
export { readClusterState, ownSlot, slotFromKV, type ClusterState, type SlotEntry } from "./state.ts";
export { tryAcquireSlot, acquireOnNewLease, admission, effectiveLimits, type AcquireResult, type SlotRequest } from "./acquire.ts";
export { enterRebooting, refreshSlotLease, updateSlot, releaseSlot, deleteSlots, type FenceResult, type ReleaseResult } from "./transitions.ts";
export { checkIdentity, IdentityConflictError, openSession, passiveSession, registerMember, type Session, type SessionIdentity } from "./session.ts";
export { acknowledgeReset, clearHistory, clearPause, forgetNode, setPause } from "./operator.ts";
export { joinQueue, leaveQueue, ordinal, queuePlace, type QueueView } from "./queue.ts";
export { cancelRequest, putRequest, readRequest, requestAtFence, type RequestView } from "./requests.ts";

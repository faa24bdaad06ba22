export { makeKeys, lastSegment, type Keys } from "./keys.ts";
export * from "./records.ts";
export { readClusterState, ownSlot, slotFromKV, type ClusterState, type SlotEntry } from "./state.ts";
export { tryAcquireSlot, admission, effectiveLimits, type AcquireResult, type SlotRequest } from "./acquire.ts";
export { enterRebooting, updateSlot, releaseSlot, deleteSlots, type FenceResult, type ReleaseResult } from "./transitions.ts";

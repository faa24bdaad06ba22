export { classifyPeers, evaluatePolicy, STALE_AFTER_INTERVALS, type PeerView, type PolicyConfig, type PolicyVerdict } from "./policy.ts";

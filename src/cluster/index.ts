export { classifyPeers, evaluatePolicy, STALE_AFTER_INTERVALS, type PeerView, type PolicyConfig, type PolicyVerdict } from "./policy.ts";
export { openSession, registerMember, type Session, type SessionIdentity } from "./session.ts";

/**
 * A daemon's session as a running daemon has it after its first health check: open, and a
 * healthy record published. A member whose session shows no passed health check counts as down
 * (slots/down.ts), so tests that stand in for running peers use this.
 */
import type { EtcdGateway } from "../../src/etcd/index.ts";
import { openSession, type Keys, type Session, type SessionIdentity } from "../../src/slots/index.ts";

export async function openHealthySession(gw: EtcdGateway, keys: Keys, id: SessionIdentity, opts: { ttlSec: number; nowMs: number }): Promise<Session> {
  const s = await openSession(gw, keys, id, opts);
  await s.publishHealth({ healthy: true, phase: "heartbeat", seq: 0, nowMs: opts.nowMs });
  return s;
}

/** status --skip-lock: no etcd and no server; the lifecycle stops before any slot. */
import { noOwnSlot, type LockBackend } from "./lock.ts";
import { outcome } from "./outcome.ts";

export const noLock: LockBackend = {
  kind: "none",
  throughReboot: { issued: "no lock", failed: "no lock" },
  view: async () => undefined,
  wouldAcquire: () => outcome("lock_skipped", "lock acquisition skipped (--skip-lock)"),
  acquire: async () => ({ kind: "refused", outcome: outcome("lock_skipped", "lock acquisition skipped (--skip-lock)") }),
  fence: async () => ({ kind: "lost", outcome: outcome("lock_skipped", "no lock") }),
  release: async () => ({ kind: "not-held" }),
  idle: async () => ({ kind: "ok" }),
  ...noOwnSlot,
};

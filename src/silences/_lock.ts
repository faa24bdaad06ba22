/**
 * Silences hooked onto the lock backend, so the lifecycle itself does not change: a successful
 * fence starts the silence, and releasing a slot that was fenced (after boot, or a dry run's
 * release) expires it. A slot given back while still `preparing` never had one.
 */
import type { LockBackend } from "../orchestrate/index.ts";
import type { Silencer } from "./_client.ts";

export function withSilences(lock: LockBackend, s: Silencer): LockBackend {
  return {
    ...lock,
    async fence(slot, info) {
      const f = await lock.fence(slot, info);
      if (f.kind === "fenced") s.fenced(f.slot);
      return f;
    },
    async release(slot, info) {
      const r = await lock.release(slot, info);
      if (r.kind === "released" && slot.phase !== "preparing") s.released(slot);
      return r;
    },
    async releaseAfterBoot(slot, info) {
      const r = await lock.releaseAfterBoot(slot, info);
      if (r.kind === "released") s.released(slot);
      return r;
    },
  };
}

/**
 * The process-scoped resources of `run`: the etcd client and the daemon's session (membership
 * and health record), or where the remote FleetLock server is. Opened once per process; a SIGHUP
 * reload keeps them (_runtime.ts).
 */
import { readFile } from "node:fs/promises";
import type { ResolvedConfig } from "../config/index.ts";
import { isTransient } from "../etcd/index.ts";
import { IdentityConflictError, openSession } from "../slots/index.ts";
import { backoffDelay, type Plan } from "../orchestrate/index.ts";
import type { Clock, Host } from "../platform/index.ts";
import type { Logger } from "../observe/index.ts";
import type { HostIdentity } from "./_context.ts";
import type { Resources } from "./_runtime.ts";
import { connect } from "./_setup.ts";

export type Opened =
  | { ok: true; lock: Resources["lock"]; close(opts: { graceful: boolean; goingDown?: boolean }): Promise<void> }
  | { ok: false; reason: "stopped" | "unreachable" };

export interface OpenOptions {
  plan: Plan;
  identity: HostIdentity;
  ports: { clock: Clock; host: Host; log: Logger };
  signal: AbortSignal;
  /** One pass (--once/--timer): do not wait for etcd forever. */
  single: boolean;
  /** run --timer: leave the health record this long at the end (timer_presence_sec; slots/session.ts). */
  presenceSec?: number;
}

export async function openResources(cfg: ResolvedConfig, o: OpenOptions): Promise<Opened> {
  if (cfg.lock_backend === "fleetlock" && cfg.fleetlock_client) {
    const fc = cfg.fleetlock_client;
    const ca = fc.ca_file ? await readFile(fc.ca_file, "utf8") : undefined;
    return {
      ok: true,
      lock: { kind: "fleetlock", url: fc.url, id: fc.id ?? cfg.node_name, group: fc.group ?? cfg.group, timeoutMs: fc.timeout_sec * 1000, ...(ca ? { ca } : {}) },
      close: async () => {},
    };
  }
  const etcd = await connect(cfg);
  // etcd may not be up yet (boot order) or a member may be down: wait, never crash-loop (W10).
  const session = await waitForEtcd(o, o.signal, o.single, () =>
    openSession(
      etcd.gw,
      etcd.keys,
      {
        node: cfg.node_name,
        group: cfg.group,
        fallback: o.plan.fallback,
        pid: o.ports.host.pid(),
        bootId: o.identity.bootId,
        machineId: o.identity.machineId,
        ...(o.identity.hardwareId ? { hardwareId: o.identity.hardwareId } : {}),
        limit: o.plan.limit,
        globalCap: o.plan.globalCap,
      },
      { ttlSec: cfg.lock_ttl_sec, nowMs: o.ports.clock.now() },
    ),
  );
  if (!session) {
    await etcd.gw.close();
    return { ok: false, reason: o.signal.aborted ? "stopped" : "unreachable" };
  }
  return {
    ok: true,
    lock: { kind: "etcd", etcd, session },
    async close({ graceful, goingDown }) {
      // Graceful stop: our health record disappears at once (peers see "missing", not a stale
      // "healthy"). A slot in `rebooting`/`verifying` lives on its own lease and is unaffected.
      // A timer pass leaves its record behind — unless the machine is going down right now (it
      // ran the reboot command): a "healthy" record must not outlive it while it is away.
      const presence = graceful && o.presenceSec && !goingDown ? { presence: { ttlSec: o.presenceSec, nowMs: o.ports.clock.now() } } : {};
      await session.close({ revoke: graceful, ...presence });
      await etcd.gw.close();
    },
  };
}

/** Retries `fn` with backoff while etcd is unavailable; says what it waits for. */
export async function waitForEtcd<T>(
  co: { plan: Pick<Plan, "backoffMinMs" | "backoffMaxMs">; ports: { clock: Clock; log: Logger } },
  signal: AbortSignal,
  once: boolean,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // Another machine uses our node name: no waiting helps; the caller refuses to run (exit 2).
      if (err instanceof IdentityConflictError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      if (once || !isTransient(err)) {
        co.ports.log.event("error", "etcd_unavailable", { error: msg });
        if (!once && !isTransient(err)) throw err;
        return undefined;
      }
      const delay = backoffDelay(attempt, co.plan.backoffMinMs, co.plan.backoffMaxMs);
      co.ports.log.event("warn", "waiting_for_etcd", { error: msg, attempt, retry_in_ms: delay });
      await co.ports.clock.sleep(delay, signal);
    }
  }
  return undefined;
}

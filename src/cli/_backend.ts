/**
 * The process-scoped resources of `run` and `status`: the etcd client and the daemon's session
 * (membership and health record), or where the remote FleetLock server is. Opened once per
 * process; a SIGHUP reload keeps them (_runtime.ts).
 */
import { readFile } from "node:fs/promises";
import type { ResolvedConfig } from "../config/index.ts";
import { openSession } from "../slots/index.ts";
import type { Plan } from "../orchestrate/index.ts";
import type { Clock, Host } from "../platform/index.ts";
import type { Logger } from "../observe/index.ts";
import type { Resources } from "./_runtime.ts";
import { connect } from "./_setup.ts";
import { waitForEtcd } from "./_daemon.ts";

export type Opened =
  | { ok: true; lock: Resources["lock"]; close(opts: { graceful: boolean; goingDown?: boolean }): Promise<void> }
  | { ok: false; reason: "stopped" | "unreachable" };

export interface OpenOptions {
  plan: Plan;
  ports: { clock: Clock; host: Host; log: Logger };
  signal: AbortSignal;
  /** One pass (--once/--timer/status): do not wait for etcd forever. */
  single: boolean;
  /** status: read only, no session (nothing is published). */
  readOnly?: boolean;
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
  if (o.readOnly) return { ok: true, lock: { kind: "etcd", etcd }, close: () => etcd.gw.close() };
  const machineId = await o.ports.host.machineId();
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
        bootId: o.plan.baseEnv["RC_BOOT_ID"] ?? "",
        machineId,
        ...(o.plan.hardwareId ? { hardwareId: o.plan.hardwareId } : {}),
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

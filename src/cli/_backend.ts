/**
 * The lock backend of `run`: our etcd slots (a session with health record and membership), or a
 * remote FleetLock server (lock_backend: fleetlock).
 */
import { readFile } from "node:fs/promises";
import { openSession } from "../cluster/index.ts";
import type { Config } from "../config/index.ts";
import { createFleetLockClient } from "../fleetlock/index.ts";
import type { Coordinator } from "../orchestrate/context.ts";
import { connect } from "./_setup.ts";
import { waitForEtcd } from "./_daemon.ts";

export type Backend =
  | { ok: true; live: Coordinator; close(opts: { graceful: boolean }): Promise<void> }
  | { ok: false; reason: "stopped" | "unreachable" };

export async function openBackend(cfg: Config, co: Coordinator, signal: AbortSignal, single: boolean): Promise<Backend> {
  if (cfg.lock_backend === "fleetlock" && cfg.fleetlock_client) {
    const fc = cfg.fleetlock_client;
    const client = createFleetLockClient({
      baseUrl: fc.url,
      timeoutMs: fc.timeout_sec * 1000,
      ...(fc.ca_file ? { ca: await readFile(fc.ca_file, "utf8") } : {}),
    });
    const live: Coordinator = { ...co, remote: { client, id: fc.id ?? cfg.node_name, group: fc.group ?? cfg.group } };
    return { ok: true, live, close: async () => {} };
  }
  const etcd = await connect(cfg);
  // etcd may not be up yet (boot order) or a member may be down: wait, never crash-loop (W10).
  const session = await waitForEtcd(co, signal, single, () =>
    openSession(
      etcd.gw,
      etcd.keys,
      { node: cfg.node_name, group: cfg.group, fallback: co.plan.fallback, pid: process.pid, bootId: co.plan.baseEnv["RC_BOOT_ID"] ?? "" },
      { ttlSec: cfg.lock_ttl_sec, nowMs: Date.now() },
    ),
  );
  if (!session) {
    await etcd.gw.close();
    return { ok: false, reason: signal.aborted ? "stopped" : "unreachable" };
  }
  return {
    ok: true,
    live: { ...co, etcd, session },
    async close({ graceful }) {
      // Graceful stop: our health record disappears at once (peers see "missing", not a stale
      // "healthy"). A slot in `rebooting`/`verifying` lives on its own lease and is unaffected.
      await session.close({ revoke: graceful });
      await etcd.gw.close();
    },
  };
}

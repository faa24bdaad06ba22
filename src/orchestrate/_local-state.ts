/**
 * What a node remembers on its own disk (the state directory), because etcd itself can forget:
 *
 * - etcd's identity: its cluster id and the highest revision seen. A new cluster id (members
 *   wiped and recreated) or a revision that goes backwards (an old snapshot restored) means the
 *   slots of nodes that are down right now may be gone: no new slot for reboot_slot_timeout_sec
 *   (the longest a slot could have lived), or until `clusterrebootd resume --etcd-reset`.
 * - "rebooting under slot S": written right before the reboot command. Coming back to find the
 *   slot gone, the node takes it again (so peers see it still counts as down until healthy) or,
 *   if the budget is already used by others, says loudly that it was exceeded.
 *
 * The revision is written at most every REVISION_PERSIST_MS (SD cards wear) and at every fence;
 * while the process runs, memory catches every step back. docs/SLOTS.md §Invariants.
 */
import { passiveSession, type ClusterState } from "../slots/index.ts";
import type { Coordinator, EtcdCoordinator } from "./context.ts";

const REVISION_PERSIST_MS = 10 * 60_000;

interface Marker {
  slot: string;
  group: string;
  boot_id: string;
  deadline: string;
  cluster_id: string;
  at: string;
}

const identityFile = (co: Coordinator) => `${co.ports.host.stateDir()}/etcd-identity.json`;
// Per node name: several simulated nodes (or a misconfigured machine) may share a state directory.
const markerFile = (co: Coordinator) => `${co.ports.host.stateDir()}/rebooting-${co.plan.node}.json`;

async function readJson<T>(co: Coordinator, path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await co.ports.fs.readText(path)) as T;
  } catch {
    return undefined;
  }
}

async function writeJson(co: Coordinator, path: string, data: unknown): Promise<void> {
  try {
    await co.ports.fs.writeAtomic(path, JSON.stringify(data, null, 2) + "\n", 0o640);
  } catch (err) {
    co.ports.log.event("warn", "marker_write_failed", { path, error: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * Notes etcd's identity from a read; detects a cluster that lost its data (the etcd reset gate in
 * gates.ts then holds new slots). Daemons persist it. The one part of the loop memory not changed
 * through runPass: this record is updated as it is read (concurrent FleetLock grants share it),
 * so no other pass can act on an older one in between. No view (FleetLock client, --skip-lock):
 * nothing to note. Model step ETCD_IDENTITY.
 */
export async function observeEtcd(co: Coordinator, state: ClusterState | undefined, force = false): Promise<void> {
  if (!state) return;
  const m = co.memory.etcd;
  // Read-only passes (status) write nothing, not even here.
  const persist = co.mode === "etcd" && co.session !== passiveSession;
  if (!m.loaded) {
    m.loaded = true;
    const saved = persist ? await readJson<{ cluster_id: string; max_revision: number }>(co, identityFile(co)) : undefined;
    if (saved && typeof saved.cluster_id === "string" && Number.isFinite(saved.max_revision)) {
      m.clusterId = saved.cluster_id;
      m.maxRevision = saved.max_revision;
    }
  }
  const now = co.ports.clock.now();
  const reason =
    m.clusterId !== undefined && m.clusterId !== state.clusterId
      ? `etcd's cluster id changed from ${m.clusterId} to ${state.clusterId} (the cluster was recreated)`
      : state.revision < m.maxRevision
        ? `etcd's revision went backwards from ${m.maxRevision} to ${state.revision} (an old snapshot was restored?)`
        : undefined;
  if (reason) {
    m.hold = { reason, clusterId: state.clusterId, atMs: now, untilMs: now + co.plan.slotTimeoutSec * 1000 };
    m.maxRevision = 0;
    co.ports.metrics.inc("etcd_resets_total", { reason: reason.includes("cluster id") ? "cluster_id" : "revision" });
    co.ports.log.event("error", "etcd_reset_detected", { reason, hold_until: new Date(m.hold.untilMs).toISOString(), acknowledge: "clusterrebootd resume --etcd-reset" });
  }
  const changed = m.clusterId !== state.clusterId || reason !== undefined;
  m.clusterId = state.clusterId;
  m.maxRevision = Math.max(m.maxRevision, state.revision);
  if (persist && (changed || force || now - m.persistedAtMs >= REVISION_PERSIST_MS)) {
    m.persistedAtMs = now;
    await writeJson(co, identityFile(co), { cluster_id: m.clusterId, max_revision: m.maxRevision, written_at: new Date(now).toISOString() });
  }
}

/** Right before the reboot command: where we are going, in case etcd forgets while we are down. Model step MARK. */
export async function writeRebootingMarker(co: Coordinator, m: Omit<Marker, "at" | "cluster_id">): Promise<void> {
  const nowIso = new Date(co.ports.clock.now()).toISOString();
  await writeJson(co, markerFile(co), { ...m, cluster_id: co.memory.etcd.clusterId ?? "", at: nowIso });
}

export async function removeRebootingMarker(co: Coordinator): Promise<void> {
  await co.ports.fs.remove(markerFile(co)).catch(() => {});
}

/**
 * No slot of ours in etcd, but our marker says we rebooted under one whose deadline has not
 * passed: the slot vanished (etcd lost its data, or a forced unlock). Take it again (lock.recover)
 * as `rebooting` so peers still count us as down until the post-boot checks pass. Model step RECREATE.
 */
export async function recoverVanishedSlot(co: EtcdCoordinator): Promise<void> {
  const m = await readJson<Marker>(co, markerFile(co));
  // Only a marker for exactly our slot key counts (group and name as configured now).
  if (!m || typeof m.deadline !== "string" || m.slot !== co.etcd.keys.slot(co.plan.group, co.plan.node)) return;
  const now = co.ports.clock.now();
  const bootId = await co.ports.host.bootId();
  const left = Date.parse(m.deadline) - now;
  if (m.boot_id === bootId || !(left > 0)) {
    // Same boot (the reboot did not happen) or past its deadline: nothing to keep down any more.
    if (m.boot_id !== bootId) co.ports.log.event("warn", "slot_vanished", { slot: m.slot, deadline: m.deadline, action: "none: past its deadline" });
    await removeRebootingMarker(co);
    return;
  }
  const res = await co.lock.recover({ bootId: m.boot_id, deadline: m.deadline, nowMs: now });
  // Our slot is still there: the ordinary way back (the post-boot path verifies and releases it).
  if (res.kind === "present") return;
  if (res.kind === "recreated") {
    co.ports.log.event("error", "slot_recreated", { slot: res.key, was: m.slot, deadline: m.deadline });
    return;
  }
  co.ports.metrics.inc("stale_slots_freed_total");
  co.ports.log.event("error", "slot_vanished", {
    slot: m.slot,
    deadline: m.deadline,
    action: `could not take it again (${res.why}): other nodes used the budget while this one was down; the budget may have been exceeded`,
  });
  await removeRebootingMarker(co);
}

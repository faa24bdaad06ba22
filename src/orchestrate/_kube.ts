/**
 * Kubernetes state around a reboot: undo our cordon whenever a slot ends without (or after) a
 * reboot, and find and undo a cordon left by a crashed daemon. The state lives in annotations on
 * the Node (kube/_node.ts), so any later process can finish the job.
 */
import type { Coordinator } from "./context.ts";

/** Uncordons (only if we cordoned) and clears our annotations; true when nothing of ours is left. */
export async function restoreNode(co: Coordinator, why: string): Promise<boolean> {
  if (!co.kube) return true;
  const res = await co.kube.kube.restore(co.kube.node);
  if (res.kind === "failed") {
    co.ports.log.event("error", "uncordon_failed", { node: co.kube.node, reason: res.reason, why });
    return false;
  }
  if (res.kind === "restored" && (res.uncordoned || res.hadState))
    co.ports.log.event("info", "node_restored", { node: co.kube.node, uncordoned: res.uncordoned, why });
  return true;
}

/**
 * A pass that holds no slot must not find the node cordoned by us or carrying our state: that is
 * left over from a crash or an expired slot. Undo it.
 */
export async function restoreLeftovers(co: Coordinator): Promise<void> {
  if (!co.kube) return;
  const st = await co.kube.kube.readState(co.kube.node);
  if (st.kind !== "ok") {
    if (st.kind === "failed") co.ports.log.event("warn", "kube_state_unreadable", { node: co.kube.node, reason: st.reason });
    return;
  }
  if (st.state !== null || st.cordonedByUs) await restoreNode(co, `left over (state ${st.state ?? "none"}) without a slot`);
}

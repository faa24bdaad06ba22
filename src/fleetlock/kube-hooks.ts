/**
 * Kubernetes nodes behind FleetLock (what poseidon/fleetlock does, but gating): on pre-reboot the
 * client's node is cordoned and drained through the Eviction API while its slot is held, and the
 * grant (200) is answered only once the drain finished — `draining` (423) meanwhile, so Zincati
 * retries. On steady-state the node is uncordoned (only if we cordoned it).
 *
 * Mapping a client id to a node, first match wins: a node annotated
 * `clusterrebootd/fleetlock-id: <id>`; a node whose app-specific machine id equals the id (Zincati
 * sends systemd's app-specific id of /etc/machine-id for Zincati's app id, exactly as poseidon
 * derives it); a node named like the id. No node → the grant fails: we never answer 200 for a
 * node we could not drain.
 */
import { createHmac } from "node:crypto";
import type { Kube, KubeApi, DrainOptions, DrainResult } from "../kube/index.ts";
import type { Logger } from "../observe/index.ts";
import type { BeforeGrantResult, FleetLockHooks } from "./hooks.ts";

/** Zincati's application id (zincati src/identity), used with sd_id128_get_machine_app_specific. */
export const ZINCATI_APP_ID = "de35106b6ec24688b63afddaa156679b";
export const ID_ANNOTATION = "clusterrebootd/fleetlock-id";
/** How long one pre-reboot request waits for a running drain before answering `draining`. */
const ANSWER_WITHIN_MS = 2_000;

/** systemd's app-specific machine id: HMAC-SHA256(key=machine id, msg=app id), UUIDv4 bits set. */
export function appSpecificId(machineId: string, appId = ZINCATI_APP_ID): string {
  const h = createHmac("sha256", Buffer.from(machineId.trim(), "hex")).update(Buffer.from(appId, "hex")).digest();
  const id = Buffer.from(h.subarray(0, 16));
  id[6] = (id[6]! & 0x0f) | 0x40;
  id[8] = (id[8]! & 0x3f) | 0x80;
  return id.toString("hex");
}

export interface KubeHooksDeps {
  kube: Kube;
  api: KubeApi;
  drain: DrainOptions;
  log: Logger;
  /** Overridable for tests. */
  answerWithinMs?: number;
}

export function createKubeHooks(d: KubeHooksDeps): FleetLockHooks {
  const running = new Map<string, Promise<DrainResult>>();
  const finished = new Map<string, DrainResult>();
  const within = d.answerWithinMs ?? ANSWER_WITHIN_MS;

  async function nodeFor(id: string): Promise<string | { error: string }> {
    const res = await d.api.listNodes();
    if (res.kind !== "ok") return { error: `cannot list nodes to find the client's node: ${res.kind}` };
    const nodes = res.value;
    const byAnnotation = nodes.find((n) => (n.metadata.annotations as Record<string, string> | undefined)?.[ID_ANNOTATION] === id);
    if (byAnnotation) return byAnnotation.metadata.name;
    const byMachine = nodes.find((n) => {
      const m = n.status?.nodeInfo?.machineID;
      return typeof m === "string" && /^[0-9a-f]{32}$/i.test(m) && appSpecificId(m) === id.toLowerCase();
    });
    if (byMachine) return byMachine.metadata.name;
    const byName = nodes.find((n) => n.metadata.name === id);
    if (byName) return byName.metadata.name;
    return { error: `no Kubernetes node for FleetLock id ${id} (annotate the node with ${ID_ANNOTATION}: ${id})` };
  }

  return {
    async beforeGrant(id) {
      const node = await nodeFor(id);
      if (typeof node !== "string") return { kind: "failed", reason: node.error };
      const done = finished.get(node);
      if (done) {
        finished.delete(node);
        return verdict(node, done);
      }
      let p = running.get(node);
      if (!p) {
        d.log.event("info", "fleetlock_drain_started", { id, node });
        p = d.kube.drain(node, d.drain).finally(() => running.delete(node));
        running.set(node, p);
        void p.then((r) => finished.set(node, r));
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([p, new Promise<undefined>((res) => (timer = setTimeout(res, within, undefined)))]);
      clearTimeout(timer);
      if (!r) return { kind: "draining" };
      finished.delete(node);
      return verdict(node, r);
    },
    async afterRelease(id) {
      const node = await nodeFor(id);
      if (typeof node !== "string") return; // nothing of ours to undo on a node we never found
      const res = await d.kube.restore(node);
      if (res.kind === "failed") throw new Error(`uncordon of ${node} failed: ${res.reason}`);
    },
  };

  function verdict(node: string, r: DrainResult): BeforeGrantResult {
    d.log.event(r.kind === "drained" ? "info" : "warn", "fleetlock_drain_finished", { node, result: r.kind });
    if (r.kind === "drained") return { kind: "ready" };
    const why = r.kind === "timeout" ? `drain timed out (${r.remaining.length} pod(s) left)` : r.kind === "failed" ? r.reason : "drain interrupted";
    return { kind: "failed", reason: `${node}: ${why}; node uncordoned` };
  }
}

/**
 * The daemon's `detect` on etcd: the configured detectors OR a pending on-demand request
 * (`request-reboot`), reported as one more detector result named `request:<who>`, so every gate
 * (kill switch, pause, windows, health, policy, budget) still applies. One etcd get per call. An
 * unreadable request is a detector error: the pass blocks rather than guessing either way.
 */
import type { Evaluation } from "../detect/index.ts";
import type { EtcdGateway } from "../etcd/index.ts";
import type { Metrics } from "../observe/index.ts";
import { readRequest, type Keys } from "../slots/index.ts";

export function withRequests(
  detect: (signal?: AbortSignal) => Promise<Evaluation>,
  o: { etcd: { gw: EtcdGateway; keys: Keys }; node: string; metrics: Metrics },
) {
  return {
    async detect(signal?: AbortSignal): Promise<Evaluation> {
      const ev = await detect(signal);
      const view = await readRequest(o.etcd.gw, o.etcd.keys, o.node);
      o.metrics.set("reboot_requests_pending", view.kind === "none" ? 0 : 1);
      if (view.kind === "none") return ev;
      if (view.kind === "unreadable")
        return { ...ev, hasErrors: true, results: [...ev.results, { name: "request", type: "request", durationMs: 0, kind: "error", error: `unreadable reboot request at ${view.key}; run 'clusterrebootd cancel-reboot ${o.node}'` }] };
      const r = view.request;
      return { ...ev, requiresReboot: true, results: [...ev.results, { name: `request:${r.by}`, type: "request", durationMs: 0, kind: "required", ...(r.reason ? { stdout: r.reason } : {}) }] };
    },
    /** A pending request with --ignore-window: the window gate lets this node go outside its windows. */
    async ignoreWindow(): Promise<boolean> {
      const view = await readRequest(o.etcd.gw, o.etcd.keys, o.node);
      return view.kind === "pending" && view.request.ignore_window;
    },
  };
}

/**
 * Public types of the Kubernetes domain: the drain / restore / annotate surface the orchestrator
 * calls while it holds a reboot slot, and their tagged results.
 */

/** Our state on the node, shown as the `clusterrebootd/state` annotation (like the FleetLock manager's). */
export type NodeRebootState = "draining" | "rebooting" | "verifying";

export interface DrainOptions {
  /** Give up after this long (measured with the injected Clock). */
  timeoutMs: number;
  /** Grace period sent with each eviction/deletion; null = each pod's own terminationGracePeriodSeconds. */
  gracePeriodSec: number | null;
  /** Evict pods with emptyDir volumes (their data is lost); false = refuse to drain while any exist. */
  deleteEmptyDirData: boolean;
  /** Evict pods without a controller (nothing recreates them); false = refuse to drain while any exist. */
  evictUnmanagedPods: boolean;
  /** Only pods matching this label selector are evicted; "" = all. */
  podSelector: string;
  /** abort: uncordon (if we cordoned) and report; force: delete the pods left and report drained. */
  onTimeout: "abort" | "force";
  /** First and largest pause after a round in which an eviction was refused (429 and friends). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Pause between rounds while evicted pods are still terminating. */
  pollMs?: number;
  /** With onTimeout force: how long to wait for force-deleted pods to disappear before reporting. */
  forceWaitMs?: number;
}

export interface PodRef {
  namespace: string;
  name: string;
}

/** A pod the drain leaves alone, and why. */
export interface SkippedPod extends PodRef {
  why: "daemonset" | "mirror" | "finished";
}

/** A pod still on the node when the drain gave up, with the last reason it did not leave. */
export interface RemainingPod extends PodRef {
  reason: string;
}

/**
 * How a drain ended. Every result but `drained` has already tried to undo the cordon (`restored`),
 * so the caller only has to release its slot and report.
 */
export type DrainResult =
  | {
      kind: "drained"; // nothing evictable left on the node: safe to reboot
      evicted: PodRef[];
      /** Deleted without the Eviction API after the timeout (on_timeout: force). */
      forced: PodRef[];
      /** on_timeout force only: pods still there (delete failed, or not gone after forceWaitMs); the reboot kills them. */
      leftBehind: RemainingPod[];
      skipped: SkippedPod[];
      durationMs: number;
    }
  | { kind: "timeout"; remaining: RemainingPod[]; restored: RestoreResult; durationMs: number } // on_timeout: abort
  | { kind: "failed"; reason: string; restored: RestoreResult; durationMs: number } // cannot drain (refused pods, RBAC, node missing)
  | { kind: "interrupted"; restored: RestoreResult; durationMs: number }; // the caller's signal aborted (shutdown, slot lost)

export type RestoreResult =
  | { kind: "restored"; uncordoned: boolean; hadState: boolean } // our annotations are gone; uncordoned iff we had cordoned it
  | { kind: "not-found" } // no such node (deleted): nothing to restore
  | { kind: "failed"; reason: string }; // API unreachable or refused: try again later (state is still on the node)

export type AnnotateResult = { kind: "ok" } | { kind: "failed"; reason: string };

/** What our annotations on the node say; read at start-up to finish or undo after a crash. */
export type NodeStateResult =
  | {
      kind: "ok";
      state: NodeRebootState | null;
      /** We cordoned the node (it was schedulable before): restore() will uncordon it. */
      cordonedByUs: boolean;
      unschedulable: boolean;
      /** When our drain first cordoned it (ISO), if it did. */
      drainStartedAt: string | null;
    }
  | { kind: "not-found" }
  | { kind: "failed"; reason: string };

export interface Kube {
  /** Cordon (recording the prior unschedulable state in an annotation), evict pods PDB-aware, until drained or timeout. */
  drain(node: string, opts: DrainOptions, signal?: AbortSignal): Promise<DrainResult>;
  /** Uncordon only if we cordoned it (annotation says so); clear our annotations. Idempotent. */
  restore(node: string): Promise<RestoreResult>;
  /** Set `clusterrebootd/state` (null removes it). Informational: a failure is reported, not thrown. */
  annotate(node: string, state: NodeRebootState | null): Promise<AnnotateResult>;
  /** Our annotations as they are on the node now. */
  readState(node: string): Promise<NodeStateResult>;
}

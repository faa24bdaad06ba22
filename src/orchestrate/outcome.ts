/**
 * The one place exit codes come from. Every command returns an `Outcome`; `cli/index.ts` maps it
 * with EXIT_CODE and sets process.exitCode. The numbers are the Go clusterrebootd's contract
 * (docs/WEAKNESSES.md §Compatibility): 0 ok, 1 runtime, 2 config, 3 health blocked, 4 lock
 * unavailable, 5 kill switch, 6 detector error (simulate), 64 usage.
 *
 * OUTCOMES is the one table per kind: exit code, log level of the `run_outcome` line, and whether
 * the kind means "needs a reboot and is not getting one" (the blocked gauge, the blocked webhook).
 * Every other list of kinds is derived from it.
 */
export interface OutcomeSpec {
  exit: number;
  /** The log level of the `run_outcome` line (observe's levels, without debug; no import: observe is below). */
  level: "info" | "warn" | "error";
  /** Needs a reboot and is not getting one: counted by the blocked gauge and the blocked webhook. */
  blocked: boolean;
}

export const OUTCOMES = {
  no_action: { exit: 0, level: "info", blocked: false }, // no detector requires a reboot (and monitor health passed)
  ready: { exit: 0, level: "info", blocked: false }, // prerequisites satisfied (dry-run / status / --once: would reboot now)
  rebooting: { exit: 0, level: "info", blocked: false }, // the reboot command ran under the slot (or a FleetLock grant)
  post_boot_released: { exit: 0, level: "info", blocked: false }, // back after a reboot, healthy, slot released
  recheck_cleared: { exit: 0, level: "info", blocked: false }, // detectors cleared after taking the slot
  kill_switch_active: { exit: 5, level: "warn", blocked: true }, // node-local kill switch file present
  // The pause key is the cluster-wide kill switch (W20): same exit code as the node-local one.
  paused: { exit: 5, level: "warn", blocked: true }, // cluster-wide pause key present
  // A failed reboot froze the group: a group-scoped pause, lifted by `resume --group G`.
  group_frozen: { exit: 5, level: "warn", blocked: true }, // the group is frozen after a failed reboot
  window_denied: { exit: 0, level: "warn", blocked: true }, // inside a deny window
  window_outside_allow: { exit: 0, level: "warn", blocked: true }, // allow windows configured and none open
  cooldown_active: { exit: 0, level: "warn", blocked: true }, // a reboot finished too recently in this group
  health_blocked: { exit: 3, level: "warn", blocked: true }, // health script or cluster policy says no
  lock_skipped: { exit: 0, level: "info", blocked: false }, // status --skip-lock: would try to take a slot
  users_logged_in: { exit: 0, level: "warn", blocked: true }, // deferring while interactive users are logged in (bounded)
  lock_unavailable: { exit: 4, level: "warn", blocked: true }, // every slot of the group (or the global cap) is taken
  // Refusing to reboot again without an operator is a health refusal, not a lock problem.
  reboot_loop_guard: { exit: 3, level: "warn", blocked: true }, // rebooted too often recently; operator needed
  // group_from_node_label could not be read: the budget this node counts against is unknown.
  group_unresolved: { exit: 4, level: "warn", blocked: true }, // the node's group label is missing or unreadable
  drain_blocked: { exit: 3, level: "warn", blocked: true }, // the Kubernetes drain did not finish, or the uncordon failed
  draining: { exit: 0, level: "info", blocked: false }, // FleetLock grant: slot reserved while the node drains
  // Another machine uses this node name (a cloned SD card): refuse to run at all, like a bad config.
  identity_conflict: { exit: 2, level: "error", blocked: true }, // a live record or slot of our name belongs to another machine
  ok: { exit: 0, level: "info", blocked: false }, // a command that is not an orchestration pass succeeded
  runtime_error: { exit: 1, level: "error", blocked: false }, // etcd, detector or health runtime failure; interrupted --once
  config_error: { exit: 2, level: "error", blocked: false }, // invalid configuration (any problem validate-config can see)
  detector_error: { exit: 6, level: "error", blocked: false }, // simulate: at least one detector errored
  usage: { exit: 64, level: "error", blocked: false }, // bad command line
} as const satisfies Record<string, OutcomeSpec>;

export type OutcomeKind = keyof typeof OUTCOMES;

export const EXIT_CODE = Object.fromEntries(Object.entries(OUTCOMES).map(([k, s]) => [k, s.exit])) as { readonly [K in OutcomeKind]: number };

/** Kinds that mean "needs a reboot and is not getting one" (the blocked gauge and webhook). */
export const isBlocked = (kind: OutcomeKind): boolean => OUTCOMES[kind].blocked;

/**
 * What a command hands back to the exit-code wrapper. Refusals carry what an operator or a
 * FleetLock client needs beyond the sentence: who holds the slots (never shown to FleetLock
 * clients), and the scope of a full budget.
 */
export interface Outcome {
  kind: OutcomeKind;
  message: string;
  /** lock_unavailable: the holders of the full budget (node names). */
  holders?: string[];
  /** Lost a race (a transaction conflict, a slot that changed meanwhile): retrying may succeed. */
  retry?: boolean;
}

export const outcome = (kind: OutcomeKind, message: string, extra: Omit<Outcome, "kind" | "message"> = {}): Outcome => ({ kind, message, ...extra });

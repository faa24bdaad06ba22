/**
 * The one place exit codes come from. Every command returns an `Outcome`; `cli/_exit.ts` maps it
 * with EXIT_CODE and sets process.exitCode. The numbers are the Go clusterrebootd's contract
 * (reference §1.2): 0 ok, 1 runtime, 2 config, 3 health blocked, 4 lock unavailable,
 * 5 kill switch, 6 detector error (simulate), 64 usage.
 */
export type OutcomeKind =
  | "no_action" // no detector requires a reboot (and monitor health passed)
  | "ready" // prerequisites satisfied (dry-run / status: would reboot now)
  | "rebooting" // the reboot command ran under the slot
  | "post_boot_released" // back after a reboot, healthy, slot released
  | "recheck_cleared" // detectors cleared after taking the slot
  | "kill_switch_active" // node-local kill switch file present
  | "paused" // cluster-wide pause key present (etcd kill switch)
  | "window_denied" // inside a deny window
  | "window_outside_allow" // allow windows configured and none open
  | "cooldown_active" // a reboot finished too recently in this group
  | "health_blocked" // health script or cluster policy says no
  | "lock_skipped" // status --skip-lock: would try to take a slot
  | "users_logged_in" // deferring while interactive users are logged in (bounded)
  | "lock_unavailable" // every slot of the group (or the global cap) is taken
  | "reboot_loop_guard" // rebooted too often recently; operator needed
  | "drain_blocked" // the Kubernetes drain did not finish (PDB, timeout, refused pods); node uncordoned
  | "ok" // a command that is not an orchestration pass succeeded
  | "runtime_error" // etcd, detector or health runtime failure; interrupted --once
  | "config_error" // invalid configuration (any problem validate-config can see)
  | "detector_error" // simulate: at least one detector errored
  | "usage"; // bad command line

export const EXIT_CODE: { readonly [K in OutcomeKind]: number } = {
  no_action: 0,
  ready: 0,
  rebooting: 0,
  post_boot_released: 0,
  recheck_cleared: 0,
  kill_switch_active: 5,
  // The pause key is the cluster-wide kill switch (W20): same exit code as the node-local one.
  paused: 5,
  window_denied: 0,
  window_outside_allow: 0,
  cooldown_active: 0,
  health_blocked: 3,
  lock_skipped: 0,
  lock_unavailable: 4,
  users_logged_in: 0,
  // Refusing to reboot again without an operator is a health refusal, not a lock problem.
  reboot_loop_guard: 3,
  drain_blocked: 3,
  ok: 0,
  runtime_error: 1,
  config_error: 2,
  detector_error: 6,
  usage: 64,
};

/** What a command hands back to the exit-code wrapper. */
export interface Outcome {
  kind: OutcomeKind;
  message: string;
}

export const outcome = (kind: OutcomeKind, message: string): Outcome => ({ kind, message });

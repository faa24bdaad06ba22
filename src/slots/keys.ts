/**
 * Every key lives under one prefix P (etcd_namespace, default /clusterrebootd), so a single etcd
 * role with readwrite on P covers the coordinator (W15). See docs/SLOTS.md for the layout.
 */
export interface Keys {
  prefix: string;
  membersPrefix: string;
  member(node: string): string;
  healthPrefix: string;
  health(node: string): string;
  slotsPrefix: string;
  groupSlotsPrefix(group: string): string;
  slot(group: string, node: string): string;
  guardGroup(group: string): string;
  guardGlobal: string;
  cooldown(group: string): string;
  cooldownPrefix: string;
  pause: string;
  /** A group frozen after a failed reboot (a group-scoped pause; `resume --group G`). */
  frozen(group: string): string;
  frozenPrefix: string;
  /** Failed reboots of a group since it was last resumed (counted against max_failed_reboots). */
  failures(group: string): string;
  failuresPrefix: string;
  /** `resume --etcd-reset`: the operator's word that etcd lost its data and slots may start again. */
  resetAck: string;
  reboots(node: string): string;
  rebootsPrefix: string;
  /** The audit trail of reboots the coordinator caused: one key per node, an array bounded to HISTORY_LIMIT. */
  history(node: string): string;
  historyPrefix: string;
  /** An operator's on-demand reboot request for a node (`request-reboot`), cleared with the post-boot release. */
  request(node: string): string;
  requestsPrefix: string;
  /** FIFO tickets of waiters (slots/queue.ts), on the waiter's session lease. */
  queuePrefix: string;
  groupQueuePrefix(group: string): string;
  ticket(group: string, node: string): string;
}

/** `prefix` is already normalized by the config loader ("/a/b", no trailing slash). */
export function makeKeys(prefix: string): Keys {
  const p = prefix.replace(/\/+$/, "");
  return {
    prefix: p,
    membersPrefix: `${p}/members/`,
    member: (n) => `${p}/members/${n}`,
    healthPrefix: `${p}/health/`,
    health: (n) => `${p}/health/${n}`,
    slotsPrefix: `${p}/slots/`,
    groupSlotsPrefix: (g) => `${p}/slots/${g}/`,
    slot: (g, n) => `${p}/slots/${g}/${n}`,
    // Guards are counters bumped by every acquisition; comparing their mod_revision in the
    // acquiring transaction makes two racing acquisitions conflict (only one commits).
    guardGroup: (g) => `${p}/guards/group/${g}`,
    guardGlobal: `${p}/guards/global`,
    cooldown: (g) => `${p}/cooldown/${g}`,
    cooldownPrefix: `${p}/cooldown/`,
    pause: `${p}/pause`,
    frozen: (g) => `${p}/frozen/${g}`,
    frozenPrefix: `${p}/frozen/`,
    failures: (g) => `${p}/failures/${g}`,
    failuresPrefix: `${p}/failures/`,
    resetAck: `${p}/etcd-reset-ack`,
    reboots: (n) => `${p}/reboots/${n}`,
    rebootsPrefix: `${p}/reboots/`,
    history: (n) => `${p}/history/${n}`,
    historyPrefix: `${p}/history/`,
    request: (n) => `${p}/requests/${n}`,
    requestsPrefix: `${p}/requests/`,
    queuePrefix: `${p}/queue/`,
    groupQueuePrefix: (g) => `${p}/queue/${g}/`,
    ticket: (g, n) => `${p}/queue/${g}/${n}`,
  };
}

/** The last path segment of a key (node name under members/health/slots). */
export const lastSegment = (key: string): string => key.slice(key.lastIndexOf("/") + 1);

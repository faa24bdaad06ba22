/**
 * The operator's writes (pause, resume, unlock --reset-history, forget): plain puts and deletes,
 * kept here so that every write of the protocol lives in slots/ (the model's operator moves).
 */
import type { EtcdGateway } from "../etcd/index.ts";
import type { Keys } from "./keys.ts";
import type { PauseRecord, ResetAck } from "./records.ts";

export const setPause = (gw: EtcdGateway, keys: Keys, rec: PauseRecord) => gw.txn([], [{ kind: "put", key: keys.pause, value: JSON.stringify(rec) }]);

export const clearPause = (gw: EtcdGateway, keys: Keys) => gw.txn([], [{ kind: "delete", key: keys.pause }]);

/** `resume --etcd-reset`: lets daemons that saw etcd lose its data take slots again. */
export const acknowledgeReset = (gw: EtcdGateway, keys: Keys, rec: ResetAck) => gw.txn([], [{ kind: "put", key: keys.resetAck, value: JSON.stringify(rec) }]);

/** Clears a node's reboot history (lifts the reboot-loop guard). */
export const clearHistory = (gw: EtcdGateway, keys: Keys, node: string) => gw.txn([], [{ kind: "delete", key: keys.reboots(node) }]);

/** Removes a decommissioned node: member record, health record, reboot history. */
export const forgetNode = (gw: EtcdGateway, keys: Keys, node: string) =>
  gw.txn([], [
    { kind: "delete", key: keys.member(node) },
    { kind: "delete", key: keys.health(node) },
    { kind: "delete", key: keys.reboots(node) },
  ]);

/**
 * `resume --group G`: lifts the freeze of G and forgets its failures (the operator checked the
 * node). Without a group: every group's. Model step RESUME_GROUP.
 */
export const clearFreeze = (gw: EtcdGateway, keys: Keys, group?: string) =>
  gw.txn(
    [],
    group === undefined
      ? [
          { kind: "delete-prefix", prefix: keys.frozenPrefix },
          { kind: "delete-prefix", prefix: keys.failuresPrefix },
        ]
      : [
          { kind: "delete", key: keys.frozen(group) },
          { kind: "delete", key: keys.failures(group) },
        ],
  );

export type { Compare, EtcdGateway, KeyValue, LeaseHandle, Snapshot, WatchEvent, WatchHandle, WriteOp } from "./gateway.ts";
export { connectEtcd, openEtcd3, type EtcdConnectOptions, type RepairedClient } from "./connect.ts";
export { EtcdError, isTransient, type EtcdErrorKind } from "./errors.ts";

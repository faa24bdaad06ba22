/**
 * Front door of the FleetLock domain: a FleetLock server (Zincati's reboot-lock protocol) on our
 * etcd reboot slots, and a client for using a remote FleetLock server as the daemon's lock.
 */
export {
  ERROR_KINDS,
  fleetError,
  parseClientParams,
  PATHS,
  PROTOCOL_HEADER,
  STATUS,
  type ClientParams,
  type Endpoint,
  type ErrorKind,
  type FleetLockBackend,
  type FleetLockError,
  type LockOutcome,
} from "./protocol.ts";
export { createFleetLockHandler, DEFAULT_MAX_BODY_BYTES, type FleetLockHandler, type HandlerOptions } from "./handler.ts";
export { createEtcdBackend, errorFor, type EtcdBackendDeps } from "./backend.ts";
export { remoteLock } from "./client-lock.ts";
export { backendSettingsFromConfig, groupLimitFor, type BackendSettings, type FleetLockGroupsConfig } from "./settings.ts";
export { noopHooks, type BeforeGrantResult, type FleetLockHooks } from "./hooks.ts";
export {
  createFleetLockMetrics,
  REQUESTS_METRIC,
  renderPrometheus,
  type FleetLockMetrics,
  type MetricEndpoint,
  type MetricOutcome,
} from "./metrics.ts";
export { BODY_BACKSTOP_BYTES, parseListen, startFleetLockServer, type RunningServer, type ServeOptions } from "./server.ts";
export {
  checkBaseUrl,
  createFleetLockClient,
  DEFAULT_CLIENT_TIMEOUT_MS,
  type FleetLockCallResult,
  type FleetLockClient,
  type FleetLockClientOptions,
} from "./client.ts";
export { appSpecificId, createKubeHooks, ID_ANNOTATION, ZINCATI_APP_ID, type KubeHooksDeps } from "./kube-hooks.ts";

/**
 * Front door of silences/: Alertmanager silences for this node while it reboots (config
 * `alertmanager:`). Loaded only when configured.
 */
export { createSilencer, type Silencer, type SilencerDeps } from "./_client.ts";
export { withSilences } from "./_lock.ts";

/**
 * Front door of orchestrate/: the one reboot lifecycle (runPass) for every mode, the daemon loop,
 * the lock backend port, the outcome table, and the capabilities a coordinator is built from.
 */
export { runPass } from "./pass.ts";
export { runLoop, backoffDelay, logOutcome, type LoopHooks } from "./loop.ts";
export { EXIT_CODE, OUTCOMES, isBlocked, outcome, type Outcome, type OutcomeKind } from "./outcome.ts";
export { newMemory, noChecks, type Checks, type Coordinator, type CoordinatorMode, type EtcdCoordinator, type LocalCoordinator, type LoopMemory, type Plan, type PassMode, type Ports, type RemoteCoordinator, type ServerCoordinator } from "./context.ts";
export type { PassReport } from "./report.ts";
export { expandCommand } from "./_command.ts";
export { noOwnSlot, type BootReleaseInfo, type FenceInfo, type HeldSlot, type LockAcquire, type LockBackend, type LockBootRelease, type LockFence, type LockIdle, type LockRecover, type LockRelease, type LockRenew, type ReleaseInfo } from "./lock.ts";
export { budgetRules, daemonLock, etcdLock, type EtcdLockOptions } from "./_etcd-lock.ts";
export { clientKube, HookError, nodeKube, noKube, type BeforeGrantResult, type DrainStep, type GrantHooks, type KubeCap } from "./_kube.ts";
export { noLock } from "./_no-lock.ts";
export { REBOOT_COMMAND_TIMEOUT_MS } from "./_act.ts";

/**
 * Front door of checks/: the built-in health checks (`health_checks:` in the config) that run
 * beside the health script in every phase. `runChecks` runs the phase's checks concurrently, each
 * under its own timeout, and never throws: a check that cannot decide blocks (fail closed).
 */
import type { CheckDeps, CheckPhase, CheckResult, CheckSpec, ChecksReport, SpecOf, Verdict } from "./types.ts";
import { etcdQuorumCheck } from "./_etcd-quorum.ts";
import { httpCheck, prometheusCheck } from "./_http.ts";
import { longhornCheck, nodesReadyCheck, podsCheck } from "./_kube.ts";

export type { CheckDeps, CheckPhase, CheckResult, CheckSpec, ChecksReport, EtcdMemberInfo, EtcdProbe, EtcdProbeFactory, MemberHealth, Verdict } from "./types.ts";

type Runner<T extends CheckSpec["type"]> = (spec: SpecOf<T>, deps: CheckDeps, signal: AbortSignal) => Promise<Verdict>;
const RUNNERS: { [T in CheckSpec["type"]]: Runner<T> } = {
  http: httpCheck,
  prometheus: prometheusCheck,
  kubernetes_nodes_ready: nodesReadyCheck,
  kubernetes_pods: podsCheck,
  longhorn: longhornCheck,
  etcd_quorum: etcdQuorumCheck,
};

/** Runs the checks configured for `phase`. With none configured the report passes (and says so). */
export async function runChecks(checks: readonly CheckSpec[], phase: CheckPhase, deps: CheckDeps, signal?: AbortSignal): Promise<ChecksReport> {
  const due = checks.filter((c) => c.phases.includes(phase));
  const results = await Promise.all(due.map((c) => runCheck(c, deps, signal)));
  const failing = results.filter((r) => r.kind !== "pass");
  return {
    kind: failing.length === 0 ? "pass" : "blocked",
    phase,
    results,
    message:
      due.length === 0
        ? `no built-in checks for phase ${phase}`
        : failing.length === 0
          ? `all ${due.length} check(s) passed`
          : failing.map((r) => `${r.name}: ${r.message}`).join("; "),
  };
}

/** One check under its timeout (measured with the injected Clock). A throw is a bug, reported as an error result. */
export async function runCheck(spec: CheckSpec, deps: CheckDeps, signal?: AbortSignal): Promise<CheckResult> {
  const started = deps.clock.now();
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) ctl.abort();
  const timeoutMs = spec.timeout_sec * 1000;
  const run = RUNNERS[spec.type] as Runner<CheckSpec["type"]>;
  const work = run(spec, deps, ctl.signal).catch((e: unknown): Verdict => ({
    kind: "error",
    message: `bug in the ${spec.type} check: ${e instanceof Error ? e.message : String(e)}`,
  }));
  // Resolves when the timeout passes, or early when ctl aborts (the caller, or our cleanup below).
  const timer = deps.clock.sleep(timeoutMs, ctl.signal).then(() => "timeout" as const);
  const outcome = await Promise.race([work, timer]);
  ctl.abort(); // stops the timer or the check's requests, whichever is still running
  signal?.removeEventListener("abort", onAbort);
  const base = { name: spec.name, type: spec.type, durationMs: deps.clock.now() - started };
  if (outcome !== "timeout") return { ...base, ...outcome };
  if (signal?.aborted) return { ...base, kind: "error", message: "aborted" };
  return { ...base, kind: "timeout", timeoutMs, message: `no result within ${spec.timeout_sec}s` };
}

/** The checks as the lifecycle's capability: the configured specs, run per phase. */
export function checksCap(specs: readonly CheckSpec[], deps: CheckDeps) {
  return { count: specs.length, run: (phase: CheckPhase, signal?: AbortSignal) => runChecks(specs, phase, deps, signal) };
}

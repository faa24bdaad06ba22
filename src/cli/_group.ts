/**
 * `group_from_node_label`: this node's group is the value of a label of its Kubernetes node
 * (`topology.kubernetes.io/zone`, say), so `group_limits` bound the reboots per zone. The group is
 * part of the node's identity in etcd (session, member record, slot key), so it is read once, before
 * anything is opened; changing it takes a restart, like `group` itself.
 *
 * Fail closed: while the label cannot be read (API down, node not registered yet, the cloud
 * controller has not labelled it, a value that is no group name) the node takes no slot at all. A
 * daemon says why and retries with the usual backoff; a single pass (--once, --timer, status) ends
 * with `group_unresolved` (exit 4: no slot can be taken).
 */
import { hasGroup, nameProblem, type Config, type ResolvedConfig } from "../config/index.ts";
import { errorJson, type Logger, type Metrics } from "../observe/index.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { backoffDelay } from "../orchestrate/index.ts";
import type { NodeLabelResult } from "../kube/index.ts";
import type { Clock, Fs } from "../platform/index.ts";
import type { CliContext, Env } from "./_context.ts";

export type GroupResolution =
  | { ok: true; config: ResolvedConfig }
  | { ok: false; reason: "stopped" }
  | { ok: false; reason: "unresolved"; message: string };

export interface GroupDeps {
  clock: Clock;
  fs: Fs;
  env: Env;
  log: Logger;
  metrics: Metrics;
  signal: AbortSignal;
  /** One pass: one attempt, no waiting. */
  single: boolean;
}

export async function resolveGroup(cfg: Config, d: GroupDeps): Promise<GroupResolution> {
  if (hasGroup(cfg)) return { ok: true, config: cfg };
  const label = cfg.group_from_node_label;
  // The loader guarantees both (config/schema.ts); reaching here without them is a bug.
  if (label === null || cfg.kubernetes === null) throw new Error("bug: group is unset without group_from_node_label and kubernetes");
  const { kubeFromConfig, readNodeLabel } = await import("../kube/index.ts");
  const k = kubeFromConfig(cfg.kubernetes, cfg.node_name, { clock: d.clock, fs: d.fs, env: d.env, log: d.log });
  for (let attempt = 1; !d.signal.aborted; attempt++) {
    const v = asGroup(await readNodeLabel(k.api, k.node, label, d.signal), k.node, label);
    if (v.ok) {
      d.metrics.set("group_unresolved", 0);
      d.log.event("info", "group_resolved", { group: v.group, label, kube_node: k.node, attempts: attempt });
      return { ok: true, config: { ...cfg, group: v.group } };
    }
    const problem = v.problem;
    const message = `group unknown: ${problem} (group_from_node_label); taking no reboot slot until it can be read`;
    d.metrics.set("group_unresolved", 1);
    if (d.single) {
      d.log.event("warn", "group_unresolved", { label, kube_node: k.node, reason: problem });
      return { ok: false, reason: "unresolved", message };
    }
    const delay = backoffDelay(attempt, cfg.backoff_min_sec * 1000, cfg.backoff_max_sec * 1000);
    d.log.event("warn", "group_unresolved", { label, kube_node: k.node, reason: problem, attempt, retry_in_ms: delay });
    await d.clock.sleep(delay, d.signal);
  }
  return { ok: false, reason: "stopped" };
}

/** What `run` and `status` do with an unreadable label: the reason on stderr, the --json error document, exit 4. */
export function unresolvedOutcome(cfg: Config, message: string, o: { json: boolean; prefix: string; cli: Pick<CliContext, "stdout" | "stderr"> }): Outcome {
  o.cli.stderr(`${o.prefix}: ${message}\n`);
  if (o.json) o.cli.stdout(JSON.stringify(errorJson(cfg, "group unresolved", message, "group_unresolved"), null, 2) + "\n");
  return outcome("group_unresolved", message);
}

/** A label value is a group name only if it also fits an etcd key segment (an empty value does not). */
function asGroup(r: NodeLabelResult, node: string, label: string): { ok: true; group: string } | { ok: false; problem: string } {
  if (r.kind !== "ok") return { ok: false, problem: r.reason };
  const p = nameProblem(r.value);
  return p === null ? { ok: true, group: r.value } : { ok: false, problem: `label ${label} of node ${node} is ${JSON.stringify(r.value)}, which is no group name: it ${p}` };
}

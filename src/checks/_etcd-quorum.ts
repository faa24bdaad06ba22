/**
 * etcd_quorum (k3s servers with embedded etcd): may this member go down? Raft needs a majority of
 * the voting members; learners do not vote. We pass only if, with our member down, enough of the
 * *other* voters answer and see a leader: 3 members tolerate 1 down, so with a peer already sick
 * our reboot would take the cluster — and the Kubernetes API — down with it.
 */
import type { CheckDeps, EtcdMemberInfo, MemberHealth, SpecOf, Verdict } from "./types.ts";
import { etcd3Probe } from "./_etcd-probe.ts";

/** k3s names its etcd member `<node name>-<8 hex digits>` (e.g. sugar-3-13644e54). */
const K3S_MEMBER = /^(.+)-[0-9a-f]{8}$/;

/**
 * The Kubernetes node behind an etcd member, where it can be matched: the member name itself, or
 * k3s's `<node>-<hash>` form, checked against the cluster's node names (or, without a node list,
 * against our own node only). Undefined when nothing matches: we never guess.
 */
export function nodeForMember(memberName: string, nodes: ReadonlySet<string> | undefined, self: string): string | undefined {
  const candidates = [memberName, K3S_MEMBER.exec(memberName)?.[1]].filter((c): c is string => !!c);
  return candidates.find((c) => (nodes ? nodes.has(c) : c === self));
}

/**
 * The arithmetic, pure: our id, the members, and each other voter's health. `nodeOf` names the
 * Kubernetes node of a member (shown beside the member name) when it is known.
 */
export function quorumVerdict(
  selfId: string,
  members: EtcdMemberInfo[],
  health: ReadonlyMap<string, MemberHealth>,
  nodeOf: (member: EtcdMemberInfo) => string | undefined = () => undefined,
): Verdict {
  const label = (m: EtcdMemberInfo) => {
    const name = m.name || m.id;
    const node = nodeOf(m);
    return node !== undefined && node !== name ? `${name} (node ${node})` : name;
  };
  const self = members.find((m) => m.id === selfId);
  if (self === undefined) return { kind: "error", message: `our member ${selfId} is not in the member list` };
  const voters = members.filter((m) => !m.isLearner);
  if (self.isLearner) return { kind: "pass", message: `${label(self)} is a learner: it does not count towards quorum` };
  const quorum = Math.floor(voters.length / 2) + 1;
  const others = voters.filter((m) => m.id !== selfId).sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
  const up = others.filter((m) => health.get(m.id)?.healthy === true);
  const down = others.filter((m) => health.get(m.id)?.healthy !== true);
  const head = `${voters.length} voting member(s), quorum ${quorum}: with ${label(self)} down`;
  if (up.length >= quorum) return { kind: "pass", message: `${head}, ${up.length} stay healthy (${up.map(label).join(", ")})` };
  const why = down.map((m) => `${label(m)}: ${health.get(m.id)?.detail ?? "not checked"}`).join("; ");
  return {
    kind: "fail",
    message: voters.length === 1
      ? `${label(self)} is the only voting member: rebooting it takes etcd down`
      : `${head}, only ${up.length} would stay healthy${why ? ` (${why})` : ""}`,
  };
}

export async function etcdQuorumCheck(spec: SpecOf<"etcd_quorum">, deps: CheckDeps, signal: AbortSignal): Promise<Verdict> {
  const probe = await (deps.etcdProbe ?? etcd3Probe)(spec, deps.fs, spec.timeout_sec * 1000);
  if ("error" in probe) return { kind: "error", message: probe.error };
  const onAbort = () => probe.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const list = await probe.members();
    if (list.kind === "error") return { kind: "error", message: list.message };
    const others = list.members.filter((m) => m.id !== list.selfId && !m.isLearner);
    // Node names only label the verdict: a node list that fails (or no kubernetes: block) costs nothing.
    const [nodes, health] = await Promise.all([
      deps.kube?.listNodes(undefined, signal).then(
        (r) => (r.kind === "ok" ? new Set(r.value.map((n) => n.metadata.name)) : undefined),
        () => undefined,
      ),
      Promise.all(others.map(async (m) => [m.id, await probe.memberHealth(m)] as const)).then((e) => new Map(e)),
    ]);
    return quorumVerdict(list.selfId, list.members, health, (m) => nodeForMember(m.name, nodes, deps.node));
  } finally {
    signal.removeEventListener("abort", onAbort);
    probe.close();
  }
}

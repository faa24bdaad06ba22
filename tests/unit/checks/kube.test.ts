/** kubernetes_nodes_ready, kubernetes_pods and longhorn against the fake API server; quorum arithmetic. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as v from "valibot";
import { runCheck, type CheckDeps, type CheckSpec, type EtcdMemberInfo, type MemberHealth } from "../../../src/checks/index.ts";
import { nodeForMember, quorumVerdict } from "../../../src/checks/_etcd-quorum.ts";
import { HealthCheck } from "../../../src/config/_checks.ts";
import { createFs, systemClock } from "../../../src/platform/index.ts";
import { harness, NODE, startFakeApiServer, type FakeApiServer, type FakeObj } from "../../support/fake-apiserver.ts";

const spec = (raw: Record<string, unknown>): CheckSpec => v.parse(HealthCheck, raw);

let fake: FakeApiServer;
let deps: CheckDeps;
beforeEach(async () => {
  fake = await startFakeApiServer();
  deps = { clock: systemClock, fs: createFs(), node: NODE, kube: harness(fake).api };
});
afterEach(() => fake.stop());

describe("kubernetes_nodes_ready", () => {
  beforeEach(() => {
    fake.addNode("pi-01", { labels: { role: "server" } });
    fake.addNode("pi-02", { labels: { role: "server" } });
    fake.addNode(NODE, { labels: { role: "server" } });
    fake.addNode("pi-07", { ready: false, labels: { role: "agent" } });
  });

  test.each([
    ["all nodes required, one NotReady", {}, "fail", "3/4 nodes Ready (need all); not Ready: pi-07"],
    ["min_ready 3", { min_ready: 3 }, "pass", "3/4 nodes Ready (need 3)"],
    ["min_ready 4", { min_ready: 4 }, "fail", "not Ready: pi-07"],
    ["servers only", { selector: "role=server" }, "pass", "3/3 nodes matching role=server Ready"],
    ["a selector nothing matches", { selector: "role=gpu" }, "fail", "no nodes matching role=gpu"],
  ] as [string, Record<string, unknown>, string, string][])("%s", async (_what, raw, kind, message) => {
    const r = await runCheck(spec({ type: "kubernetes_nodes_ready", ...raw }), deps);
    expect(r.kind as string).toBe(kind);
    expect(r.message).toContain(message);
  });

  test("without a Kubernetes connection it is an error", async () => {
    const r = await runCheck(spec({ type: "kubernetes_nodes_ready" }), { ...deps, kube: undefined } as CheckDeps);
    expect(r).toMatchObject({ kind: "error", message: expect.stringContaining("kubernetes: block") });
  });

  test("an API error is an error, not a pass", async () => {
    fake.fail({ path: /\/api\/v1\/nodes$/, status: 500 });
    expect((await runCheck(spec({ type: "kubernetes_nodes_ready" }), deps)).kind).toBe("error");
  });
});

describe("kubernetes_pods", () => {
  beforeEach(() => {
    fake.addNode(NODE);
    fake.addPod({ name: "backup-run", node: NODE, namespace: "holm", labels: { app: "backup" } });
    fake.addPod({ name: "backup-done", node: NODE, namespace: "holm", labels: { app: "backup" }, phase: "Succeeded" });
    fake.addPod({ name: "backup-elsewhere", node: "pi-04", namespace: "holm", labels: { app: "backup" } });
    fake.addPod({ name: "web-1", node: NODE, labels: { app: "web" } });
  });

  test.each([
    ["a running matching pod on this node", { selector: "app=backup" }, "fail", "blocking pods on pi-03 (app=backup): holm/backup-run"],
    ["the same selector in another namespace", { selector: "app=backup", namespace: "default" }, "pass", "no pods matching"],
    ["a selector nothing matches", { selector: "app in (kaniko)" }, "pass", "no pods matching app in (kaniko) on pi-03"],
  ] as [string, Record<string, unknown>, string, string][])("%s", async (_what, raw, kind, message) => {
    const r = await runCheck(spec({ type: "kubernetes_pods", ...raw }), deps);
    expect(r.kind as string).toBe(kind);
    expect(r.message).toContain(message);
  });
});

describe("longhorn", () => {
  const volume = (name: string, robustness: string, state = "attached") => ({ metadata: { name, namespace: "longhorn-system" }, spec: { numberOfReplicas: 2 }, status: { state, robustness } });
  const replica = (name: string, vol: string, node: string, o: { failed?: boolean; healthy?: boolean; state?: string } = {}) => ({
    metadata: { name, namespace: "longhorn-system" },
    spec: { volumeName: vol, nodeID: node, healthyAt: o.healthy === false ? "" : "2025-01-01T00:00:00Z", failedAt: o.failed ? "2025-01-02T00:00:00Z" : "" },
    status: { currentState: o.state ?? "running" },
  });

  test.each([
    ["replicas on two nodes", [volume("pvc-a", "healthy")], [replica("a-1", "pvc-a", NODE), replica("a-2", "pvc-a", "pi-04")], "pass", "1 Longhorn volume(s) healthy"],
    ["a degraded volume", [volume("pvc-a", "degraded")], [replica("a-1", "pvc-a", "pi-04")], "fail", "pvc-a is degraded"],
    ["a faulted volume", [volume("pvc-a", "faulted")], [], "fail", "pvc-a is faulted"],
    ["the only healthy replica here (the other failed)", [volume("pvc-a", "healthy")], [replica("a-1", "pvc-a", NODE), replica("a-2", "pvc-a", "pi-04", { failed: true })], "fail", "pvc-a has its only healthy replica on pi-03"],
    ["the other replica still rebuilding", [volume("pvc-a", "healthy")], [replica("a-1", "pvc-a", NODE), replica("a-2", "pvc-a", "pi-04", { healthy: false })], "fail", "only healthy replica on pi-03"],
    ["a detached volume with stopped replicas on two nodes", [volume("pvc-a", "unknown", "detached")], [replica("a-1", "pvc-a", NODE, { state: "stopped" }), replica("a-2", "pvc-a", "pi-04", { state: "stopped" })], "pass", "healthy"],
  ] as [string, FakeObj[], FakeObj[], string, string][])("%s", async (_what, volumes, replicas, kind, message) => {
    for (const vol of volumes) fake.addLonghorn("volumes", vol);
    for (const r of replicas) fake.addLonghorn("replicas", r);
    const r = await runCheck(spec({ type: "longhorn" }), deps);
    expect(r.kind as string).toBe(kind);
    expect(r.message).toContain(message);
  });

  test("ignore_volumes skips a single-replica volume pinned to this node", async () => {
    fake.addLonghorn("volumes", volume("scratch", "healthy"));
    fake.addLonghorn("replicas", replica("s-1", "scratch", NODE));
    expect((await runCheck(spec({ type: "longhorn" }), deps)).kind).toBe("fail");
    expect((await runCheck(spec({ type: "longhorn", ignore_volumes: ["scratch"] }), deps)).kind).toBe("pass");
  });

  test("Longhorn not installed (404 on its CRDs) is an error", async () => {
    const r = await runCheck(spec({ type: "longhorn", namespace: "storage" }), deps);
    expect(r.kind).toBe("pass"); // an empty namespace lists nothing: no volumes, nothing at risk
    fake.fail({ path: /longhorn\.io/, status: 500, times: 2 });
    expect((await runCheck(spec({ type: "longhorn" }), deps)).kind).toBe("error");
  });
});

describe("quorum arithmetic", () => {
  const m = (id: string, isLearner = false): EtcdMemberInfo => ({ id, name: `n${id}`, clientUrls: [`http://127.0.0.1:${id}`], isLearner });
  const up: MemberHealth = { healthy: true, detail: "ok" };
  const down: MemberHealth = { healthy: false, detail: "unreachable: connection refused" };
  const health = (entries: [string, MemberHealth][]) => new Map(entries);

  test.each([
    ["3 members, all up", [m("1"), m("2"), m("3")], [["2", up], ["3", up]], "pass", "quorum 2: with n1 down, 2 stay healthy (n2, n3)"],
    ["3 members, one peer down", [m("1"), m("2"), m("3")], [["2", up], ["3", down]], "fail", "only 1 would stay healthy (n3: unreachable: connection refused)"],
    ["5 members, one peer down", [m("1"), m("2"), m("3"), m("4"), m("5")], [["2", up], ["3", up], ["4", up], ["5", down]], "pass", "quorum 3: with n1 down, 3 stay healthy"],
    ["5 members, two peers down", [m("1"), m("2"), m("3"), m("4"), m("5")], [["2", up], ["3", up], ["4", down], ["5", down]], "fail", "only 2 would stay healthy"],
    ["a learner does not count", [m("1"), m("2"), m("3", true)], [["2", up], ["3", up]], "fail", "2 voting member(s), quorum 2"],
    ["we are the learner", [m("1", true), m("2"), m("3")], [], "pass", "n1 is a learner"],
    ["a single member", [m("1")], [], "fail", "n1 is the only voting member"],
    ["we are not in the list", [m("2"), m("3")], [], "error", "our member 1 is not in the member list"],
  ] as const)("%s", (_what, members, h, kind, message) => {
    const r = quorumVerdict("1", [...members], health(h.map(([id, x]) => [id, x])));
    expect(r.kind).toBe(kind);
    expect(r.message).toContain(message);
  });

  test("k3s member names (<node>-<hash>) show the node name beside them where it can be matched", () => {
    const k = (id: string, name: string): EtcdMemberInfo => ({ id, name, clientUrls: [`https://10.0.0.${id}:2379`], isLearner: false });
    const members = [k("1", "sugar-1-0a1b2c3d"), k("2", "sugar-2-9f8e7d6c"), k("3", "sugar-3-13644e54")];
    const nodes = new Set(["sugar-1", "sugar-2", "sugar-3"]);
    const r = quorumVerdict("1", members, health([["2", up], ["3", down]]), (mm) => nodeForMember(mm.name, nodes, "sugar-1"));
    expect(r.kind).toBe("fail");
    expect(r.message).toContain("with sugar-1-0a1b2c3d (node sugar-1) down");
    expect(r.message).toContain("(sugar-3-13644e54 (node sugar-3): unreachable: connection refused)");
  });

  test.each([
    ["k3s form, node listed", "sugar-3-13644e54", ["sugar-3"], "x", "sugar-3"],
    ["a node name that itself ends in a hash-like part", "web-deadbeef-13644e54", ["web-deadbeef"], "x", "web-deadbeef"],
    ["the member name is the node name", "pi-01", ["pi-01"], "x", "pi-01"],
    ["no such node in the list", "sugar-9-13644e54", ["sugar-3"], "x", undefined],
    ["no node list: only our own node is matched", "sugar-1-0a1b2c3d", undefined, "sugar-1", "sugar-1"],
    ["no node list, another member: no guess", "sugar-2-9f8e7d6c", undefined, "sugar-1", undefined],
  ] as const)("nodeForMember: %s", (_what, member, nodes, self, expected) => {
    expect(nodeForMember(member, nodes ? new Set(nodes) : undefined, self)).toBe(expected);
  });
});

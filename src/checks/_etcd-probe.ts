/**
 * How etcd_quorum looks at etcd: which member is ours (the one answering on this node's endpoint),
 * the member list, and whether each member answers and sees a leader. Behind a small interface
 * (EtcdProbe, types.ts) so the quorum arithmetic is tested on its own; the real probe here uses
 * etcd3's Maintenance and Cluster clients (imported lazily, so loading the config never loads
 * gRPC) against a real etcd in tests.
 */
import { openEtcd3, type RepairedClient } from "../etcd/index.ts";
import { describeFsError } from "../platform/index.ts";
import type { EtcdMemberInfo, EtcdProbeFactory, MemberHealth } from "./types.ts";

/** Leaves the check's own timer this much, so a member that does not answer reads "unreachable", not "timeout". */
const VERDICT_MARGIN_MS = 250;

/**
 * The real probe: one etcd3 client for our endpoint, one per member for its status. No retries:
 * every call and every TLS handshake ends at one deadline just inside the check's timeout, and
 * close() ends whatever is still open (a hung member must not keep sockets, or the process, alive).
 */
export const etcd3Probe: EtcdProbeFactory = async (spec, fs, deadlineMs) => {
  const { noop } = await import("cockatiel");
  const deadline = Date.now() + Math.max(deadlineMs - VERDICT_MARGIN_MS, deadlineMs / 2);
  const left = () => Math.max(1, deadline - Date.now());
  const files: (Buffer | undefined)[] = [];
  for (const path of [spec.ca_file, spec.cert_file, spec.key_file]) {
    try {
      files.push(path === null ? undefined : Buffer.from(await fs.readText(path)));
    } catch (e) {
      return { error: `cannot read ${path}: ${describeFsError(e)}` };
    }
  }
  const [ca, cert, key] = files;
  const tls = spec.endpoint.startsWith("https:") || ca !== undefined;
  const options = (hosts: string[]) => ({
    hosts,
    ...(tls ? { credentials: { rootCertificate: ca ?? Buffer.alloc(0), ...(cert && key ? { certChain: cert, privateKey: key } : {}) } } : {}),
    ...(spec.server_name ? { grpcOptions: { "grpc.ssl_target_name_override": spec.server_name, "grpc.default_authority": spec.server_name } } : {}),
    dialTimeout: deadlineMs,
    defaultCallOptions: () => ({ deadline }),
    faultHandling: { host: () => noop, global: noop },
  });
  const clients: RepairedClient[] = [];
  const client = async (hosts: string[]) => {
    const c = await openEtcd3(options(hosts), left());
    clients.push(c);
    return c.client;
  };
  const local = await client([spec.endpoint]);
  return {
    async members() {
      try {
        const status = await local.maintenance.status();
        const list = await local.cluster.memberList({});
        return {
          kind: "ok",
          selfId: String(status.header.member_id),
          members: list.members.map((m) => ({ id: String(m.ID), name: m.name, clientUrls: m.clientURLs, isLearner: m.isLearner === true })),
        };
      } catch (e) {
        return { kind: "error", message: `our member at ${spec.endpoint} did not answer: ${firstLine(e)}` };
      }
    },
    async memberHealth(m) {
      if (m.clientUrls.length === 0) return { healthy: false, detail: "not started (no client URLs)" };
      try {
        const s = await (await client(m.clientUrls)).maintenance.status();
        if (s.leader === "0" || s.leader === "") return { healthy: false, detail: "answers but sees no leader" };
        if ((s.errors ?? []).length > 0) return { healthy: false, detail: `alarms: ${s.errors.join(", ")}` };
        return { healthy: true, detail: `raft index ${s.raftIndex}` };
      } catch (e) {
        return { healthy: false, detail: `unreachable: ${firstLine(e)}` };
      }
    },
    close() {
      for (const c of clients) c.close();
    },
  };
};

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 200);
}

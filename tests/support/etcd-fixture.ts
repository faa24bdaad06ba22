/**
 * The set-up most etcd integration files share: one real etcd for the file, a gateway to it and a
 * temp dir, all removed after the file's tests. Call at the top level of a test file.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectEtcd, type EtcdGateway } from "../../src/etcd/index.ts";
import { startEtcd, type EtcdCluster } from "./etcd.ts";

export interface EtcdFixture {
  readonly cluster: EtcdCluster;
  readonly gw: EtcdGateway;
  readonly dir: string;
}

export function etcdFixture(name: string): EtcdFixture {
  let cluster: EtcdCluster | undefined;
  let gw: EtcdGateway | undefined;
  let dir = "";
  beforeAll(async () => {
    cluster = await startEtcd();
    gw = await connectEtcd({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
    dir = await mkdtemp(join(tmpdir(), `crd-${name}-`));
  });
  afterAll(async () => {
    await gw?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`etcdFixture: ${what} is used before beforeAll ran`);
    return v;
  };
  return {
    get cluster() {
      return need(cluster, "cluster");
    },
    get gw() {
      return need(gw, "gw");
    },
    get dir() {
      return dir;
    },
  };
}

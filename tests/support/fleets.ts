/**
 * Fleets of simulated daemons for a test file: each fleet gets its own temp dir; after every test
 * its daemons are stopped and the dir removed, and so is any etcd the test started itself. An etcd
 * shared by the whole file (`sharedEtcd`) starts before the first test and stops after the last.
 *
 *   const fleets = useFleets({ sharedEtcd: true });
 *   const f = await fleets.create({ nodes: [...] });          // on the shared etcd
 *   const own = await fleets.etcd({ members: 3 });           // this test's own etcd
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFleet, type Fleet, type FleetOptions } from "../../scripts/sim/fleet.ts";
import { startEtcd, type EtcdCluster, type StartOptions } from "./etcd.ts";

export interface Fleets {
  /** The file's shared etcd (only with `sharedEtcd: true`). */
  readonly cluster: EtcdCluster;
  /** An etcd of this test only, stopped after it. */
  etcd(opts?: StartOptions): Promise<EtcdCluster>;
  /** A fleet in a fresh temp dir; endpoints default to the shared etcd. */
  create(opts: Omit<FleetOptions, "dir" | "endpoints"> & { endpoints?: string[] }): Promise<Fleet>;
}

export function useFleets(opts: { sharedEtcd?: boolean } = {}): Fleets {
  let shared: EtcdCluster | undefined;
  let fleets: Fleet[] = [];
  let clusters: EtcdCluster[] = [];
  let dirs: string[] = [];
  if (opts.sharedEtcd) {
    beforeAll(async () => {
      shared = await startEtcd();
    });
    afterAll(() => shared?.stop());
  }
  afterEach(async () => {
    // Daemons first (they talk to etcd), then the test's own etcd, then the files.
    for (const f of fleets) await f.stop();
    for (const c of clusters) await c.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    [fleets, clusters, dirs] = [[], [], []];
  });
  return {
    get cluster() {
      if (!shared) throw new Error("useFleets: no shared etcd (pass sharedEtcd: true)");
      return shared;
    },
    async etcd(o) {
      const c = await startEtcd(o);
      clusters.push(c);
      return c;
    },
    async create(o) {
      const dir = await mkdtemp(join(tmpdir(), "crd-fleet-"));
      dirs.push(dir);
      const endpoints = o.endpoints ?? this.cluster.endpoints;
      const f = await createFleet({ ...o, endpoints, dir });
      fleets.push(f);
      return f;
    },
  };
}

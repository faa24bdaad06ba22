/**
 * The etcd test harness against real etcd processes: single member, 3 members surviving a lost
 * member, mTLS, and auth limited to a key prefix. Other integration tests build on these
 * guarantees, so this file proves them once.
 *
 * etcd3 promises are awaited with `.catch(e => e)` and the value asserted: `expect(p).rejects`
 * can hang on gRPC promises.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Etcd3 } from "etcd3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { Member, PortInUseError } from "../support/_etcd-member.ts";
import { etcd3Options, etcdctl, makeTlsMaterial, startEtcd, waitFor, type EtcdCluster } from "../support/etcd.ts";
import { freePorts } from "../support/ports.ts";

/** Runs `body` with a client and always closes it: an open client keeps `bun test` alive. */
async function withClient<T>(options: ConstructorParameters<typeof Etcd3>[0], body: (c: Etcd3) => Promise<T>): Promise<T> {
  const client = new Etcd3(options);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** Per-call deadline so a wedged call fails this test instead of the 60 s suite ceiling. */
const deadline = (ms = 5_000) => ({ defaultCallOptions: () => ({ deadline: Date.now() + ms }) });

describe("single member", () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcd();
  });
  afterAll(() => cluster?.stop());

  test("a put is readable with the etcd3 client and etcdctl", async () => {
    await withClient(etcd3Options(cluster, deadline()), async (client) => {
      await client.put("harness/one").value("1");
      expect(await client.get("harness/one").string()).toBe("1");
    });
    expect(await etcdctl(cluster, ["get", "harness/one", "--print-value-only"])).toBe("1\n");
    expect(cluster.members[0]!.clientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("a restarted member keeps its data", async () => {
    const member = cluster.members[0]!;
    const before = member.pid;
    await member.restart();
    expect(member.pid).not.toBe(before);
    await withClient(etcd3Options(cluster, deadline()), async (client) => {
      expect(await client.get("harness/one").string()).toBe("1");
    });
  });
});

describe("three members", () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcd({ members: 3 });
  });
  afterAll(() => cluster?.stop());

  test("writes keep working after the leader is killed, and the member rejoins", async () => {
    expect(cluster.endpoints).toHaveLength(3);
    const leader = await cluster.leader();
    await leader.kill();
    expect(leader.running).toBe(false);
    // The survivors elect a new leader within a few election timeouts (1 s each).
    const next = await cluster.leader();
    expect(next.name).not.toBe(leader.name);
    await withClient(etcd3Options(cluster, deadline()), async (client) => {
      await waitFor(() => client.put("harness/three").value("after-kill").then(() => true), {
        timeoutMs: 10_000,
        what: "a write to succeed with one member down",
      });
      expect(await client.get("harness/three").string()).toBe("after-kill");
    });
    await leader.restart();
    expect(await etcdctl(cluster, ["get", "harness/three", "--print-value-only"], [leader.clientUrl])).toBe(
      "after-kill\n",
    );
  });
});

describe("mutual TLS", () => {
  let dir: string;
  let cluster: EtcdCluster;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crd-tls-"));
    cluster = await startEtcd({ tls: await makeTlsMaterial(dir) });
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("a client with the CA and a client certificate can write over https://localhost", async () => {
    expect(cluster.endpoints[0]).toMatch(/^https:\/\/localhost:\d+$/);
    await withClient(etcd3Options(cluster, deadline()), async (client) => {
      await client.put("harness/tls").value("secure");
      expect(await client.get("harness/tls").string()).toBe("secure");
    });
  });

  test("a client without a client certificate is refused", async () => {
    const tls = cluster.tls!;
    const options = etcd3Options(cluster, { credentials: { rootCertificate: tls.ca }, ...deadline(3_000) });
    const outcome = await withClient(options, (client) => client.get("harness/tls").string().catch((e: unknown) => e));
    expect(outcome).toBeInstanceOf(Error);
  });
});

describe("auth limited to a prefix", () => {
  const auth = { rootPassword: "root-secret", user: "crd", password: "crd-secret", prefix: "/crd/" };
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcd({ auth });
  });
  afterAll(() => cluster?.stop());

  const userOptions = () =>
    etcd3Options(cluster, { auth: { username: auth.user, password: auth.password }, ...deadline() });

  test("the user can write and read inside its prefix", async () => {
    await withClient(userOptions(), async (client) => {
      await client.put("/crd/slot").value("mine");
      expect(await client.get("/crd/slot").string()).toBe("mine");
    });
  });

  test.each([
    ["outside the prefix", "/other/key"],
    ["a sibling sharing the prefix text without the slash", "/crdx"],
  ])("the user may not write %s", async (_name, key) => {
    const outcome = await withClient(userOptions(), (client) => client.put(key).value("x").catch((e: unknown) => e));
    expect(outcome).toBeInstanceOf(Error);
    expect(String(outcome)).toMatch(/permission denied/i);
  });

  test("a client without credentials is rejected", async () => {
    const outcome = await withClient(etcd3Options(cluster, deadline()), (client) =>
      client.get("/crd/slot").string().catch((e: unknown) => e),
    );
    expect(outcome).toBeInstanceOf(Error);
  });
});

describe("harness mechanics", () => {
  test("a member whose client port is taken fails fast with PortInUseError (startEtcd retries on it)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crd-port-"));
    const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
    const squatter = createServer().listen(clientPort, "127.0.0.1");
    await new Promise((resolve) => squatter.once("listening", resolve));
    try {
      const member = new Member({
        name: "m0", dataDir: join(dir, "m0"), logFile: join(dir, "m0.log"), clientPort, peerPort,
        initialCluster: `m0=http://127.0.0.1:${peerPort}`, clusterToken: "port-test",
      });
      member.start();
      const outcome = await member.waitReady(5_000).catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(PortInUseError);
      expect(member.running).toBe(false);
    } finally {
      squatter.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test.each<[string, Array<string | undefined | false>, string]>([
    ["returns the first value at once", ["first"], "first"],
    ["keeps polling past undefined and false", [undefined, false, "third"], "third"],
  ])("waitFor %s", async (_name, answers, expected) => {
    let call = 0;
    const value = await waitFor(() => answers[call++], { timeoutMs: 1_000, intervalMs: 1, what: "test value" });
    expect(value).toBe(expected);
    expect(call).toBe(answers.length);
  });

  test("waitFor names what it waited for and the last error when the deadline passes", async () => {
    const outcome = await waitFor(() => { throw new Error("still booting"); }, { timeoutMs: 30, intervalMs: 5, what: "the moon" })
      .catch((e: unknown) => e);
    expect(String(outcome)).toMatch(/timed out after 30 ms waiting for the moon \(last error: still booting\)/);
  });
});

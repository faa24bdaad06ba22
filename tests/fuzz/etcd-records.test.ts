/**
 * Fuzzing what the daemon reads from etcd: every key kind under the prefix (members, health,
 * slots, guards, cooldown, pause, reboots) gets random keys and values — valid records, valid
 * records with one field replaced, arbitrary JSON, truncated JSON, random text — and goes through
 * the same path as a pass: readClusterState (with a fake gateway returning those values), then
 * admission and the cluster health policy. Properties, for any values:
 *
 * - nothing throws;
 * - every slot key counts, readable or not: with a group limit equal to the group's number of
 *   slot keys, a new node is refused (full, or paused/cooldown which are checked first);
 * - a pause key present with any value (garbage included) pauses;
 * - a cooldown key present with any value blocks its group.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { classifyPeers, evaluatePolicy } from "../../src/cluster/index.ts";
import type { EtcdGateway, KeyValue, Snapshot } from "../../src/etcd/index.ts";
import { admission, makeKeys, readClusterState, type SlotRequest } from "../../src/slots/index.ts";
import { FUZZ_TIMEOUT_MS, fuzzAsync, fuzzRuns } from "../support/fuzz.ts";

const keys = makeKeys("/clusterrebootd");
const NOW = Date.UTC(2026, 11, 1, 12);
const ISO = new Date(NOW - 5_000).toISOString();

const VALID: Record<string, Record<string, unknown>> = {
  slots: { node: "n1", group: "g1", phase: "rebooting", holder: "daemon", pid: 1, boot_id: "b", acquired_at: ISO, phase_at: ISO, limit: 1, global_cap: null },
  health: { node: "n1", group: "g1", healthy: true, phase: "monitor", checked_at: ISO, boot_id: "b", pid: 1, seq: 1 },
  members: { node: "n1", group: "g1", fallback: false, first_seen: ISO },
  cooldown: { node: "n1", group: "g1", released_at: ISO, duration_sec: 60 },
  pause: { reason: "maintenance", by: "op", at: ISO },
  reboots: { node: "n1", history: [ISO], last_reboot_at: ISO },
  guards: { revision: 1 },
};

const NAMES = ["n1", "n2", "g1", "default", "", "a.b", "..", "x".repeat(70), "ünï", "a b", "%2F"];
const name = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 10 }));

/** A value for a record of `kind`: mostly near-valid, so the parsers' deeper branches run too. */
const valueFor = (kind: string) =>
  fc.oneof(
    fc.constant(JSON.stringify(VALID[kind])),
    fc.tuple(fc.constantFrom(...Object.keys(VALID[kind] ?? { x: 1 })), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => JSON.stringify({ ...VALID[kind], [k]: v })),
    fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j)),
    fc.nat({ max: 200 }).map((n) => JSON.stringify(VALID[kind]).slice(0, n)),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("", "null", "{}", "[]", "0", '"x"', "{\"__proto__\":{\"limit\":0}}", "\u0000"),
  );

const kv = (key: string, value: string, i: number): KeyValue => ({ key, value, createRevision: i + 1, modRevision: i + 1, version: 1, lease: i % 2 ? "0" : String(7000 + i) });

/** Keys of one kind: usually well-formed (prefix + names), sometimes odd paths under the prefix. */
const entries = (prefix: string, kind: string, depth: 1 | 2) =>
  fc.array(
    fc.tuple(depth === 2 ? fc.tuple(name, name).map(([g, n]) => `${g}/${n}`) : fc.oneof(name, fc.tuple(name, name).map(([a, b]) => `${a}/${b}`)), valueFor(kind)).map(([rest, value]) => ({ key: prefix + rest, value })),
    { maxLength: 5 },
  );

const stateArb = fc.record({
  slots: entries(keys.slotsPrefix, "slots", 2),
  guards: entries(`${keys.prefix}/guards/`, "guards", 1),
  cooldown: entries(keys.cooldownPrefix, "cooldown", 1),
  members: entries(keys.membersPrefix, "members", 1),
  health: entries(keys.healthPrefix, "health", 1),
  reboots: entries(keys.rebootsPrefix, "reboots", 1),
  pause: fc.option(valueFor("pause"), { freq: 3 }),
});
type Etcd = typeof stateArb extends fc.Arbitrary<infer T> ? T : never;

/** A gateway that answers snapshot() from the fuzzed values; nothing else is used by a read. */
function fakeGateway(e: Etcd): EtcdGateway {
  const byPrefix: Record<string, { key: string; value: string }[]> = {
    [keys.slotsPrefix]: e.slots,
    [`${keys.prefix}/guards/`]: e.guards,
    [keys.cooldownPrefix]: e.cooldown,
    [keys.membersPrefix]: e.members,
    [keys.healthPrefix]: e.health,
    [keys.rebootsPrefix]: e.reboots,
  };
  const unused = () => Promise.reject(new Error("not used by a read"));
  return {
    snapshot: async (prefixes, wanted): Promise<Snapshot> => ({
      revision: 99,
      clusterId: "1",
      prefixes: prefixes.map((p) => (byPrefix[p] ?? []).map((x, i) => kv(x.key, x.value, i))),
      keys: wanted.map((k) => (k === keys.pause && e.pause !== null ? kv(k, e.pause, 0) : undefined)),
    }),
    txn: unused,
    get: unused,
    getPrefix: unused,
    grantLease: unused,
    leaseTtl: unused,
    watchPrefix: unused,
    close: async () => {},
  } as EtcdGateway;
}

const request = (group: string, limit: number): SlotRequest => ({
  node: "fuzz-newcomer", group, limit, globalCap: null, holder: "daemon", pid: 1, bootId: "b", leaseId: "1", nowIso: new Date(NOW).toISOString(),
});

async function check(e: Etcd): Promise<void> {
  const state = await readClusterState(fakeGateway(e), keys);
  expect(state.slots.length).toBe(e.slots.length); // every slot key counts, readable or not
  expect(state.pausePresent).toBe(e.pause !== null);
  for (const slot of state.slots) {
    const inGroup = state.slots.filter((s) => s.group === slot.group).length;
    const verdict = admission(state, request(slot.group, inGroup));
    const cooling = state.cooldowns.has(slot.group);
    expect(verdict.kind).toBe(e.pause !== null ? "paused" : cooling ? "cooldown" : "full");
  }
  for (const c of e.cooldown) {
    const group = c.key.slice(c.key.lastIndexOf("/") + 1);
    if (e.pause === null) expect(admission(state, request(group, 1000)).kind).toBe("cooldown");
  }
  if (e.pause !== null) expect(admission(state, request("any", 1000)).kind).toBe("paused");
  const peers = classifyPeers(state, "fuzz-newcomer", { nowMs: NOW, publishIntervalMs: 15_000, healthTimeoutMs: 30_000 });
  const verdict = evaluatePolicy(peers, "fuzz-newcomer", { minHealthyFraction: 0.5, minHealthyAbsolute: 1, forbidIfOnlyFallbackLeft: true, fallbackNodes: ["n2"] });
  expect(["allowed", "blocked"]).toContain(verdict.kind);
}

describe("etcd records fuzzing (readClusterState → admission → policy)", () => {
  test(
    "random values under every key kind: no throw, unreadable slots count, unreadable pause and cooldown block",
    async () => {
      await fuzzAsync("etcd records", stateArb, fuzzRuns(2000), check);
    },
    FUZZ_TIMEOUT_MS,
  );

  test("the canonical unsafe cases, spelled out", async () => {
    const e: Etcd = { slots: [{ key: `${keys.slotsPrefix}g1/n1`, value: "{not json" }], guards: [], cooldown: [], members: [], health: [], reboots: [], pause: null };
    const state = await readClusterState(fakeGateway(e), keys);
    expect(state.slots[0]?.record).toBeUndefined();
    expect(admission(state, request("g1", 1)).kind).toBe("full");
    const paused = await readClusterState(fakeGateway({ ...e, slots: [], pause: "\u0000garbage" }), keys);
    expect(paused.pause).toBeUndefined();
    expect(admission(paused, request("g1", 5)).kind).toBe("paused");
  });
});

/**
 * The replay of etcd histories through the model's transition rules (scripts/model/replay.ts),
 * proven on hand-made histories: a checker that cannot see a forbidden change proves nothing when
 * the chaos run (tests/chaos/chaos.test.ts) replays a real one.
 */
import { describe, expect, test } from "bun:test";
import type { HistoryEvent } from "../../scripts/chaos/etcd-history.ts";
import { replayThroughModel } from "../../scripts/model/replay.ts";

const P = "/clusterrebootd";
const key = (node: string) => `${P}/slots/beta/${node}`;
const put = (rev: number, node: string, phase: string, lease: string, createRev = rev): HistoryEvent => ({
  rev,
  kind: "put",
  key: key(node),
  value: JSON.stringify({ node, group: "beta", phase }),
  lease,
  createRev,
});
const del = (rev: number, node: string): HistoryEvent => ({ rev, kind: "delete", key: key(node), value: "" });
const replay = (events: HistoryEvent[]) => replayThroughModel(events, P, () => 1);

describe("replay through the model", () => {
  test("a full cycle and a recovery are steps of the model", () => {
    const r = replay([put(2, "b1", "preparing", "11"), put(3, "b1", "rebooting", "12", 2), put(4, "b1", "verifying", "12", 2), del(5, "b1"), put(6, "b2", "preparing", "13"), del(7, "b2")]);
    expect(r.violations).toEqual([]);
    expect(r.steps).toEqual({ ACQUIRE: 2, FENCE: 1, VERIFY: 1, delete: 2 });
  });

  test("a fence onto no lease (max_failed_reboots >= 1) and a kept preparing slot are steps of the model", () => {
    const r = replay([put(2, "b1", "preparing", "11"), put(3, "b1", "preparing", "14", 2), del(4, "b1"), put(5, "b2", "preparing", "13"), put(6, "b2", "rebooting", "0", 5), del(7, "b2")]);
    expect(r.violations).toEqual([]);
    expect(r.steps).toEqual({ ACQUIRE: 2, KEEP: 1, FENCE: 1, delete: 2 });
  });

  test.each([
    ["a slot created as rebooting", [put(2, "b1", "rebooting", "12")], /absent -> rebooting/],
    ["a slot created without a lease", [put(2, "b1", "preparing", "0")], /absent -> preparing/],
    ["a fence that keeps the session lease", [put(2, "b1", "preparing", "11"), put(3, "b1", "rebooting", "11", 2)], /preparing -> rebooting/],
    ["a preparing slot kept on the same lease", [put(2, "b1", "preparing", "11"), put(3, "b1", "preparing", "11", 2)], /preparing -> preparing/],
    ["verifying on another lease", [put(2, "b1", "preparing", "11"), put(3, "b1", "rebooting", "12", 2), put(4, "b1", "verifying", "13", 2)], /rebooting -> verifying/],
    ["back from rebooting to preparing", [put(2, "b1", "preparing", "11"), put(3, "b1", "rebooting", "12", 2), put(4, "b1", "preparing", "12", 2)], /rebooting -> preparing/],
    ["a put that changes the create revision", [put(2, "b1", "preparing", "11"), put(3, "b1", "rebooting", "12", 3)], /create revision changed/],
    ["two slots in a limit-1 group", [put(2, "b1", "preparing", "11"), put(3, "b2", "preparing", "13")], /holds 2 slots \(limit 1\)/],
    ["an unreadable slot value", [{ rev: 2, kind: "put", key: key("b1"), value: "{", lease: "11", createRev: 2 } as HistoryEvent], /without a known phase/],
  ] as const)("finds %s", (_name, events, message) => {
    expect(replay([...events]).violations.join("\n")).toMatch(message);
  });

  test("keys outside the slots prefix are ignored", () => {
    expect(replay([{ rev: 2, kind: "put", key: `${P}/pause`, value: "{}", lease: "0", createRev: 2 }]).violations).toEqual([]);
  });
});

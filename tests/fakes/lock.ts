import type { ClusterState } from "../../src/slots/index.ts";
import { outcome, type LockBackend } from "../../src/orchestrate/index.ts";
import type { HeldSlot } from "../../src/orchestrate/lock.ts";

type Method = Exclude<keyof LockBackend, "kind" | "throughReboot">;
type Fn<M extends Method> = NonNullable<LockBackend[M]> extends (...args: infer A) => infer R ? (...args: A) => R : never;
type Result<M extends Method> = Awaited<ReturnType<Fn<M>>>;
type Script<M extends Method> = Result<M> | ((...args: Parameters<Fn<M>>) => Result<M> | Promise<Result<M>>);

/**
 * A LockBackend in memory: answers like our etcd slots on a free budget unless a test scripts
 * otherwise, records every call, and keeps the slots it handed out in `slots` (taken by acquire
 * and recover, changed by fence/markVerifying/keep, gone after release, discard, fail and the
 * post-boot release). `view()` returns `state` (undefined: a backend without a view, like a
 * FleetLock client). Several scripted results of one method are used in order, the last repeating.
 */
export class FakeLock implements LockBackend {
  kind: LockBackend["kind"] = "etcd";
  throughReboot = { issued: "slot held through the reboot", failed: "keeping the slot until the post-boot checks" };
  /** What view() returns. */
  state: ClusterState | undefined;
  readonly calls: { method: Method; args: unknown[] }[] = [];
  readonly slots = new Map<string, HeldSlot>();
  private scripts = new Map<Method, unknown[]>();

  constructor(readonly subject: { node: string; group: string } = { node: "n1", group: "g" }) {}

  /** Scripts the results of `method` (values, or functions of its arguments). */
  on<M extends Method>(method: M, ...results: Script<M>[]): this {
    this.scripts.set(method, results);
    return this;
  }

  /** The arguments of every call of `method`, in order. */
  args<M extends Method>(method: M): Parameters<Fn<M>>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args as Parameters<Fn<M>>);
  }

  /** Names of the methods called, in order (view and wouldAcquire included). */
  get methods(): Method[] {
    return this.calls.map((c) => c.method);
  }

  get key(): string {
    return `/fake/slots/${this.subject.group}/${this.subject.node}`;
  }

  private async answer<M extends Method>(method: M, args: unknown[], fallback: () => NoInfer<Result<M>>): Promise<Result<M>> {
    this.calls.push({ method, args });
    const queue = this.scripts.get(method);
    if (!queue?.length) return fallback();
    const s = (queue.length > 1 ? queue.shift() : queue[0]) as Script<M>;
    return typeof s === "function" ? await (s as (...a: unknown[]) => Result<M>)(...args) : s;
  }

  view = (scope: "slots" | "all") => this.answer("view", [scope], () => this.state);
  wouldAcquire = (state: ClusterState | undefined) => {
    this.calls.push({ method: "wouldAcquire", args: [state] });
    const s = this.scripts.get("wouldAcquire")?.[0];
    return (typeof s === "function" ? s(state) : s) ?? outcome("ready", "a reboot slot is free: this node would take it and reboot now");
  };
  acquire = async (opts?: { reason?: string }) => {
    const r = await this.answer("acquire", [opts], () => ({ kind: "acquired" as const, slot: { key: this.key, group: this.subject.group, phase: "preparing" }, attempts: 1 }));
    if (r.kind === "acquired") this.slots.set(r.slot.key, r.slot);
    return r;
  };
  fence = async (slot: HeldSlot, info: Parameters<LockBackend["fence"]>[1]) => {
    const r = await this.answer("fence", [slot, info], () => ({ kind: "fenced" as const, slot: { ...slot, phase: "rebooting" } }));
    if (r.kind === "fenced") this.slots.set(r.slot.key, r.slot);
    return r;
  };
  release = async (slot: HeldSlot, info: Parameters<LockBackend["release"]>[1]) => {
    const r = await this.answer("release", [slot, info], () => (this.slots.has(slot.key) ? { kind: "released" as const, cooldownSec: info.cooldown ? 60 : 0 } : { kind: "not-held" as const }));
    if (r.kind === "released") this.slots.delete(slot.key);
    return r;
  };
  idle = () => this.answer("idle", [], () => ({ kind: "ok" as const }));
  discard = async (slot: HeldSlot) => {
    const r = await this.answer("discard", [slot], () => true);
    if (r) this.slots.delete(slot.key);
    return r;
  };
  markVerifying = async (slot: HeldSlot, info: { nowMs: number; rebooted: boolean }) => {
    const r = await this.answer("markVerifying", [slot, info], () => ({ ...slot, phase: "verifying" }));
    if (r) this.slots.set(r.key, r);
    return r;
  };
  releaseAfterBoot = async (slot: HeldSlot, info: Parameters<LockBackend["releaseAfterBoot"]>[1]) => {
    const r = await this.answer("releaseAfterBoot", [slot, info], () => ({ kind: "released" as const, cooldownSec: 60 }));
    if (r.kind === "released") this.slots.delete(slot.key);
    return r;
  };
  recover = async (marker: { bootId: string; deadline: string; nowMs: number }) => {
    const r = await this.answer("recover", [marker], () => ({ kind: "present" as const }));
    if (r.kind === "recreated") this.slots.set(r.key, { key: r.key, group: this.subject.group, phase: "rebooting", deadline: marker.deadline });
    return r;
  };
  renew = (slot: HeldSlot) => this.answer("renew", [slot], () => ({ kind: "fresh" as const, ...(slot.deadline ? { deadline: slot.deadline } : {}) }));
  leave = () => this.answer("leave", [], () => undefined);
  keep = async (slot: HeldSlot, why: string) => {
    const r = await this.answer("keep", [slot, why], () => undefined);
    if (r) this.slots.set(r.key, r);
    return r;
  };
  sweep = (state: ClusterState, self: string) => this.answer("sweep", [state, self], () => []);
  fail = async (slot: HeldSlot) => {
    const r = await this.answer("fail", [slot], () => undefined);
    if (r) this.slots.delete(slot.key);
    return r;
  };
}

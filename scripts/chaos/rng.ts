/**
 * Seeded randomness for the chaos run. One independent stream per concern (each node's kills,
 * the pause schedule, the etcd schedule, …), so a node's decisions depend on the seed and on its
 * own sequence of phases only, not on how the other nodes' events interleave on a busy machine.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** true with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast, good enough for test schedules (not for anything secret). */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error("bug: pick from an empty list");
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** A stream derived from the run's seed and a name (FNV-1a of the name mixed into the seed). */
export function stream(seed: number, name: string): Rng {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return rng((seed ^ h) >>> 0);
}

/** A fresh seed when none was given: printed so a failing run can be replayed. */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

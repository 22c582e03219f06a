/**
 * Seeded pseudo-random numbers for the local cloud's fault injection: one
 * seed per run, so a run that broke in an interesting way can be repeated
 * with the same seed. Not for anything secret.
 */
import { randomInt } from 'node:crypto';

/** A source of numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/**
 * mulberry32: a tiny, fast generator with a 32-bit state, good enough to draw
 * fault decisions and jitter, and fully determined by its seed.
 */
export const mulberry32 = (seed: number): Random => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/** FNV-1a: a stable 32-bit hash of a stream's name. */
const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
};

/**
 * A generator for one named stream of draws under a seed. Separate streams
 * (one per function, one for the bus, one for pipes) keep each one's
 * sequence of draws independent of how the others interleave, so the n-th
 * invocation of a function meets the same fault whatever else ran meanwhile.
 */
export const seededRandom = (seed: number, stream = ''): Random => mulberry32((seed ^ fnv1a(stream)) >>> 0);

/** A fresh seed, for a run that was not given one. */
export const randomSeed = (): number => randomInt(0, MAX_SEED + 1);

/**
 * Seeded randomness for reproducible test data.
 *
 * Every generator in the suite draws from an {@link Rng} built here, never from
 * `Math.random`, so that a failing case can be replayed from its seed alone.
 *
 * @packageDocumentation
 */
import seedrandom from 'seedrandom';

/** A seeded pseudo-random stream. Not safe for cryptographic use. */
export interface Rng {
  /** A uniform draw from [0, 1) with 53 bits of resolution. */
  uniform(): number;
  /**
   * A standard normal draw, N(0, 1), by the Box-Muller transform. Each transform
   * yields two independent values; the second is cached and returned by the next call.
   */
  normal(): number;
  /**
   * A uniform integer in [0, maxExclusive).
   * @param maxExclusive - a positive safe integer
   * @throws Error if `maxExclusive` is not a positive safe integer
   */
  int(maxExclusive: number): number;
  /**
   * Shuffles `items` in place with the Fisher-Yates algorithm.
   * @returns the same array, shuffled
   */
  shuffle<T>(items: T[]): T[];
}

/**
 * Creates a seeded random stream using seedrandom's Alea generator.
 *
 * The seed is used through its string form, so `createRng(7)` and `createRng('7')`
 * produce the same stream.
 *
 * @param seed - a finite number or any string
 * @throws Error if `seed` is a number that is not finite
 */
export function createRng(seed: number | string): Rng {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new Error(`createRng: seed is ${seed}; expected a finite number or a string`);
  }
  if (typeof seed !== 'number' && typeof seed !== 'string') {
    throw new Error(`createRng: seed has type ${typeof seed}; expected a finite number or a string`);
  }
  const prng = seedrandom.alea(String(seed));
  let cachedNormal: number | null = null;

  const uniform = (): number => prng.double();

  return {
    uniform,
    normal(): number {
      if (cachedNormal !== null) {
        const value = cachedNormal;
        cachedNormal = null;
        return value;
      }
      // 1 - u lies in (0, 1], which keeps log() finite even when the generator returns 0.
      const u1 = 1 - uniform();
      const u2 = uniform();
      const radius = Math.sqrt(-2 * Math.log(u1));
      const angle = 2 * Math.PI * u2;
      cachedNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    int(maxExclusive: number): number {
      if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1) {
        throw new Error(`Rng.int: maxExclusive is ${maxExclusive}; expected a positive safe integer`);
      }
      return Math.floor(uniform() * maxExclusive);
    },
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(uniform() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
  };
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const UTF8 = new TextEncoder();

/**
 * Derives an independent sub-seed from a base seed and a label, so one user-facing
 * seed can drive several streams (data, initialisation, shuffling) that do not
 * share draws.
 *
 * The result is the 32-bit FNV-1a hash of the UTF-8 bytes of `${seed}:${label}`,
 * an unsigned integer in [0, 2^32). It is stable across runs, platforms and versions.
 *
 * @param seed - a finite number
 * @param label - names the sub-stream, e.g. `"init"`
 * @throws Error if `seed` is not a finite number
 */
export function deriveSeed(seed: number, label: string): number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new Error(`deriveSeed: seed is ${String(seed)}; expected a finite number`);
  }
  if (typeof label !== 'string') {
    throw new Error(`deriveSeed: label has type ${typeof label}; expected a string`);
  }
  const bytes = UTF8.encode(`${seed}:${label}`);
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

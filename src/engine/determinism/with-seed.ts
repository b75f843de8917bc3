import seedrandom from 'seedrandom';

/**
 * Runs `fn` with `Math.random` replaced by a seeded generator and restores the original afterwards,
 * even when `fn` throws.
 *
 * Why: tfjs draws from Math.random in places bn-suite does not control: `fit({shuffle: true})`
 * shuffles with it, and initializers and random ops without an explicit seed seed themselves from
 * it. Seeding it makes a whole training run a function of the seed.
 *
 * Calls must not overlap: Math.random is process-global, so two concurrent seeded runs would
 * interleave draws. bn-suite runs cases one at a time.
 */
export async function withSeed<T>(seed: number | string, fn: () => Promise<T> | T): Promise<T> {
  const original = Math.random;
  const generator = seedrandom.alea(String(seed));
  Math.random = () => generator();
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}

import { DEFAULT_SEED } from '../../src/engine/defaults';
/**
 * Property-run sizing for the jest suite, from the environment:
 * - BN_SEED: fast-check seed (default fixed, so the gate is stable; `random` draws one, shown in titles);
 * - BN_RUNS: cases per (scenario, backend) (default sized to keep `npm test` well under 90 s; raise for nightly runs).
 */
export const DEFAULT_TEST_SEED = DEFAULT_SEED;
export const DEFAULT_TEST_RUNS = 8;

export function testSeed(): number {
  const raw = process.env.BN_SEED;
  if (raw === undefined || raw === '') return DEFAULT_TEST_SEED;
  if (raw === 'random') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`BN_SEED must be an integer or "random"; got '${raw}'`);
  return seed;
}

export function testRuns(): number {
  const raw = process.env.BN_RUNS;
  if (raw === undefined || raw === '') return DEFAULT_TEST_RUNS;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BN_RUNS must be a positive integer; got '${raw}'`);
  return runs;
}

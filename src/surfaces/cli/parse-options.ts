import { UsageError } from '../../engine/errors';
import type { Shard } from '../../results/schema';

/** Parses `--seed`: an integer, or `random` (drawn once, then printed and recorded). */
export function parseSeed(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (raw === 'random') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed '${raw}': expected an integer or "random"`);
  return seed;
}

/** Parses a positive integer flag, at most `max`. */
export function parsePositiveInt(flag: string, raw: string | undefined, fallback: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new UsageError(`${flag} '${raw}': expected an integer from 1 to ${max}`);
  }
  return value;
}

/** Upper bound of `--runs`: 10,000 generated cases per (scenario, backend) is hours of work already. */
export const MAX_RUNS = 10_000;

/** Parses `--shard k/n` (1 <= k <= n). */
export function parseShard(raw: string | undefined): Shard | undefined {
  if (raw === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || index < 1 || count < 1 || index > count) throw new UsageError(`--shard '${raw}': expected k/n with 1 <= k <= n, e.g. 2/4`);
  return { index, count };
}

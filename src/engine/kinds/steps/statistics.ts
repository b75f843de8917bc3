/**
 * Statistics of a tensor in float64, as numpy computes them in the upstream tests: over the whole
 * tensor (`np.mean(out)`), or per channel along an axis (`np.mean(out, axis=reduction_axes)`),
 * optionally of `(t - beta) / gamma` per channel first.
 *
 * @packageDocumentation
 */
import type { DenseArray } from '../../oracle/dense-array';
import type { StatisticKind } from './schema';

/** Per-channel beta and gamma to take out before the statistic (absent: 0 and 1). */
export interface Unscale {
  gamma?: ArrayLike<number>;
  beta?: ArrayLike<number>;
}

/** Sums of one group of elements: the second pass adds squared deviations from the first pass's mean. */
interface Group {
  count: number;
  sum: number;
  deviations: number;
  min: number;
  max: number;
}

const FINISH: Record<StatisticKind, (g: Group) => number> = {
  mean: (g) => g.sum / g.count,
  // Biased (÷N), numpy's default ddof=0.
  variance: (g) => g.deviations / g.count,
  unbiasedVariance: (g) => (g.count < 2 ? Number.NaN : g.deviations / (g.count - 1)),
  std: (g) => Math.sqrt(g.deviations / g.count),
  min: (g) => g.min,
  max: (g) => g.max,
};

/**
 * The statistic of `array`: one value over all elements when `axis` is undefined, else one per
 * index along `axis` (negative counts from the end). With `unscale`, each element of channel c
 * (along `unscaleAxis`, the BN axis) is first mapped to `(v - beta[c]) / gamma[c]`.
 *
 * @throws RangeError when an axis is outside the array's rank.
 */
export function tensorStatistic(array: DenseArray, statistic: StatisticKind, axis: number | undefined, unscale?: Unscale & { axis: number }): number[] {
  const rank = array.shape.length;
  const along = (a: number, what: string) => {
    const normalized = a < 0 ? a + rank : a;
    if (normalized < 0 || normalized >= rank) throw new RangeError(`${what} ${a} is outside the rank ${rank} of a tensor of shape [${array.shape.join(', ')}]`);
    return { size: array.shape[normalized], inner: array.shape.slice(normalized + 1).reduce((x, y) => x * y, 1) };
  };
  const grouping = axis === undefined ? { size: 1, inner: 1 } : along(axis, 'axis');
  const channel = unscale === undefined ? null : along(unscale.axis, 'the BN axis');
  const groups: Group[] = Array.from({ length: grouping.size }, () => ({ count: 0, sum: 0, deviations: 0, min: Infinity, max: -Infinity }));
  const valueAt = (i: number) => {
    if (channel === null) return array.values[i];
    const c = Math.floor(i / channel.inner) % channel.size;
    return (array.values[i] - (unscale?.beta?.[c] ?? 0)) / (unscale?.gamma?.[c] ?? 1);
  };
  const groupAt = (i: number) => groups[axis === undefined ? 0 : Math.floor(i / grouping.inner) % grouping.size];
  for (let i = 0; i < array.values.length; i++) {
    const v = valueAt(i);
    const g = groupAt(i);
    g.count++;
    g.sum += v;
    if (v < g.min) g.min = v;
    if (v > g.max) g.max = v;
  }
  for (let i = 0; i < array.values.length; i++) {
    const g = groupAt(i);
    g.deviations += (valueAt(i) - g.sum / g.count) ** 2;
  }
  return groups.map(FINISH[statistic]);
}

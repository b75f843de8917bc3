import { tensorStatistic } from '../../../../src/engine/kinds/steps/statistics';

// [2, 3]: rows [1, 2, 3] and [5, 6, 10].
const t = { shape: [2, 3], values: [1, 2, 3, 5, 6, 10] };

describe('tensorStatistic', () => {
  test('over the whole tensor', () => {
    expect(tensorStatistic(t, 'mean', undefined)).toEqual([4.5]);
    expect(tensorStatistic(t, 'min', undefined)).toEqual([1]);
    expect(tensorStatistic(t, 'max', undefined)).toEqual([10]);
    // Deviations from 4.5: 3.5² + 2.5² + 1.5² + 0.5² + 1.5² + 5.5² = 53.5.
    expect(tensorStatistic(t, 'variance', undefined)[0]).toBeCloseTo(53.5 / 6, 12);
    expect(tensorStatistic(t, 'unbiasedVariance', undefined)[0]).toBeCloseTo(53.5 / 5, 12);
    expect(tensorStatistic(t, 'std', undefined)[0]).toBeCloseTo(Math.sqrt(53.5 / 6), 12);
  });

  test('per index along an axis, negative axes counted from the end', () => {
    expect(tensorStatistic(t, 'mean', -1)).toEqual([3, 4, 6.5]);
    expect(tensorStatistic(t, 'mean', 0)).toEqual([2, 7]);
    expect(tensorStatistic(t, 'variance', 1)).toEqual([4, 4, 12.25]);
    expect(tensorStatistic(t, 'unbiasedVariance', 1)).toEqual([8, 8, 24.5]);
  });

  test('unscale takes beta and gamma out per channel of the BN axis first', () => {
    const unscale = { axis: 1, gamma: [2, 4, 7], beta: [1, 2, 3] };
    // (v - beta) / gamma: rows [0, 0, 0] and [2, 1, 1].
    expect(tensorStatistic(t, 'mean', 1, unscale)).toEqual([1, 0.5, 0.5]);
    expect(tensorStatistic(t, 'max', undefined, unscale)).toEqual([2]);
  });

  test('an unbiased variance of one value is NaN, and an axis outside the rank is refused', () => {
    expect(tensorStatistic({ shape: [1, 3], values: [1, 2, 3] }, 'unbiasedVariance', 1)).toEqual([NaN, NaN, NaN]);
    expect(() => tensorStatistic(t, 'mean', 2)).toThrow(/axis 2 is outside the rank 2/);
  });

  test('keeps its precision on data far from zero (two passes, not E[x²] - E[x]²)', () => {
    const far = { shape: [4], values: [1e8 + 1, 1e8 + 2, 1e8 + 3, 1e8 + 4] };
    expect(tensorStatistic(far, 'variance', undefined)[0]).toBeCloseTo(1.25, 6);
  });
});

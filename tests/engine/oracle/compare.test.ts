import { describe, expect } from '@jest/globals';
import { fc, test } from '@fast-check/jest';
import {
  type Comparison,
  compareArrays,
  float32MeanErrorBound,
  float32Tolerance,
  formatComparison,
  movingVarianceTolerance,
  normalizedMeanError,
  trainingModeTolerance,
} from '../../../src/engine/oracle/compare';
import { type DenseArray, sizeOf, unravelIndex } from '../../../src/engine/oracle/dense-array';

const exact = { atol: 0, rtol: 0 };

function dense(shape: number[], values: ArrayLike<number>): DenseArray {
  return { shape, values };
}

function expectValuesMismatch(c: Comparison): Extract<Comparison, { kind: 'values' }> {
  if (c.ok || c.kind !== 'values') throw new Error(`expected a values mismatch, got ${formatComparison(c)}`);
  return c;
}

describe('compareArrays', () => {
  test('identical arrays match with zero differences', () => {
    const c = compareArrays(dense([2, 2], [1, -2, 3.5, 0]), dense([2, 2], [1, -2, 3.5, 0]), exact);
    expect(c).toEqual({ ok: true, maxAbsDiff: 0, maxRelDiff: 0, count: 4 });
  });

  test('a float32 result against a float64 reference', () => {
    const expected = [0.1, 0.2, 0.3];
    const c = compareArrays(dense([3], Float32Array.from(expected)), dense([3], expected), { atol: 0, rtol: 1e-7 });
    expect(c.ok).toBe(true);
    expect(compareArrays(dense([3], Float32Array.from(expected)), dense([3], expected), exact).ok).toBe(false);
  });

  test('uses |a-e| <= atol + rtol·|e| with the boundary included', () => {
    const tol = { atol: 0.25, rtol: 0.25 };
    expect(compareArrays(dense([1], [1.5]), dense([1], [1]), tol).ok).toBe(true);
    expect(compareArrays(dense([1], [1.5 + 2 ** -20]), dense([1], [1]), tol).ok).toBe(false);
  });

  test('rtol scales with the expected value, not the actual one', () => {
    const tol = { atol: 0, rtol: 0.6 };
    expect(compareArrays(dense([1], [2]), dense([1], [1]), tol).ok).toBe(false);
    expect(compareArrays(dense([1], [1]), dense([1], [2]), tol).ok).toBe(true);
  });

  test('NaN matches only NaN, and infinities only the same-signed infinity', () => {
    const loose = { atol: 1, rtol: 1 };
    expect(compareArrays(dense([2], [NaN, Infinity]), dense([2], [NaN, Infinity]), exact)).toEqual({
      ok: true,
      maxAbsDiff: 0,
      maxRelDiff: 0,
      count: 2,
    });
    expect(compareArrays(dense([1], [-Infinity]), dense([1], [-Infinity]), exact).ok).toBe(true);
    expect(compareArrays(dense([1], [NaN]), dense([1], [0]), loose).ok).toBe(false);
    expect(compareArrays(dense([1], [0]), dense([1], [NaN]), loose).ok).toBe(false);
    expect(compareArrays(dense([1], [Infinity]), dense([1], [-Infinity]), loose).ok).toBe(false);
    // The allclose formula alone would accept these: |Inf - 1e308| <= 1 + 1·Inf.
    expect(compareArrays(dense([1], [1e308]), dense([1], [Infinity]), loose).ok).toBe(false);
    expect(compareArrays(dense([1], [Infinity]), dense([1], [1e308]), loose).ok).toBe(false);
    const c = expectValuesMismatch(compareArrays(dense([2], [1, NaN]), dense([2], [1, 2]), loose));
    expect(c.maxAbsDiff).toBe(Infinity);
    expect(c.firstIndex).toBe(1);
  });

  test('reports the first mismatch with its multi-index, the counts and the largest differences', () => {
    const expected = new Float64Array(24).fill(1);
    const actual = new Float64Array(24).fill(1);
    expected[7] = 0.25;
    actual[7] = 0.5;
    actual[10] = 1.1;
    actual[20] = 0.9;
    const c = expectValuesMismatch(compareArrays(dense([8, 3], actual), dense([8, 3], expected), { atol: 0.01, rtol: 0 }));
    expect(c).toMatchObject({ firstIndex: 7, firstIndexNd: [2, 1], actual: 0.5, expected: 0.25, mismatches: 3, count: 24 });
    expect(c.maxAbsDiff).toBe(0.25);
    expect(c.maxRelDiff).toBe(1);
    expect(formatComparison(c)).toBe(
      'values differ at [2,1] (flat 7): actual 0.5 expected 0.25, max abs diff 0.25, max rel diff 1, 3 of 24 mismatched',
    );
  });

  test('relative difference against an expected 0 is infinite', () => {
    const c = compareArrays(dense([2], [1e-9, 0]), dense([2], [0, 0]), { atol: 1e-6, rtol: 0 });
    expect(c).toEqual({ ok: true, maxAbsDiff: 1e-9, maxRelDiff: Infinity, count: 2 });
  });

  test('checks shapes before values, including rank', () => {
    const c = compareArrays(dense([2, 3], [1, 2, 3, 4, 5, 6]), dense([3, 2], [9, 9, 9, 9, 9, 9]), exact);
    expect(c).toEqual({ ok: false, kind: 'shape', actualShape: [2, 3], expectedShape: [3, 2] });
    expect(formatComparison(c)).toBe('shapes differ: actual [2,3] expected [3,2]');
    expect(compareArrays(dense([6], [1, 2, 3, 4, 5, 6]), dense([1, 6], [1, 2, 3, 4, 5, 6]), exact)).toMatchObject({
      ok: false,
      kind: 'shape',
    });
  });

  test('handles scalars and empty arrays', () => {
    const c = expectValuesMismatch(compareArrays(dense([], [2]), dense([], [3]), exact));
    expect(c.firstIndexNd).toEqual([]);
    expect(formatComparison(c)).toMatch(/^values differ at \[\] \(flat 0\)/);
    expect(compareArrays(dense([0, 4], []), dense([0, 4], []), exact)).toEqual({ ok: true, maxAbsDiff: 0, maxRelDiff: 0, count: 0 });
  });

  test('rejects malformed arrays and tolerances', () => {
    expect(() => compareArrays(dense([2], [1]), dense([2], [1, 2]), exact)).toThrow(
      'compareArrays: actual has 1 values but its shape [2] needs 2',
    );
    expect(() => compareArrays(dense([1], [1]), dense([1], [1]), { atol: -1, rtol: 0 })).toThrow(/tol.atol is -1/);
    expect(() => compareArrays(dense([1], [1]), dense([1], [1]), { atol: 0, rtol: NaN })).toThrow(/tol.rtol is NaN/);
  });

  test('formats a match on one line', () => {
    const c = compareArrays(dense([2], [1, 2.000001]), dense([2], [1, 2]), { atol: 0, rtol: 1e-5 });
    expect(formatComparison(c)).toBe('all 2 values within tolerance, max abs diff 0.000001, max rel diff 5e-7');
  });
});

describe('float32Tolerance', () => {
  const u = 2 ** -24;

  test('has a 1e-5 floor for small reductions', () => {
    expect(float32Tolerance({ reductionSize: 1, magnitude: 0 })).toEqual({ rtol: 1e-5, atol: 1e-5 });
    expect(float32Tolerance({ reductionSize: 20, magnitude: 0.5 })).toEqual({ rtol: 1e-5, atol: 1e-5 });
  });

  test('grows as 8·N·u for large reductions and scales atol by the magnitude', () => {
    const tol = float32Tolerance({ reductionSize: 1000, magnitude: 10 });
    expect(tol.rtol).toBeCloseTo(8 * 1000 * u, 15);
    expect(tol.rtol).toBeCloseTo(4.77e-4, 6);
    expect(tol.atol).toBeCloseTo(10 * tol.rtol, 15);
  });

  test('rejects an invalid reduction size or magnitude', () => {
    expect(() => float32Tolerance({ reductionSize: 0, magnitude: 1 })).toThrow(/float32Tolerance: reductionSize is 0/);
    expect(() => float32Tolerance({ reductionSize: 10, magnitude: -1 })).toThrow(/float32Tolerance: magnitude is -1/);
    expect(() => float32Tolerance({ reductionSize: 10, magnitude: NaN })).toThrow(/magnitude is NaN/);
  });
});

/** A small array of any doubles, NaN and infinities included. */
const anyArray = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 })
  .chain((shape) =>
    fc.array(fc.double(), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((values) => dense(shape, values)),
  );

const finiteArray = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
  .chain((shape) =>
    fc.record({
      array: fc
        .array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
        .map((values) => dense(shape, values)),
      index: fc.nat({ max: sizeOf(shape) - 1 }),
    }),
  );

describe('compareArrays properties', () => {
  test.prop([anyArray, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })])(
    'is reflexive for any values and tolerance',
    (array, atol, rtol) => {
      expect(compareArrays(array, dense([...array.shape], Array.from(array.values)), { atol, rtol })).toEqual({
        ok: true,
        maxAbsDiff: 0,
        maxRelDiff: 0,
        count: array.values.length,
      });
    },
  );

  test.prop([finiteArray, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.boolean()])(
    'finds a single perturbed element at its index',
    ({ array, index }, size, negative) => {
      const tol = { atol: 1e-6, rtol: 1e-6 };
      const perturbation = (negative ? -1 : 1) * (size + 1e-5 * Math.abs(array.values[index]));
      const actual = Array.from(array.values);
      actual[index] += perturbation;
      const c = expectValuesMismatch(compareArrays(dense([...array.shape], actual), array, tol));
      expect(c.firstIndex).toBe(index);
      expect(c.firstIndexNd).toEqual(unravelIndex(index, array.shape));
      expect(c.mismatches).toBe(1);
      expect(c.actual).toBe(actual[index]);
      expect(c.expected).toBe(array.values[index]);
    },
  );

  test.prop([anyArray, anyArray])('reports a shape mismatch before looking at values', (a, b) => {
    const c = compareArrays(a, b, { atol: 0, rtol: 0 });
    const sameShape = a.shape.length === b.shape.length && a.shape.every((extent, dim) => extent === b.shape[dim]);
    if (!sameShape) {
      expect(c).toEqual({ ok: false, kind: 'shape', actualShape: [...a.shape], expectedShape: [...b.shape] });
    } else {
      expect(c.ok || c.kind === 'values').toBe(true);
    }
  });
});

describe('trainingModeTolerance (conditioning-aware)', () => {
  const wellScaled = { maxAbsInput: 3, variance: 1, gain: 1 };

  test('changes nothing for well-scaled data, so semantic faults stay visible', () => {
    const opts = { reductionSize: 64, magnitude: 3, epsilon: 1e-3, channels: [wellScaled, wellScaled] };
    const base = float32Tolerance(opts);
    const conditioned = trainingModeTolerance(opts);
    expect(conditioned.rtol).toBe(base.rtol);
    // The mean's rounding at this scale is already inside the plain float32 tolerance.
    expect(conditioned.atol).toBe(base.atol);
    expect(conditioned.normalizedMeanError).toBeLessThan(1e-4);
  });

  // The case shrinking found on tfjs 4.22 cpu with `run --scenario oracle/affine --runs 100`:
  // 52 rows of constant data at -1000, ε = 1e-5; tfjs's mean was one ulp (6.1e-5) off and the
  // training-mode output 0.0124 off (γ ≈ 0.64), against a plain float32 tolerance of 2.5e-5.
  test('covers the shrunk constant-data case that was a false alarm', () => {
    const opts = { reductionSize: 52, magnitude: 0.23, epsilon: 1e-5, channels: [{ maxAbsInput: 1000, variance: 0, gain: 0.64 }] };
    expect(float32Tolerance(opts).atol).toBeLessThan(0.0124);
    const tolerance = trainingModeTolerance(opts);
    expect(tolerance.atol).toBeGreaterThan(0.0124);
    // One ulp of the mean amplified by γ/sqrt(ε) must be inside the bound, with room.
    expect(tolerance.atol).toBeGreaterThan((0.64 * 2 ** -14) / Math.sqrt(1e-5));
    expect(tolerance.normalizedMeanError).toBeGreaterThan(1);
  });

  test('the mean error bound covers the worst float32 mean of constant data', () => {
    // Summing the same float32 value left to right: every partial sum rounds the same way.
    for (const [value, n] of [[-1000.1, 52], [0.1, 1000], [123456.7, 7], [1e-3, 4096]] as const) {
      const x = Math.fround(value);
      let sum = Math.fround(0);
      for (let i = 0; i < n; i++) sum = Math.fround(sum + x);
      const mean = Math.fround(sum / n);
      expect(Math.abs(mean - x)).toBeLessThanOrEqual(float32MeanErrorBound(n, Math.abs(x)));
    }
  });

  test.prop([
    fc.integer({ min: 1, max: 4096 }),
    fc.double({ min: 0, max: 1e6, noNaN: true }),
    fc.double({ min: 0, max: 1e4, noNaN: true }),
    fc.double({ min: 1e-8, max: 0.1, noNaN: true }),
    fc.double({ min: 0, max: 10, noNaN: true }),
  ])('never tighter than float32Tolerance, finite, and growing as the batch loses variance', (n, maxAbsInput, variance, epsilon, gain) => {
    const opts = { reductionSize: n, magnitude: 1, epsilon, channels: [{ maxAbsInput, variance, gain }] };
    const base = float32Tolerance(opts);
    const t = trainingModeTolerance(opts);
    expect(Number.isFinite(t.atol)).toBe(true);
    expect(t.atol).toBeGreaterThanOrEqual(base.atol);
    expect(t.rtol).toBe(base.rtol);
    const lessVariance = trainingModeTolerance({ ...opts, channels: [{ maxAbsInput, variance: variance / 2, gain }] });
    expect(lessVariance.atol).toBeGreaterThanOrEqual(t.atol);
    expect(normalizedMeanError(opts)).toBe(t.normalizedMeanError);
  });

  test('the worst channel decides', () => {
    const bad = { maxAbsInput: 1000, variance: 0, gain: 1 };
    const opts = { reductionSize: 8, magnitude: 1, epsilon: 1e-5 };
    expect(trainingModeTolerance({ ...opts, channels: [wellScaled, bad] }).atol).toBe(trainingModeTolerance({ ...opts, channels: [bad] }).atol);
  });
});

describe('movingVarianceTolerance', () => {
  test('adds the square of the mean error bound, which matters only when the variance is tiny', () => {
    const channels = [{ maxAbsInput: 1e5, variance: 0, gain: 1 }];
    const opts = { reductionSize: 100, magnitude: 0, epsilon: 1e-5, channels };
    const added = movingVarianceTolerance(opts).atol - float32Tolerance(opts).atol;
    expect(added).toBeCloseTo(float32MeanErrorBound(100, 1e5) ** 2, 12);
    const small = movingVarianceTolerance({ ...opts, channels: [{ maxAbsInput: 3, variance: 1, gain: 1 }] });
    expect(small.atol - float32Tolerance(opts).atol).toBeLessThan(1e-3 * float32Tolerance(opts).atol);
  });
});

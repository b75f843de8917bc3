/**
 * Structured comparison of a (float32) result against a (float64) reference, with the numpy
 * `allclose` rule, and a tolerance derived from float32 rounding for batch-norm reductions.
 */
import { type DenseArray, assertDenseArray, unravelIndex } from './dense-array';

/** Element-wise tolerance: `actual` passes when `|actual - expected| <= atol + rtol·|expected|`. */
export interface Tolerance {
  /** Absolute tolerance; matters for expected values near zero. */
  atol: number;
  /** Relative tolerance, scaled by the magnitude of the expected value (not the actual one). */
  rtol: number;
}

/**
 * Outcome of {@link compareArrays}.
 *
 * Differences are measured over all elements: a pair that matches exactly (including both NaN or
 * the same infinity) counts 0, a mismatch involving NaN or an infinity counts `Infinity`, and the
 * relative difference `|a - e| / |e|` is `Infinity` when `e` is 0 and `a` is not.
 */
export type Comparison =
  | {
      ok: true;
      /** Largest `|actual - expected|`. */
      maxAbsDiff: number;
      /** Largest `|actual - expected| / |expected|`. */
      maxRelDiff: number;
      /** Number of elements compared. */
      count: number;
    }
  | {
      ok: false;
      kind: 'shape';
      actualShape: number[];
      expectedShape: number[];
    }
  | {
      ok: false;
      kind: 'values';
      /** Flat (row-major) index of the first element out of tolerance. */
      firstIndex: number;
      /** Multi-index of that element. */
      firstIndexNd: number[];
      /** Actual value at `firstIndex`. */
      actual: number;
      /** Expected value at `firstIndex`. */
      expected: number;
      maxAbsDiff: number;
      maxRelDiff: number;
      /** Number of elements out of tolerance. */
      mismatches: number;
      /** Number of elements compared. */
      count: number;
    };

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((extent, dim) => extent === b[dim]);
}

function assertTolerance(tol: Tolerance): void {
  for (const key of ['atol', 'rtol'] as const) {
    const value = tol[key];
    // NaN would make every comparison fail silently, a negative one would reject exact matches.
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new RangeError(`compareArrays: tol.${key} is ${String(value)}, expected a non-negative number`);
    }
  }
}

/**
 * Compares `actual` with `expected` element by element, like numpy's
 * `allclose(actual, expected, rtol, atol, equal_nan=True)`: shapes first, then values.
 *
 * A finite pair passes when `|a - e| <= atol + rtol·|e|`. NaN matches only NaN; an infinity
 * matches only the same-signed infinity (the formula alone would let `Infinity` pass against any
 * finite value once `rtol > 0`).
 *
 * @throws RangeError if either array's values do not fit its shape, or the tolerance is negative or NaN.
 */
export function compareArrays(actual: DenseArray, expected: DenseArray, tol: Tolerance): Comparison {
  assertDenseArray(actual, 'compareArrays', 'actual');
  assertDenseArray(expected, 'compareArrays', 'expected');
  assertTolerance(tol);
  if (!shapesEqual(actual.shape, expected.shape)) {
    return { ok: false, kind: 'shape', actualShape: [...actual.shape], expectedShape: [...expected.shape] };
  }

  const count = expected.values.length;
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  let mismatches = 0;
  let firstIndex = -1;
  for (let index = 0; index < count; index++) {
    const a = actual.values[index];
    const e = expected.values[index];
    let absDiff: number;
    let relDiff: number;
    let passes: boolean;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) {
      absDiff = 0;
      relDiff = 0;
      passes = true;
    } else if (!Number.isFinite(a) || !Number.isFinite(e)) {
      absDiff = Infinity;
      relDiff = Infinity;
      passes = false;
    } else {
      absDiff = Math.abs(a - e);
      relDiff = e === 0 ? Infinity : absDiff / Math.abs(e);
      passes = absDiff <= tol.atol + tol.rtol * Math.abs(e);
    }
    if (absDiff > maxAbsDiff) maxAbsDiff = absDiff;
    if (relDiff > maxRelDiff) maxRelDiff = relDiff;
    if (!passes) {
      mismatches++;
      if (firstIndex < 0) firstIndex = index;
    }
  }

  if (mismatches === 0) return { ok: true, maxAbsDiff, maxRelDiff, count };
  return {
    ok: false,
    kind: 'values',
    firstIndex,
    firstIndexNd: unravelIndex(firstIndex, expected.shape),
    actual: actual.values[firstIndex],
    expected: expected.values[firstIndex],
    maxAbsDiff,
    maxRelDiff,
    mismatches,
    count,
  };
}

/** float32 unit roundoff, 2^-24: the largest relative error of rounding one real number to float32. */
const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

/**
 * Tolerance for comparing a float32 batch-norm result (output or moving statistic) with the
 * float64 oracle.
 *
 * Derivation. Rounding to float32 has relative error at most u = 2^-24 ≈ 5.96e-8. The tfjs cpu
 * and wasm kernels compute a mean or variance by naive left-to-right summation of the N =
 * `reductionSize` terms, whose error bound grows like N·u relative to the sum of magnitudes
 * (Higham, "Accuracy and Stability of Numerical Algorithms", §4.2). The variance inherits that
 * error and adds its own pass over squared deviations; the square root halves a relative error,
 * and the subtraction, the division by sqrt(σ² + ε), the multiplication by γ and the addition of
 * β each add about one more u. Summing these gives a few N·u; `8·N·u` leaves headroom for the
 * constant. This is a worst-case bound (rounding errors usually partly cancel, growing like
 * sqrt(N)·u), so it rarely fails on correct results. The price: a semantic difference that
 * shrinks with N hides once it falls below rtol. Bessel's correction changes the variance by a
 * factor N/(N-1), about 1/N, which exceeds 8·N·u only while N is well below sqrt(1/(8u)) ≈ 1450,
 * so test biased vs unbiased variance with small batches.
 *
 * - `rtol = max(1e-5, 8·N·u)`: the 1e-5 floor covers small N, where the handful of non-summation
 *   operations dominate and transcendental kernels (sqrt, rsqrt) may be a few ulps off.
 * - `atol = rtol·max(1, magnitude)`: errors are relative to the size of the quantities entering
 *   the computation, not to each output element, so an output near zero (x close to μ, or β
 *   cancelling γ·x̂) still carries an absolute error of about rtol times that size.
 *
 * Why not Keras's 1e-6: Keras's tests compare float64 backends, or float32 results of fused
 * kernels with pairwise/tree reductions (error ~log N·u), against references from the same
 * framework. 1e-6 is only about 17·u, which naive float32 summation exceeds for any batch of more
 * than a handful of elements.
 *
 * @param opts.reductionSize - N, the number of elements reduced per channel (product of the
 *   non-channel dimensions); must be at least 1.
 * @param opts.magnitude - typical largest |value| of the quantities involved (e.g. max |y|, or
 *   max |x - μ|/σ·|γ| + |β|); values below 1 are treated as 1.
 * @throws RangeError if `reductionSize` is not a positive finite number or `magnitude` is
 *   negative or not finite.
 */
export function float32Tolerance(opts: { reductionSize: number; magnitude: number }): Tolerance {
  const { reductionSize, magnitude } = opts;
  if (typeof reductionSize !== 'number' || !Number.isFinite(reductionSize) || reductionSize < 1) {
    throw new RangeError(`float32Tolerance: reductionSize is ${String(reductionSize)}, expected a finite number >= 1`);
  }
  if (typeof magnitude !== 'number' || !Number.isFinite(magnitude) || magnitude < 0) {
    throw new RangeError(`float32Tolerance: magnitude is ${String(magnitude)}, expected a finite non-negative number`);
  }
  const rtol = Math.max(1e-5, 8 * reductionSize * FLOAT32_UNIT_ROUNDOFF);
  return { rtol, atol: rtol * Math.max(1, magnitude) };
}

/** Enough significant digits to tell two float32 values apart. */
function formatValue(value: number): string {
  return String(Number(value.toPrecision(9)));
}

/** Differences only need their order of magnitude and a couple of digits. */
function formatDiff(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * One-line human description of a {@link Comparison}, for assertion messages and reports, e.g.
 * `values differ at [2,1] (flat 7): actual 0.5 expected 0.25, max abs diff 0.25, max rel diff 1, 3 of 24 mismatched`.
 */
export function formatComparison(c: Comparison): string {
  if (c.ok) {
    return `all ${c.count} values within tolerance, max abs diff ${formatDiff(c.maxAbsDiff)}, max rel diff ${formatDiff(c.maxRelDiff)}`;
  }
  if (c.kind === 'shape') {
    return `shapes differ: actual ${formatShape(c.actualShape)} expected ${formatShape(c.expectedShape)}`;
  }
  return (
    `values differ at ${formatShape(c.firstIndexNd)} (flat ${c.firstIndex}): ` +
    `actual ${formatValue(c.actual)} expected ${formatValue(c.expected)}, ` +
    `max abs diff ${formatDiff(c.maxAbsDiff)}, max rel diff ${formatDiff(c.maxRelDiff)}, ` +
    `${c.mismatches} of ${c.count} mismatched`
  );
}

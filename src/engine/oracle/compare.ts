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

/** One channel of a batch, as far as the float32 rounding of its batch statistics goes. */
export interface ChannelConditioning {
  /** Largest finite |x| in the channel: a float32 sum's rounding error scales with its terms. */
  maxAbsInput: number;
  /** The channel's float64 (biased) batch variance σ². */
  variance: number;
  /** |γ| of the channel (1 without scale): it multiplies every error of the normalized value. */
  gain: number;
}

/**
 * Bound on |μ̂ - μ|, the error of a batch mean that a float32 kernel computes by summing N terms
 * of size at most `maxAbsInput` and dividing by N.
 *
 * Recursive summation in any order errs by at most (N-1)·u·Σ|xᵢ| (Higham §4.2), and the division
 * adds u·|μ|; both together stay below N·u·max|x|. The factor 2 covers kernels that multiply by a
 * rounded 1/N or cast on the way. A bound, not an estimate: the typical error is one ulp of
 * max|x|, but constant data (every term rounding the same way) can approach it.
 */
export function float32MeanErrorBound(reductionSize: number, maxAbsInput: number): number {
  return 2 * reductionSize * FLOAT32_UNIT_ROUNDOFF * maxAbsInput;
}

/**
 * How far the batch mean's rounding can move a normalized value: max over channels of
 * `gain · |μ̂ - μ| / sqrt(σ² + ε)`. About 1e-6 for well-scaled data; 1 or more means float32 cannot
 * resolve the training-mode output at all (a shift of a thousand with no variance and ε = 1e-5).
 */
export function normalizedMeanError(opts: { reductionSize: number; epsilon: number; channels: readonly ChannelConditioning[] }): number {
  let worst = 0;
  for (const channel of opts.channels) {
    const error = (channel.gain * float32MeanErrorBound(opts.reductionSize, channel.maxAbsInput)) / Math.sqrt(channel.variance + opts.epsilon);
    if (error > worst) worst = error;
  }
  return worst;
}

/** A tolerance and the conditioning it was derived from, kept for the evidence. */
export interface ConditionedTolerance extends Tolerance {
  /** {@link normalizedMeanError} of the case: how ill-conditioned its normalization is. */
  normalizedMeanError: number;
}

/**
 * Tolerance for a float32 training-mode BN output `y = γ·(x - μ̂)/sqrt(σ̂² + ε) + β` against the
 * float64 oracle, aware of how ill-conditioned the batch is.
 *
 * {@link float32Tolerance} bounds errors relative to the size of the values involved. Training
 * mode adds one that it cannot see: the batch mean μ̂ carries an absolute error δ up to
 * {@link float32MeanErrorBound} (proportional to max|x|, not to the spread of x), and the output
 * divides it by sqrt(σ² + ε). Data with a large offset and little variance amplifies δ by up to
 * 1/sqrt(ε): constant data at -1000, 52 rows and ε = 1e-5 turn one ulp of the mean (6e-5) into
 * 0.012 in the output. Per channel, with e = |γ|·δ/sqrt(σ² + ε):
 *
 * - first order, x - μ̂ is off by δ: the output is off by e;
 * - second order, the computed variance is the mean of (x - μ̂)², which is σ² + δ² (the deviations
 *   sum to zero), so 1/sqrt(σ̂² + ε) is off by a relative ½·(δ/sqrt(σ² + ε))²; it multiplies
 *   |γ·x̂|, and |x̂| <= sqrt(N) for normalized data (Σx̂² = N·σ²/(σ² + ε) <= N).
 *
 * The mean's term is e_c = |γ|·(r + min(1, ½·r²)·sqrt(N)) with r = δ/sqrt(σ² + ε) (the relative
 * error of 1/sqrt cannot exceed 1, since σ̂² >= σ²), and the atol is the larger of today's and the
 * worst channel's e_c. Not their sum: for well-scaled data max|x|/sqrt(σ² + ε) is about max|x̂|, so
 * e_c is the share of today's 8·N·u·max|y| that the mean already takes (a quarter of it), and adding
 * it would loosen the tolerance exactly where semantic faults are caught. Once e_c is larger, it
 * dominates every other rounding error, and its factor 2 in δ covers them. The rtol is unchanged.
 * Result: nothing changes for well-scaled data; the tolerance opens up only where float32 itself
 * cannot answer (r >= 1 means the output is not resolved at all).
 */
export function trainingModeTolerance(opts: { reductionSize: number; magnitude: number; epsilon: number; channels: readonly ChannelConditioning[] }): ConditionedTolerance {
  const base = float32Tolerance(opts);
  let added = 0;
  for (const channel of opts.channels) {
    const relative = float32MeanErrorBound(opts.reductionSize, channel.maxAbsInput) / Math.sqrt(channel.variance + opts.epsilon);
    // σ̂² >= σ², so the computed 1/sqrt(σ̂² + ε) is never off by more than all of itself: min(1, …).
    const term = channel.gain * (relative + Math.min(1, 0.5 * relative * relative) * Math.sqrt(opts.reductionSize));
    if (term > added) added = term;
  }
  return { rtol: base.rtol, atol: Math.max(base.atol, added), normalizedMeanError: normalizedMeanError(opts) };
}

/**
 * Tolerance for a float32 moving variance after training-mode calls, against the float64 oracle.
 * The batch variance tfjs feeds into the update is the mean of (x - μ̂)², that is σ² + δ² with δ the
 * mean's rounding error ({@link trainingModeTolerance}); δ² is absolute and invisible to
 * {@link float32Tolerance} when σ² is small, so the worst channel's bound on δ² is added to the atol.
 */
export function movingVarianceTolerance(opts: { reductionSize: number; magnitude: number; epsilon: number; channels: readonly ChannelConditioning[] }): ConditionedTolerance {
  const base = float32Tolerance(opts);
  let added = 0;
  for (const channel of opts.channels) {
    const meanError = float32MeanErrorBound(opts.reductionSize, channel.maxAbsInput);
    if (meanError * meanError > added) added = meanError * meanError;
  }
  return { rtol: base.rtol, atol: base.atol + added, normalizedMeanError: normalizedMeanError(opts) };
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

/**
 * How many allowances (atol) the worst of some compared parts is off by: the scale-free size of a
 * failure that fingerprints record. Null when no part has a finite difference (NaN, shapes).
 */
export function worstOverAllowance(parts: ReadonlyArray<{ maxAbsDiff: number | null; tolerance: Tolerance }>): number | null {
  let worst: number | null = null;
  for (const p of parts) {
    if (p.maxAbsDiff === null || !Number.isFinite(p.maxAbsDiff)) continue;
    const over = p.maxAbsDiff / Math.max(p.tolerance.atol, Number.MIN_VALUE);
    worst = worst === null ? over : Math.max(worst, over);
  }
  return worst;
}

/**
 * A float64 reference ("oracle") for batch normalization, written from the textbook formulas so
 * that tfjs's float32 results can be checked against something independent of tfjs.
 *
 * For input x with channel axis a, reduction axes R (every axis but a) and N elements per channel:
 * - batch mean μ_c = mean of x over R; batch variance σ²_c = mean of (x - μ_c)² over R (biased, ÷N)
 * - training output  y = γ_c · (x - μ_c) / sqrt(σ²_c + ε) + β_c
 * - inference output y = γ_c · (x - m_c) / sqrt(v_c + ε) + β_c with moving mean m, moving variance v
 * - moving update m ← m·momentum + μ·(1 - momentum), and the same for v with σ² (Keras/tfjs convention)
 */
import { type DenseArray, assertDenseArray, normalizeAxis } from './dense-array';

/** Configuration of a batch-normalization layer, as far as the oracle needs it. */
export interface BnOracleParams {
  /** Channel axis; negative counts from the end (`-1` is the last axis, the Keras/tfjs default). */
  axis: number;
  /** Added to the variance before the square root; must be finite and non-negative. */
  epsilon: number;
  /** Keras/tfjs convention: `moving <- moving*momentum + batch*(1-momentum)`. */
  momentum: number;
  /** When false the layer has no β: the offset is 0 whatever `beta` holds. */
  center: boolean;
  /** When false the layer has no γ: the scale is 1 whatever `gamma` holds. */
  scale: boolean;
  /** Per-channel scale γ; defaults to ones. */
  gamma?: ArrayLike<number>;
  /** Per-channel offset β; defaults to zeros. */
  beta?: ArrayLike<number>;
}

/**
 * How a row-major array splits around its channel axis: the flat index of element
 * (outer o, channel c, inner i) is `(o * channels + c) * inner + i`.
 */
interface ChannelLayout {
  /** Axis as the caller wrote it, for error messages. */
  requestedAxis: number;
  /** Axis in `[0, rank)`. */
  axis: number;
  /** Product of the dimensions before the channel axis. */
  outer: number;
  /** Size of the channel axis. */
  channels: number;
  /** Product of the dimensions after the channel axis. */
  inner: number;
}

function channelLayoutOf(x: DenseArray, axis: number, caller: string, argumentName: string): ChannelLayout {
  assertDenseArray(x, caller, argumentName);
  let normalizedAxis: number;
  try {
    normalizedAxis = normalizeAxis(axis, x.shape.length);
  } catch (error) {
    // Re-thrown so the message says which function and argument the bad axis was meant for.
    throw new RangeError(`${caller}: ${(error as Error).message} (shape of ${argumentName}: [${x.shape.join(',')}])`);
  }
  let outer = 1;
  for (let dim = 0; dim < normalizedAxis; dim++) outer *= x.shape[dim];
  let inner = 1;
  for (let dim = normalizedAxis + 1; dim < x.shape.length; dim++) inner *= x.shape[dim];
  return { requestedAxis: axis, axis: normalizedAxis, outer, channels: x.shape[normalizedAxis], inner };
}

function describeAxis(layout: ChannelLayout): string {
  return layout.requestedAxis === layout.axis
    ? `${layout.axis}`
    : `${layout.requestedAxis} (dimension ${layout.axis})`;
}

function assertChannelCount(
  values: ArrayLike<number>,
  layout: ChannelLayout,
  caller: string,
  argumentName: string,
): void {
  if (values.length !== layout.channels) {
    throw new RangeError(
      `${caller}: ${argumentName} has ${values.length} values but the channel axis ${describeAxis(layout)} has ${layout.channels}`,
    );
  }
}

function assertFiniteNumber(value: number, caller: string, argumentName: string, allowNegative: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || (!allowNegative && value < 0)) {
    const expected = allowNegative ? 'a finite number' : 'a finite non-negative number';
    throw new RangeError(`${caller}: ${argumentName} is ${String(value)}, expected ${expected}`);
  }
}

/** γ and β as the layer actually applies them: `scale:false`/`center:false` override any given values. */
function effectiveAffine(
  p: BnOracleParams,
  layout: ChannelLayout,
  caller: string,
): { gamma: Float64Array; beta: Float64Array } {
  assertAffineLengths(p, layout, caller);
  const gamma = new Float64Array(layout.channels).fill(1);
  const beta = new Float64Array(layout.channels);
  if (p.scale && p.gamma !== undefined) gamma.set(p.gamma);
  if (p.center && p.beta !== undefined) beta.set(p.beta);
  return { gamma, beta };
}

/** Checked even when scale/center disable γ/β: a wrong-length array still signals a caller bug. */
function assertAffineLengths(p: BnOracleParams, layout: ChannelLayout, caller: string): void {
  if (p.gamma !== undefined) assertChannelCount(p.gamma, layout, caller, 'gamma');
  if (p.beta !== undefined) assertChannelCount(p.beta, layout, caller, 'beta');
}

function momentsWithLayout(
  x: DenseArray,
  layout: ChannelLayout,
  caller: string,
  argumentName: string,
): { mean: Float64Array; variance: Float64Array } {
  const { outer, channels, inner } = layout;
  const reductionSize = outer * inner;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  if (channels === 0) return { mean, variance };
  if (reductionSize === 0) {
    throw new RangeError(
      `${caller}: ${argumentName} of shape [${x.shape.join(',')}] has no elements to reduce over outside the channel axis ${describeAxis(layout)}, so batch statistics are undefined`,
    );
  }
  const values = x.values;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) sum += values[base + i];
    }
    const channelMean = sum / reductionSize;
    // Corrected two-pass algorithm (Chan, Golub & LeVeque): the Σd term cancels the rounding
    // error left in the first-pass mean, so no catastrophic cancellation as in E[x²] - E[x]².
    let sumOfSquares = 0;
    let sumOfDeviations = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const deviation = values[base + i] - channelMean;
        sumOfSquares += deviation * deviation;
        sumOfDeviations += deviation;
      }
    }
    mean[c] = channelMean;
    // Math.max keeps rounding from producing a tiny negative variance while still passing NaN on.
    variance[c] = Math.max(0, (sumOfSquares - (sumOfDeviations * sumOfDeviations) / reductionSize) / reductionSize);
  }
  return { mean, variance };
}

function normalizeWithStatistics(
  x: DenseArray,
  layout: ChannelLayout,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  gamma: Float64Array,
  beta: Float64Array,
  epsilon: number,
): Float64Array {
  const { outer, channels, inner } = layout;
  const output = new Float64Array(x.values.length);
  const values = x.values;
  for (let c = 0; c < channels; c++) {
    const channelMean = mean[c];
    const denominator = Math.sqrt(variance[c] + epsilon);
    const channelGamma = gamma[c];
    const channelBeta = beta[c];
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        output[base + i] = (channelGamma * (values[base + i] - channelMean)) / denominator + channelBeta;
      }
    }
  }
  return output;
}

/**
 * Per-channel batch mean and biased variance (÷N, as Keras 3 and tfjs use for normalizing),
 * reducing over every axis except `axis`. Computed in float64 with a corrected two-pass algorithm.
 *
 * @param x - input array.
 * @param axis - channel axis; negative counts from the end.
 * @returns one mean and one variance per channel.
 * @throws RangeError on a shape/values mismatch, an invalid axis, or when there is nothing to
 *   reduce over (a zero-sized non-channel dimension).
 */
export function batchMoments(x: DenseArray, axis: number): { mean: Float64Array; variance: Float64Array } {
  const layout = channelLayoutOf(x, axis, 'batchMoments', 'x');
  return momentsWithLayout(x, layout, 'batchMoments', 'x');
}

/**
 * Per-channel largest finite |x|, over every axis except `axis`. The float32 rounding error of a batch
 * mean is bounded by the size of the terms summed, not by the mean itself, so this is what the
 * conditioning-aware tolerances (`trainingModeTolerance` in compare.ts) scale with.
 *
 * @throws RangeError on a shape/values mismatch or an invalid axis.
 */
export function channelMaxAbs(x: DenseArray, axis: number): Float64Array {
  const { outer, channels, inner } = channelLayoutOf(x, axis, 'channelMaxAbs', 'x');
  const result = new Float64Array(channels);
  const values = x.values;
  for (let c = 0; c < channels; c++) {
    let largest = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const magnitude = Math.abs(values[base + i]);
        // Non-finite inputs are skipped: their outputs fail any comparison anyway, and a tolerance
        // must stay finite to be a tolerance.
        if (Number.isFinite(magnitude) && magnitude > largest) largest = magnitude;
      }
    }
    result[c] = largest;
  }
  return result;
}

/**
 * What a batch-normalization layer outputs in training mode: normalized with the batch's own
 * statistics, `y = γ·(x - μ)/sqrt(σ² + ε) + β`.
 *
 * @returns the output in the same row-major layout as `x`.
 * @throws RangeError on a shape/values mismatch, an invalid axis, an invalid epsilon, or
 *   `gamma`/`beta` whose length differs from the channel count.
 */
export function bnTrainingOutput(x: DenseArray, p: BnOracleParams): Float64Array {
  const caller = 'bnTrainingOutput';
  const layout = channelLayoutOf(x, p.axis, caller, 'x');
  assertFiniteNumber(p.epsilon, caller, 'epsilon', false);
  const { gamma, beta } = effectiveAffine(p, layout, caller);
  const { mean, variance } = momentsWithLayout(x, layout, caller, 'x');
  return normalizeWithStatistics(x, layout, mean, variance, gamma, beta, p.epsilon);
}

/**
 * What a batch-normalization layer outputs in inference mode: normalized with the given moving
 * statistics, `y = γ·(x - m)/sqrt(v + ε) + β`.
 *
 * @returns the output in the same row-major layout as `x`.
 * @throws RangeError on a shape/values mismatch, an invalid axis, an invalid epsilon, or
 *   `gamma`/`beta`/`movingMean`/`movingVariance` whose length differs from the channel count.
 */
export function bnInferenceOutput(
  x: DenseArray,
  p: BnOracleParams,
  movingMean: ArrayLike<number>,
  movingVariance: ArrayLike<number>,
): Float64Array {
  const caller = 'bnInferenceOutput';
  const layout = channelLayoutOf(x, p.axis, caller, 'x');
  assertFiniteNumber(p.epsilon, caller, 'epsilon', false);
  assertChannelCount(movingMean, layout, caller, 'movingMean');
  assertChannelCount(movingVariance, layout, caller, 'movingVariance');
  const { gamma, beta } = effectiveAffine(p, layout, caller);
  return normalizeWithStatistics(x, layout, movingMean, movingVariance, gamma, beta, p.epsilon);
}

/**
 * One exponential-moving-average step in the Keras/tfjs convention:
 * `moving·momentum + batchValue·(1 - momentum)`, element by element.
 * (PyTorch's momentum is the complement: its 0.1 is this function's 0.9.)
 *
 * @throws RangeError if the lengths differ or `momentum` is not finite.
 */
export function movingAverageUpdate(
  moving: ArrayLike<number>,
  batchValue: ArrayLike<number>,
  momentum: number,
): Float64Array {
  const caller = 'movingAverageUpdate';
  assertFiniteNumber(momentum, caller, 'momentum', true);
  if (batchValue.length !== moving.length) {
    throw new RangeError(`${caller}: batchValue has ${batchValue.length} values but moving has ${moving.length}`);
  }
  const updated = new Float64Array(moving.length);
  for (let c = 0; c < moving.length; c++) {
    updated[c] = moving[c] * momentum + batchValue[c] * (1 - momentum);
  }
  return updated;
}

/**
 * Moving stats after calling the layer in training mode on each batch in order (starting from init).
 * Each call folds that batch's mean and biased variance into the moving statistics with
 * {@link movingAverageUpdate}; batches may differ in shape but must agree on the channel count.
 *
 * @param batches - inputs of the successive training-mode calls; none leaves `init` unchanged.
 * @param p - layer configuration; `axis` and `momentum` matter here.
 * @param init - moving statistics before the first call (tfjs initializes them to 0 and 1).
 * @throws RangeError on an invalid batch or axis, a non-finite momentum, or a channel count that
 *   differs from `init`'s length.
 */
export function movingStatsAfterTrainingCalls(
  batches: readonly DenseArray[],
  p: BnOracleParams,
  init: { movingMean: ArrayLike<number>; movingVariance: ArrayLike<number> },
): { movingMean: Float64Array; movingVariance: Float64Array } {
  const caller = 'movingStatsAfterTrainingCalls';
  assertFiniteNumber(p.momentum, caller, 'momentum', true);
  if (init.movingVariance.length !== init.movingMean.length) {
    throw new RangeError(
      `${caller}: init.movingVariance has ${init.movingVariance.length} values but init.movingMean has ${init.movingMean.length}`,
    );
  }
  let movingMean: Float64Array = Float64Array.from(init.movingMean);
  let movingVariance: Float64Array = Float64Array.from(init.movingVariance);
  batches.forEach((batch, callIndex) => {
    const argumentName = `batches[${callIndex}]`;
    const layout = channelLayoutOf(batch, p.axis, caller, argumentName);
    if (layout.channels !== movingMean.length) {
      throw new RangeError(
        `${caller}: ${argumentName} has ${layout.channels} channels along axis ${describeAxis(layout)} but init.movingMean has ${movingMean.length} values`,
      );
    }
    assertAffineLengths(p, layout, caller);
    const { mean, variance } = momentsWithLayout(batch, layout, caller, argumentName);
    movingMean = movingAverageUpdate(movingMean, mean, p.momentum);
    movingVariance = movingAverageUpdate(movingVariance, variance, p.momentum);
  });
  return { movingMean, movingVariance };
}

/** Gradients of a scalar loss through a BN layer, given the loss's gradient `dy` at its output. */
export interface BnGradients {
  /** ∂L/∂x, in the layout of x. */
  dx: Float64Array;
  /** ∂L/∂γ per channel (what γ would get; computed also when the layer has no γ). */
  dgamma: Float64Array;
  /** ∂L/∂β per channel. */
  dbeta: Float64Array;
}

function assertSameShape(x: DenseArray, dy: DenseArray, caller: string): void {
  assertDenseArray(dy, caller, 'dy');
  if (x.shape.length !== dy.shape.length || x.shape.some((d, i) => d !== dy.shape[i])) {
    throw new RangeError(`${caller}: dy has shape [${dy.shape.join(',')}] but x has [${x.shape.join(',')}]`);
  }
}

/**
 * The backward pass of BN in training mode (normalized with the batch's own statistics), in
 * float64. With s = 1/sqrt(σ² + ε), x̂ = (x - μ)·s and N elements per channel:
 * - ∂L/∂β = Σ dy, ∂L/∂γ = Σ dy·x̂ (sums over the reduction axes);
 * - ∂L/∂x = γ·s·(dy - (∂L/∂β)/N - x̂·(∂L/∂γ)/N): μ and σ² depend on x, which gives the two
 *   correction terms (the gradient is orthogonal to the constant and to x̂ within each channel).
 *
 * @throws RangeError on a shape mismatch between x and dy, an invalid axis or epsilon, or γ/β of
 *   the wrong length
 */
export function bnTrainingBackward(x: DenseArray, dy: DenseArray, p: BnOracleParams): BnGradients {
  const caller = 'bnTrainingBackward';
  const layout = channelLayoutOf(x, p.axis, caller, 'x');
  assertSameShape(x, dy, caller);
  assertFiniteNumber(p.epsilon, caller, 'epsilon', false);
  const { gamma } = effectiveAffine(p, layout, caller);
  const { mean, variance } = momentsWithLayout(x, layout, caller, 'x');
  const { outer, channels, inner } = layout;
  const n = outer * inner;
  const dx = new Float64Array(x.values.length);
  const dgamma = new Float64Array(channels);
  const dbeta = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = 1 / Math.sqrt(variance[c] + p.epsilon);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const g = dy.values[base + i];
        sumDy += g;
        sumDyXhat += g * (x.values[base + i] - mean[c]) * s;
      }
    }
    dbeta[c] = sumDy;
    dgamma[c] = sumDyXhat;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const xhat = (x.values[base + i] - mean[c]) * s;
        dx[base + i] = gamma[c] * s * (dy.values[base + i] - sumDy / n - (xhat * sumDyXhat) / n);
      }
    }
  }
  return { dx, dgamma, dbeta };
}

/**
 * The backward pass of BN in inference mode (normalized with fixed moving statistics m, v), in
 * float64: with s = 1/sqrt(v + ε), ∂L/∂x = γ·s·dy, ∂L/∂γ = Σ dy·(x - m)·s, ∂L/∂β = Σ dy.
 *
 * @throws RangeError as {@link bnTrainingBackward}, and for moving statistics of the wrong length
 */
export function bnInferenceBackward(x: DenseArray, dy: DenseArray, p: BnOracleParams, movingMean: ArrayLike<number>, movingVariance: ArrayLike<number>): BnGradients {
  const caller = 'bnInferenceBackward';
  const layout = channelLayoutOf(x, p.axis, caller, 'x');
  assertSameShape(x, dy, caller);
  assertFiniteNumber(p.epsilon, caller, 'epsilon', false);
  assertChannelCount(movingMean, layout, caller, 'movingMean');
  assertChannelCount(movingVariance, layout, caller, 'movingVariance');
  const { gamma } = effectiveAffine(p, layout, caller);
  const { outer, channels, inner } = layout;
  const dx = new Float64Array(x.values.length);
  const dgamma = new Float64Array(channels);
  const dbeta = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = 1 / Math.sqrt(movingVariance[c] + p.epsilon);
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const g = dy.values[base + i];
        dx[base + i] = gamma[c] * s * g;
        dgamma[c] += g * (x.values[base + i] - movingMean[c]) * s;
        dbeta[c] += g;
      }
    }
  }
  return { dx, dgamma, dbeta };
}

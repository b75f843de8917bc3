import { describe, expect } from '@jest/globals';
import { fc, test } from '@fast-check/jest';
import {
  type BnOracleParams,
  batchMoments,
  bnInferenceOutput,
  bnTrainingOutput,
  movingAverageUpdate,
  movingStatsAfterTrainingCalls,
} from '../../../src/engine/oracle/batch-norm';
import { type DenseArray, sizeOf, stridesOf, unravelIndex } from '../../../src/engine/oracle/dense-array';

/** tfjs's layer defaults, with γ/β left at ones/zeros. */
const defaults: BnOracleParams = { axis: -1, epsilon: 1e-3, momentum: 0.99, center: true, scale: true };

function params(overrides: Partial<BnOracleParams>): BnOracleParams {
  return { ...defaults, ...overrides };
}

/** Deterministic, irregular values so every channel has a different mean and variance. */
function irregularValues(count: number): number[] {
  return Array.from({ length: count }, (_, k) => Math.sin(1.7 * k + 0.3) * (1 + (k % 5)) + (k % 3));
}

/** Copy of `x` with `axis` moved to the end, by explicit index arithmetic (numpy's moveaxis). */
function moveAxisToLast(x: DenseArray, axis: number): DenseArray {
  const rank = x.shape.length;
  const order = [...Array.from({ length: rank }, (_, d) => d).filter((d) => d !== axis), axis];
  const shape = order.map((d) => x.shape[d]);
  const sourceStrides = stridesOf(x.shape);
  const values = new Float64Array(x.values.length);
  for (let flat = 0; flat < values.length; flat++) {
    const index = unravelIndex(flat, shape);
    let source = 0;
    for (let k = 0; k < rank; k++) source += index[k] * sourceStrides[order[k]];
    values[flat] = x.values[source];
  }
  return { shape, values };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k] - b[k]));
  return max;
}

/** Values of channel `c`, gathered with a plain multi-index loop (independent of the oracle's layout). */
function channelValues(shape: readonly number[], values: ArrayLike<number>, axis: number, c: number): number[] {
  const normalized = axis < 0 ? axis + shape.length : axis;
  const selected: number[] = [];
  for (let flat = 0; flat < values.length; flat++) {
    if (unravelIndex(flat, shape)[normalized] === c) selected.push(values[flat]);
  }
  return selected;
}

function meanOf(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function biasedVarianceOf(values: readonly number[]): number {
  const mean = meanOf(values);
  return values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
}

describe('batchMoments', () => {
  test('x=[[1],[3]] on axis -1 has mean 2 and biased variance 1', () => {
    const { mean, variance } = batchMoments({ shape: [2, 1], values: [1, 3] }, -1);
    expect(Array.from(mean)).toEqual([2]);
    expect(Array.from(variance)).toEqual([1]);
  });

  test('reduces over every axis but the channel axis', () => {
    // shape [2, 3], channels along axis 0: rows [1,2,3] and [4,6,8]
    const x = { shape: [2, 3], values: [1, 2, 3, 4, 6, 8] };
    const byRow = batchMoments(x, 0);
    expect(Array.from(byRow.mean)).toEqual([2, 6]);
    expect(Array.from(byRow.variance)).toEqual([2 / 3, 8 / 3]);
    const byColumn = batchMoments(x, 1);
    expect(Array.from(byColumn.mean)).toEqual([2.5, 4, 5.5]);
    expect(Array.from(byColumn.variance)).toEqual([2.25, 4, 6.25]);
  });

  test('stays accurate for a large offset with a small spread', () => {
    // E[x²]-E[x]² would lose everything here: 1e16-scale squares against a variance of 2/3.
    const offset = 1e8;
    const { mean, variance } = batchMoments({ shape: [3, 1], values: [offset + 1, offset + 2, offset + 3] }, -1);
    expect(mean[0]).toBe(offset + 2);
    expect(variance[0]).toBeCloseTo(2 / 3, 12);
  });

  test('axis 1 of a rank-4 (NCHW) array equals axis -1 of its NHWC transpose, both matching hand loops', () => {
    const [n, c, h, w] = [2, 3, 2, 2];
    const nchw: DenseArray = { shape: [n, c, h, w], values: irregularValues(n * c * h * w) };
    // Explicit NCHW -> NHWC transpose with four nested loops.
    const nhwcValues = new Float64Array(n * h * w * c);
    for (let ni = 0; ni < n; ni++)
      for (let ci = 0; ci < c; ci++)
        for (let hi = 0; hi < h; hi++)
          for (let wi = 0; wi < w; wi++)
            nhwcValues[((ni * h + hi) * w + wi) * c + ci] = nchw.values[((ni * c + ci) * h + hi) * w + wi];
    const nhwc: DenseArray = { shape: [n, h, w, c], values: nhwcValues };

    const expectedMean: number[] = [];
    const expectedVariance: number[] = [];
    for (let ci = 0; ci < c; ci++) {
      const channel: number[] = [];
      for (let ni = 0; ni < n; ni++)
        for (let hi = 0; hi < h; hi++)
          for (let wi = 0; wi < w; wi++) channel.push(nchw.values[((ni * c + ci) * h + hi) * w + wi]);
      expectedMean.push(meanOf(channel));
      expectedVariance.push(biasedVarianceOf(channel));
    }

    const channelsFirst = batchMoments(nchw, 1);
    const channelsLast = batchMoments(nhwc, -1);
    expect(maxAbsDifference(channelsFirst.mean, expectedMean)).toBeLessThan(1e-12);
    expect(maxAbsDifference(channelsFirst.variance, expectedVariance)).toBeLessThan(1e-12);
    expect(maxAbsDifference(channelsLast.mean, expectedMean)).toBeLessThan(1e-12);
    expect(maxAbsDifference(channelsLast.variance, expectedVariance)).toBeLessThan(1e-12);

    const gamma = [0.5, 2, -1];
    const beta = [1, 0, -3];
    const yChannelsFirst = bnTrainingOutput(nchw, params({ axis: 1, gamma, beta }));
    const yChannelsLast = bnTrainingOutput(nhwc, params({ axis: -1, gamma, beta }));
    const yTransposed = moveAxisToLast({ shape: nchw.shape, values: yChannelsFirst }, 1);
    expect(maxAbsDifference(yTransposed.values, yChannelsLast)).toBeLessThan(1e-12);
  });

  test('rejects an empty reduction', () => {
    expect(() => batchMoments({ shape: [0, 3], values: [] }, -1)).toThrow(/batchMoments: x .*no elements to reduce/);
  });
});

describe('bnTrainingOutput and bnInferenceOutput', () => {
  test('x=[[1],[3]] normalizes to ∓1/sqrt(1+ε)', () => {
    const y = bnTrainingOutput({ shape: [2, 1], values: [1, 3] }, params({ epsilon: 1e-3 }));
    expect(y[0]).toBeCloseTo(-1 / Math.sqrt(1.001), 14);
    expect(y[1]).toBeCloseTo(1 / Math.sqrt(1.001), 14);
  });

  test('applies γ and β per channel', () => {
    // Channel 0: [1, 3] (mean 2, var 1); channel 1: [10, 10] (var 0, so ε alone divides).
    const x = { shape: [2, 2], values: [1, 10, 3, 10] };
    const y = bnTrainingOutput(x, params({ epsilon: 0.25, gamma: [2, 3], beta: [5, -1] }));
    const s = Math.sqrt(1.25);
    expect(Array.from(y)).toEqual([5 - 2 / s, -1, 5 + 2 / s, -1]);
  });

  test('center:false ignores β and scale:false ignores γ', () => {
    const x = { shape: [2, 1], values: [1, 3] };
    const gamma = [2];
    const beta = [5];
    const plain = bnTrainingOutput(x, params({ epsilon: 0 }));
    expect(Array.from(plain)).toEqual([-1, 1]);
    expect(Array.from(bnTrainingOutput(x, params({ epsilon: 0, gamma, beta, center: false, scale: false })))).toEqual([-1, 1]);
    expect(Array.from(bnTrainingOutput(x, params({ epsilon: 0, gamma, beta, center: false })))).toEqual([-2, 2]);
    expect(Array.from(bnTrainingOutput(x, params({ epsilon: 0, gamma, beta, scale: false })))).toEqual([4, 6]);
    expect(Array.from(bnInferenceOutput(x, params({ epsilon: 0, gamma, beta, center: false, scale: false }), [2], [1]))).toEqual([-1, 1]);
  });

  test('inference uses the given moving statistics, not the batch ones', () => {
    // Initial moving stats 0/1 with ε: y = x/sqrt(1+ε), whatever the batch.
    const x = { shape: [3, 1], values: [4, 5, 6] };
    const y = bnInferenceOutput(x, params({ epsilon: 1e-3 }), [0], [1]);
    expect(maxAbsDifference(y, [4, 5, 6].map((v) => v / Math.sqrt(1.001)))).toBeLessThan(1e-15);
    const shifted = bnInferenceOutput(x, params({ epsilon: 0, gamma: [2], beta: [1] }), [5], [4]);
    expect(Array.from(shifted)).toEqual([0, 1, 2]);
  });
});

describe('moving statistics', () => {
  test('movingAverageUpdate follows the Keras/tfjs convention', () => {
    expect(Array.from(movingAverageUpdate([0, 1], [1, 3], 0.75))).toEqual([0.25, 1.5]);
  });

  test('Keras custom-call case: 10 training calls on x=0.5, shape [1,1], momentum 0.99 from 0/1', () => {
    const x = { shape: [1, 1], values: [0.5] };
    const { movingMean, movingVariance } = movingStatsAfterTrainingCalls(
      Array.from({ length: 10 }, () => x),
      params({ momentum: 0.99 }),
      { movingMean: [0], movingVariance: [1] },
    );
    expect(movingMean[0]).toBeCloseTo(0.5 * (1 - 0.99 ** 10), 14);
    expect(movingMean[0]).toBeCloseTo(0.0478, 4);
    // One element per channel: batch variance 0, so the moving variance only decays.
    expect(movingVariance[0]).toBeCloseTo(0.99 ** 10, 14);
    expect(movingVariance[0]).toBeCloseTo(0.904, 3);
  });

  test('Bessel case: x=[0,2] shape (2,1,1,1), momentum 0.5, moving variance from 0 gives 0.5 (biased)', () => {
    const { movingMean, movingVariance } = movingStatsAfterTrainingCalls(
      [{ shape: [2, 1, 1, 1], values: [0, 2] }],
      params({ momentum: 0.5 }),
      { movingMean: [0], movingVariance: [0] },
    );
    expect(Array.from(movingMean)).toEqual([0.5]);
    // Fused tf.keras stores the unbiased variance 2 and reports 1.0 here.
    expect(Array.from(movingVariance)).toEqual([0.5]);
  });

  test('momentum 0 makes the moving statistics the last batch statistics', () => {
    const first = { shape: [2, 2], values: [1, 2, 3, 4] };
    const last = { shape: [3, 2], values: [0, 10, 3, 20, 9, 60] };
    const { movingMean, movingVariance } = movingStatsAfterTrainingCalls([first, last], params({ momentum: 0 }), {
      movingMean: [7, 7],
      movingVariance: [7, 7],
    });
    const expected = batchMoments(last, -1);
    expect(Array.from(movingMean)).toEqual(Array.from(expected.mean));
    expect(Array.from(movingVariance)).toEqual(Array.from(expected.variance));
  });

  test('no training calls leave the initial statistics', () => {
    const result = movingStatsAfterTrainingCalls([], defaults, { movingMean: [0, 1], movingVariance: [1, 2] });
    expect(Array.from(result.movingMean)).toEqual([0, 1]);
    expect(Array.from(result.movingVariance)).toEqual([1, 2]);
  });
});

describe('input validation', () => {
  const x = { shape: [2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8] };

  test('rejects an axis outside [-rank, rank-1], naming the axis and the valid range', () => {
    expect(() => batchMoments(x, 2)).toThrow(RangeError);
    expect(() => batchMoments(x, 2)).toThrow('batchMoments: axis 2 is invalid for an array of rank 2; valid axes: [-2, 1]');
    expect(() => bnTrainingOutput(x, params({ axis: -3 }))).toThrow(/bnTrainingOutput: axis -3 .*\[-2, 1\]/);
    expect(() => batchMoments(x, 0.5)).toThrow(/axis 0.5 is invalid/);
  });

  test('rejects values that do not fit the shape', () => {
    expect(() => batchMoments({ shape: [2, 4], values: [1, 2, 3] }, -1)).toThrow(
      'batchMoments: x has 3 values but its shape [2,4] needs 8',
    );
  });

  test('rejects per-channel arrays of the wrong length, naming function, argument and counts', () => {
    expect(() => bnInferenceOutput(x, params({ axis: 1 }), [0, 0, 0], [1, 1, 1, 1])).toThrow(
      'bnInferenceOutput: movingMean has 3 values but the channel axis 1 has 4',
    );
    expect(() => bnInferenceOutput(x, defaults, [0, 0, 0, 0], [1])).toThrow(
      'bnInferenceOutput: movingVariance has 1 values but the channel axis -1 (dimension 1) has 4',
    );
    expect(() => bnTrainingOutput(x, params({ gamma: [1, 1] }))).toThrow(/bnTrainingOutput: gamma has 2 values/);
    expect(() => bnTrainingOutput(x, params({ beta: [0], center: false }))).toThrow(/bnTrainingOutput: beta has 1 values/);
    expect(() => movingAverageUpdate([0, 0], [1], 0.9)).toThrow('movingAverageUpdate: batchValue has 1 values but moving has 2');
    expect(() =>
      movingStatsAfterTrainingCalls([x, { shape: [1, 3], values: [1, 2, 3] }], defaults, {
        movingMean: [0, 0, 0, 0],
        movingVariance: [1, 1, 1, 1],
      }),
    ).toThrow('movingStatsAfterTrainingCalls: batches[1] has 3 channels along axis -1 (dimension 1) but init.movingMean has 4 values');
  });

  test('rejects a negative or non-finite epsilon and a non-finite momentum', () => {
    expect(() => bnTrainingOutput(x, params({ epsilon: -1 }))).toThrow('bnTrainingOutput: epsilon is -1, expected a finite non-negative number');
    expect(() => bnTrainingOutput(x, params({ epsilon: NaN }))).toThrow(/epsilon is NaN/);
    expect(() => movingAverageUpdate([0], [1], Infinity)).toThrow(/movingAverageUpdate: momentum is Infinity/);
  });
});

/** A small array with a channel axis, γ and β of matching length. */
const bnCase = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    axisSeed: fc.nat(),
  })
  .chain(({ shape, axisSeed }) => {
    const rank = shape.length;
    const axis = (axisSeed % (2 * rank)) - rank; // covers [-rank, rank-1]
    const channels = shape[axis < 0 ? axis + rank : axis];
    const value = fc.double({ min: -100, max: 100, noNaN: true });
    const perChannel = fc.array(value, { minLength: channels, maxLength: channels });
    return fc.record({
      x: fc.array(value, { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((values): DenseArray => ({ shape, values })),
      axis: fc.constant(axis),
      gamma: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: channels, maxLength: channels }),
      beta: perChannel,
      epsilon: fc.constantFrom(1e-3, 1e-5, 0.1),
    });
  });

describe('properties', () => {
  test.prop([bnCase])('training output per channel has mean β and std |γ|·sqrt(σ²/(σ²+ε))', ({ x, axis, gamma, beta, epsilon }) => {
    const p = params({ axis, gamma, beta, epsilon });
    const y = bnTrainingOutput(x, p);
    const { variance } = batchMoments(x, axis);
    for (let c = 0; c < gamma.length; c++) {
      const outputs = channelValues(x.shape, y, axis, c);
      const normalizedScale = Math.max(...outputs.map((v) => Math.abs(v - beta[c])), 1);
      expect(Math.abs(meanOf(outputs) - beta[c])).toBeLessThanOrEqual(1e-9 * (Math.abs(beta[c]) + normalizedScale));
      const expectedStd = Math.abs(gamma[c]) * Math.sqrt(variance[c] / (variance[c] + epsilon));
      const std = Math.sqrt(biasedVarianceOf(outputs));
      expect(Math.abs(std - expectedStd)).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(gamma[c])));
      if (variance[c] > 1e4 * epsilon) {
        expect(Math.abs(std - Math.abs(gamma[c]))).toBeLessThanOrEqual(1e-4 * Math.abs(gamma[c]) + 1e-12);
      }
    }
  });

  test.prop([bnCase])('inference with moving stats equal to the batch moments reproduces training output', ({ x, axis, gamma, beta, epsilon }) => {
    const p = params({ axis, gamma, beta, epsilon });
    const { mean, variance } = batchMoments(x, axis);
    expect(maxAbsDifference(bnInferenceOutput(x, p, mean, variance), bnTrainingOutput(x, p))).toBeLessThanOrEqual(1e-9);
  });

  test.prop([bnCase])('moving the channel axis to the end does not change the result', ({ x, axis, gamma, beta, epsilon }) => {
    const normalizedAxis = axis < 0 ? axis + x.shape.length : axis;
    const channelsLast = moveAxisToLast(x, normalizedAxis);
    const p = params({ gamma, beta, epsilon });
    const y = moveAxisToLast({ shape: x.shape, values: bnTrainingOutput(x, params({ ...p, axis })) }, normalizedAxis);
    expect(maxAbsDifference(y.values, bnTrainingOutput(channelsLast, params({ ...p, axis: -1 })))).toBeLessThanOrEqual(1e-12);
    const moments = batchMoments(x, axis);
    const momentsLast = batchMoments(channelsLast, -1);
    expect(maxAbsDifference(moments.mean, momentsLast.mean)).toBeLessThanOrEqual(1e-12);
    expect(maxAbsDifference(moments.variance, momentsLast.variance)).toBeLessThanOrEqual(1e-9);
  });

  test.prop([bnCase, fc.double({ min: 0, max: 1, noNaN: true })])(
    'one training call moves each moving statistic to the momentum-weighted average',
    ({ x, axis }, momentum) => {
      const { mean, variance } = batchMoments(x, axis);
      const init = { movingMean: Array.from(mean, () => 0), movingVariance: Array.from(mean, () => 1) };
      const after = movingStatsAfterTrainingCalls([x], params({ axis, momentum }), init);
      for (let c = 0; c < mean.length; c++) {
        expect(after.movingMean[c]).toBeCloseTo(mean[c] * (1 - momentum), 9);
        expect(after.movingVariance[c]).toBeCloseTo(momentum + variance[c] * (1 - momentum), 9);
      }
    },
  );
});

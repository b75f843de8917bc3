import { fc, test as propTest } from '@fast-check/jest';
import { bnInferenceBackward, bnInferenceOutput, bnTrainingBackward, bnTrainingOutput, type BnOracleParams } from '../../../src/engine/oracle/batch-norm';
import type { DenseArray } from '../../../src/engine/oracle/dense-array';

/** L = Σ y·dy, the loss whose gradient at the output is dy. */
function loss(y: Float64Array, dy: DenseArray): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i] * dy.values[i];
  return sum;
}

/** Central differences of L in float64: independent of the analytic backward pass. */
function numericGradients(forward: (x: DenseArray, p: BnOracleParams) => Float64Array, x: DenseArray, dy: DenseArray, p: BnOracleParams, channels: number) {
  const h = 1e-5;
  const at = (values: number[], gamma: number[], beta: number[]) => loss(forward({ shape: x.shape, values }, { ...p, gamma, beta }), dy);
  const xs = Array.from(x.values);
  const gamma = Array.from(p.gamma ?? new Array<number>(channels).fill(1));
  const beta = Array.from(p.beta ?? new Array<number>(channels).fill(0));
  const bump = (array: number[], i: number, delta: number) => array.map((v, k) => (k === i ? v + delta : v));
  return {
    dx: xs.map((_, i) => (at(bump(xs, i, h), gamma, beta) - at(bump(xs, i, -h), gamma, beta)) / (2 * h)),
    dgamma: gamma.map((_, c) => (at(xs, bump(gamma, c, h), beta) - at(xs, bump(gamma, c, -h), beta)) / (2 * h)),
    dbeta: beta.map((_, c) => (at(xs, gamma, bump(beta, c, h)) - at(xs, gamma, bump(beta, c, -h))) / (2 * h)),
  };
}

const arrays = fc
  .record({ rows: fc.integer({ min: 2, max: 6 }), channels: fc.integer({ min: 1, max: 3 }), axisLast: fc.boolean() })
  .chain(({ rows, channels, axisLast }) =>
    fc.record({
      shape: fc.constant(axisLast ? [rows, channels] : [channels, rows]),
      axis: fc.constant(axisLast ? -1 : 0),
      x: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: rows * channels, maxLength: rows * channels }),
      dy: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: rows * channels, maxLength: rows * channels }),
      gamma: fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: channels, maxLength: channels }),
      beta: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: channels, maxLength: channels }),
      epsilon: fc.double({ min: 0.01, max: 1, noNaN: true }),
      channels: fc.constant(channels),
    }),
  );

describe('BN backward pass (float64)', () => {
  propTest.prop([arrays], { numRuns: 60 })('training mode matches central differences of the training-mode forward pass', (a) => {
    const x = { shape: a.shape, values: a.x };
    const dy = { shape: a.shape, values: a.dy };
    const p: BnOracleParams = { axis: a.axis, epsilon: a.epsilon, momentum: 0.9, center: true, scale: true, gamma: a.gamma, beta: a.beta };
    const analytic = bnTrainingBackward(x, dy, p);
    const numeric = numericGradients(bnTrainingOutput, x, dy, p, a.channels);
    numeric.dx.forEach((v, i) => expect(analytic.dx[i]).toBeCloseTo(v, 5));
    numeric.dgamma.forEach((v, c) => expect(analytic.dgamma[c]).toBeCloseTo(v, 5));
    numeric.dbeta.forEach((v, c) => expect(analytic.dbeta[c]).toBeCloseTo(v, 5));
  });

  propTest.prop([arrays], { numRuns: 60 })('inference mode matches central differences of the inference-mode forward pass', (a) => {
    const x = { shape: a.shape, values: a.x };
    const dy = { shape: a.shape, values: a.dy };
    const p: BnOracleParams = { axis: a.axis, epsilon: a.epsilon, momentum: 0.9, center: true, scale: true, gamma: a.gamma, beta: a.beta };
    const mean = a.gamma.map((g) => g - 1);
    const variance = a.beta.map((b) => b * b + 0.2);
    const analytic = bnInferenceBackward(x, dy, p, mean, variance);
    const numeric = numericGradients((input, q) => bnInferenceOutput(input, q, mean, variance), x, dy, p, a.channels);
    numeric.dx.forEach((v, i) => expect(analytic.dx[i]).toBeCloseTo(v, 5));
    numeric.dgamma.forEach((v, c) => expect(analytic.dgamma[c]).toBeCloseTo(v, 5));
  });

  test('the training-mode dx of one channel sums to zero, and with epsilon 0 is orthogonal to x̂ (the batch statistics depend on x)', () => {
    const x = { shape: [4, 1], values: [1, 2, 4, 7] };
    const g = bnTrainingBackward(x, { shape: [4, 1], values: [0.3, -1, 2, 0.5] }, { axis: -1, epsilon: 0, momentum: 0.9, center: true, scale: true });
    expect(g.dx.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    const mean = 3.5;
    expect(g.dx.reduce((sum, v, i) => sum + v * (x.values[i] - mean), 0)).toBeCloseTo(0, 10);
  });

  test('a dy of another shape is refused, naming both shapes', () => {
    expect(() => bnTrainingBackward({ shape: [2, 2], values: [1, 2, 3, 4] }, { shape: [4], values: [1, 2, 3, 4] }, { axis: -1, epsilon: 1e-3, momentum: 0.9, center: true, scale: true })).toThrow(
      'bnTrainingBackward: dy has shape [4] but x has [2,2]',
    );
  });
});

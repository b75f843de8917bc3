import type { BackendName } from '../../../src/engine/backends';
import { referenceTraining, trainingAgreement, type TrainedWeightResult } from '../../../src/engine/invariants/training-agreement';
import { tf } from '../../../src/hosts/node/tfjs';
import { describeEachBackend, invariantContext } from '../../helpers/backends';
import { caseSpec } from '../../helpers/fixtures';
import { expectJsonSafe } from '../../helpers/json-safe';

describeEachBackend('training-agreement', (backend: BackendName) => {
  const context = invariantContext(backend);
  const spec = (overrides: Parameters<typeof caseSpec>[0] = {}) => {
    const base = caseSpec(overrides);
    // No head: the re-implemented model is dense -> BN with a mean-squared-error loss.
    return { ...base, model: { ...base.model, classes: 0 }, entryPoint: 'trainOnBatch' as const, steps: 3, learningRate: 0.1 };
  };

  test('three trainOnBatch steps end where the float64 re-implementation does, for every weight', async () => {
    const before = tf.memory().numTensors;
    const outcome = await trainingAgreement.check(spec(), context);
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.status).toBe('pass');
    const weights = outcome.evidence.weights as TrainedWeightResult[];
    expect(weights.map((w) => w.weight)).toEqual(['features/kernel', 'features/bias', 'bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance']);
    for (const w of weights) expect([w.weight, w.ok]).toEqual([w.weight, true]);
    expectJsonSafe(outcome.evidence);
  });

  test('a model the re-implementation does not cover is unsupported, not a verdict', async () => {
    await expect(trainingAgreement.check(spec({ architecture: 'conv', inputShape: [4, 4, 2] }), context)).rejects.toThrow('training-agreement re-implements a dense → BN model');
  });
});

describe('referenceTraining', () => {
  const x = { shape: [4, 2], values: [1, 2, -1, 0.5, 3, -2, 0, 1] };
  const t = { shape: [4, 2], values: [0.5, -1, 1, 0, -0.5, 2, 0, 1] };
  const initial = {
    'features/kernel': [0.5, -0.25, 1, 0.75],
    'features/bias': [0.1, -0.1],
    'bn/gamma': [1, 1.5],
    'bn/beta': [0, 0.2],
    'bn/moving_mean': [0, 0],
    'bn/moving_variance': [1, 1],
  };
  const bn = { axis: -1, epsilon: 1e-3, momentum: 0.9, center: true, scale: true };

  test('zero steps change nothing and allow nothing', () => {
    const r = referenceTraining(x, t, initial, bn, 0.1, 0);
    expect(Array.from(r.weights['features/kernel'])).toEqual(initial['features/kernel']);
    expect(Object.values(r.allowance).every((a) => a === 0)).toBe(true);
  });

  test('one step moves the moving mean by (1 - momentum) times the batch mean of xW + b, and lowers the loss', () => {
    const r = referenceTraining(x, t, initial, bn, 0.1, 1);
    // z column 0 = x·[0.5, 1] + 0.1: 2.6, 0.1, -0.4, 1.1 -> batch mean 0.85
    expect(r.weights['bn/moving_mean'][0]).toBeCloseTo(0.1 * 0.85, 12);
    const lossAfter = (steps: number) => {
      const s = referenceTraining(x, t, initial, bn, 0.1, steps).weights;
      const z = [0, 1, 2, 3].flatMap((b) => [0, 1].map((j) => x.values[b * 2] * s['features/kernel'][j] + x.values[b * 2 + 1] * s['features/kernel'][2 + j] + s['features/bias'][j]));
      const mean = [0, 1].map((j) => (z[j] + z[2 + j] + z[4 + j] + z[6 + j]) / 4);
      const variance = [0, 1].map((j) => [0, 1, 2, 3].reduce((a, b) => a + (z[b * 2 + j] - mean[j]) ** 2, 0) / 4);
      return z.reduce((sum, v, i) => sum + ((s['bn/gamma'][i % 2] * (v - mean[i % 2])) / Math.sqrt(variance[i % 2] + 1e-3) + s['bn/beta'][i % 2] - t.values[i]) ** 2, 0) / 8;
    };
    expect(lossAfter(1)).toBeLessThan(lossAfter(0));
    expect(lossAfter(3)).toBeLessThan(lossAfter(1));
  });

  test('the allowance is far smaller than what a wrong learning rate or a wrong momentum does to the weights', () => {
    const right = referenceTraining(x, t, initial, bn, 0.1, 3);
    const wrongRate = referenceTraining(x, t, initial, bn, 0.09, 3).weights;
    const wrongMomentum = referenceTraining(x, t, initial, { ...bn, momentum: 0.8 }, 0.1, 3).weights;
    const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
    for (const name of ['features/kernel', 'bn/gamma', 'bn/beta'] as const) {
      expect(distance(wrongRate[name], right.weights[name])).toBeGreaterThan(10 * right.allowance[name]);
    }
    // A bias in front of a training-mode BN gets no gradient: the batch mean takes any shift back out.
    expect(distance(right.weights['features/bias'], initial['features/bias'])).toBeLessThan(1e-12);
    for (const name of ['bn/moving_mean', 'bn/moving_variance'] as const) {
      expect(distance(wrongMomentum[name], right.weights[name])).toBeGreaterThan(10 * right.allowance[name]);
    }
  });
});

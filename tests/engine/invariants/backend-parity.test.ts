import { activateBackend, probeBackend, probeBackendModule, selectBackends } from '../../../src/hosts/node/backends';
import { BACKEND_NAMES, type BackendName } from '../../../src/engine/backends';
import {
  backendParity,
  compareBackendRuns,
  inferenceAmplification,
  parityReductionSize,
  parityTolerance,
  predictionsTolerance,
  type BackendRun,
} from '../../../src/engine/invariants/backend-parity';
import type { InvariantContext } from '../../../src/engine/invariants/types';
import type { Snapshot } from '../../../src/engine/snapshot/snapshot';
import { tf } from '../../../src/hosts/node/tfjs';
import { describeEachBackend, invariantContext } from '../../helpers/backends';
import { caseSpec } from '../../helpers/fixtures';
import { expectJsonSafe } from '../../helpers/json-safe';

/** Backends that load in this process and that BN_BACKENDS selects (synchronous, for test declaration). */
const selectable: BackendName[] = selectBackends(
  process.env.BN_BACKENDS,
  BACKEND_NAMES.map((name) => probeBackendModule(name)),
).selected;

describeEachBackend('backend-parity', (backend: BackendName) => {
  const others = selectable.filter((name) => name !== backend);
  const context = invariantContext(backend, others);

  beforeAll(async () => {
    // A backend must be initialized in this jest worker before activateBackend can switch to it.
    for (const name of others) {
      const status = await probeBackend(name);
      if (!status.available) throw new Error(`${name} loads but cannot be used: ${status.reason}`);
    }
    await activateBackend(backend);
  });

  const withOthers = others.length > 0 ? test : test.skip;

  withOthers.each([
    ['fit, 2 steps', caseSpec()],
    ['nested frozen base, trainOnBatch, 5 steps', caseSpec({ nested: true, freeze: 'base', entryPoint: 'trainOnBatch', steps: 5 })],
    ['custom loop, 3 steps', caseSpec({ entryPoint: 'minimize', steps: 3 })],
  ])(`passes against ${others.join(', ') || 'no other backend'}: %s`, async (_title, spec) => {
    const before = tf.memory().numTensors;
    const outcome = await backendParity.check(spec, context);
    expect(tf.getBackend()).toBe(backend);
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.status).toBe('pass');
    const reports = outcome.evidence.backends as { backend: string; ok: boolean; predictionsMaxAbsDiff: number; worstWeight: { name: string } }[];
    expect(reports.map((r) => [r.backend, r.ok])).toEqual(others.map((name) => [name, true]));
    for (const report of reports) {
      expect(report.predictionsMaxAbsDiff).toBeLessThan(1e-5);
      expect(typeof report.worstWeight.name).toBe('string');
    }
    expectJsonSafe(outcome.evidence);
  });

  test('throws "needs at least two" when no other backend is available', async () => {
    const alone = invariantContext(backend);
    await expect(backendParity.check(caseSpec(), alone)).rejects.toThrow(/^backend-parity needs at least two available backends/);
    // Listing the backend itself as "other" is still one backend.
    await expect(backendParity.check(caseSpec(), { ...alone, otherBackends: [backend] })).rejects.toThrow(/^backend-parity needs at least two available backends/);
  });

  withOthers('switches back to its own backend when a run on another one throws', async () => {
    const failing: InvariantContext = {
      ...invariantContext(backend, others),
      activate: async (name) => {
        await activateBackend(name);
        if (name !== backend) throw new Error(`cannot use ${name}`);
      },
    };
    await expect(backendParity.check(caseSpec(), failing)).rejects.toThrow(`cannot use ${others[0]}`);
    expect(tf.getBackend()).toBe(backend);
  });

  withOthers('refuses to compare a backend with itself when activate does not switch', async () => {
    const inert: InvariantContext = { ...invariantContext(backend, others), activate: async () => undefined };
    await expect(backendParity.check(caseSpec(), inert)).rejects.toThrow(`backend-parity: activating '${others[0]}' left '${backend}' active`);
  });
});

describe('compareBackendRuns', () => {
  const spec = caseSpec();
  const snapshot = (entries: Record<string, number[]>): Snapshot => ({
    weights: Object.fromEntries(Object.entries(entries).map(([name, values]) => [name, { name, shape: [values.length], values: Float32Array.from(values) }])),
  });
  const reference: BackendRun = {
    predictions: { shape: [2, 2], values: Float32Array.from([0.25, 0.75, 0.5, 0.5]) },
    weights: snapshot({ 'bn/moving_mean': [1, 2, 3], 'head/bias': [0.1, -0.1] }),
  };

  test('identical runs pass with no differing index', () => {
    const report = compareBackendRuns(spec, 'wasm', reference, reference);
    expect(report.ok).toBe(true);
    expect(report.predictions.firstDifferingIndex).toBe(-1);
    expect(report.failingWeights).toEqual([]);
  });

  test('a one-ulp difference passes but is located', () => {
    const other: BackendRun = { ...reference, weights: snapshot({ 'bn/moving_mean': [1, Math.fround(2 * (1 + 2 ** -23)), 3], 'head/bias': [0.1, -0.1] }) };
    const report = compareBackendRuns(spec, 'wasm', reference, other);
    expect(report.ok).toBe(true);
    expect(report.worstWeight).toMatchObject({ name: 'bn/moving_mean', firstDifferingIndex: 1, firstIndexOutOfTolerance: -1 });
  });

  test('a moving mean off by 1e-3 fails and is named as the worst weight', () => {
    const other: BackendRun = { ...reference, weights: snapshot({ 'bn/moving_mean': [1, 2, 3.001], 'head/bias': [0.1, -0.1] }) };
    const report = compareBackendRuns(spec, 'wasm', reference, other);
    expect(report.ok).toBe(false);
    expect(report.failingWeights).toEqual(['bn/moving_mean']);
    expect(report.worstWeight).toMatchObject({ name: 'bn/moving_mean', ok: false, firstDifferingIndex: 2, firstIndexOutOfTolerance: 2 });
    expect(report.predictions.ok).toBe(true);
  });

  test('different predictions and a missing weight fail', () => {
    const other: BackendRun = {
      predictions: { shape: [2, 2], values: Float32Array.from([0.25, 0.75, 0.6, 0.4]) },
      weights: snapshot({ 'bn/moving_mean': [1, 2, 3] }),
    };
    const report = compareBackendRuns(spec, 'wasm', reference, other);
    expect(report.ok).toBe(false);
    expect(report.predictions).toMatchObject({ ok: false, firstDifferingIndex: 2, firstIndexOutOfTolerance: 2 });
    expect(report.predictions.maxAbsDiff).toBeCloseTo(0.1, 6);
    expect(report.failingWeights).toEqual(['head/bias']);
    expect(report.worstWeight).toMatchObject({ name: 'head/bias', maxAbsDiff: null, comparison: 'absent on wasm' });
    expectJsonSafe(report);
  });

  test('a NaN or infinity on one side fails with a null maxAbsDiff, so the report survives JSON', () => {
    const other: BackendRun = {
      predictions: { shape: [2, 2], values: Float32Array.from([0.25, NaN, 0.5, 0.5]) },
      weights: snapshot({ 'bn/moving_mean': [1, Infinity, 3], 'head/bias': [0.1, -0.1] }),
    };
    const report = compareBackendRuns(spec, 'wasm', reference, other);
    expect(report.ok).toBe(false);
    expect(report.predictions).toMatchObject({ ok: false, maxAbsDiff: null, firstDifferingIndex: 1 });
    expect(report.failingWeights).toEqual(['bn/moving_mean']);
    expect(report.worstWeight).toMatchObject({ name: 'bn/moving_mean', ok: false, maxAbsDiff: null, firstDifferingIndex: 1 });
    expectJsonSafe(report);
  });

  test('the tolerance grows linearly with the SGD steps and bounds the longest reduction', () => {
    expect(parityReductionSize(spec)).toBe(8 * 4); // BN's input: batch 8 x 4 hidden units
    const oneStep = parityTolerance({ ...spec, steps: 1 }, 2);
    const nineSteps = parityTolerance({ ...spec, steps: 9 }, 2);
    expect(nineSteps.rtol / oneStep.rtol).toBeCloseTo(5, 12);
    expect(nineSteps.atol).toBeCloseTo(2 * nineSteps.rtol, 12);
  });

  describe('predictions after training, through an inference-mode BN', () => {
    // Shrunk by `bn-suite run --scenario backend-parity --runs 50` on tfjs 4.22: zero input, dense
    // model, momentum 0, ε = 1e-5, one fit step at learning rate 0.1. The moving variance ends near
    // 0, so the BN divides input differences by sqrt(ε): a Dense bias 3e-6 apart (within its
    // tolerance) gave softmax predictions 4.2e-4 apart.
    const shrunk = caseSpec({ architecture: 'dense', inputShape: [1], bn: { axis: 1, momentum: 0, epsilon: 1e-5 } });
    const shrunkSpec = { ...shrunk, model: { ...shrunk.model, hiddenUnits: 1 }, data: { batch: 3, mean: 0, scale: 0, seed: 0 }, freeze: 'bn' as const, entryPoint: 'fit' as const, steps: 1, learningRate: 0.1 };
    const trained = (movingVariance: number) =>
      snapshot({ 'features/bias': [1.2e-6], 'bn/gamma': [1], 'bn/beta': [0], 'bn/moving_mean': [0], 'bn/moving_variance': [movingVariance], 'head/bias': [0, 0] });
    const run = (predictions: number[], movingVariance: number): BackendRun => ({ predictions: { shape: [3, 2], values: Float32Array.from(predictions) }, weights: trained(movingVariance) });
    const cpu = [0.64555788, 0.35444212, 0.64555788, 0.35444212, 0.64555788, 0.35444212];
    const wasm = [0.64514035, 0.35485965, 0.64514035, 0.35485965, 0.64514035, 0.35485965];

    test('reads |γ|/sqrt(v + ε) and |moving mean| from the weights', () => {
      expect(inferenceAmplification(trained(0), 1e-5)).toEqual({ gain: 1 / Math.sqrt(1e-5), meanMagnitude: 0 });
      // A healthy variance amplifies nothing: the gain never goes below 1.
      expect(inferenceAmplification(trained(4), 1e-5).gain).toBe(1);
      // Per channel, |γ| paired with its own variance: max(3/sqrt(1), 1/sqrt(0.02)).
      const twoChannels = inferenceAmplification(snapshot({ 'a/gamma': [-3, 1], 'a/moving_mean': [5, -7], 'a/moving_variance': [0.99, 0.01], 'b/kernel': [9] }), 0.01);
      expect(twoChannels.gain).toBeCloseTo(1 / Math.sqrt(0.02), 6);
      expect(twoChannels.meanMagnitude).toBe(7);
      expect(inferenceAmplification(snapshot({ 'a/kernel': [1] }), 1e-3)).toEqual({ gain: 1, meanMagnitude: 0 });
    });

    test('a healthy moving variance keeps the plain tolerance', () => {
      expect(predictionsTolerance(shrunkSpec, 0.65, inferenceAmplification(trained(1), 1e-5))).toEqual(parityTolerance(shrunkSpec, 0.65));
    });

    test('the shrunk zero-variance case passes, and the same difference fails with a healthy variance', () => {
      expect(compareBackendRuns(shrunkSpec, 'wasm', run(cpu, 3e-12), run(wasm, 3e-12)).predictions.ok).toBe(true);
      expect(compareBackendRuns(shrunkSpec, 'wasm', run(cpu, 1), run(wasm, 1)).predictions.ok).toBe(false);
    });
  });
});

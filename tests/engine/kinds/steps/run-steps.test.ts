import { scenarioSchema } from '../../../../src/engine/scenarios/schema';
import type { StepsScenario } from '../../../../src/engine/scenarios/types';
import { runStepsScenario } from '../../../../src/engine/kinds/steps/run-steps';
import { tf } from '../../../../src/hosts/node/tfjs';
import { useCpuAndTempDir } from '../../../helpers/cpu-temp-dir';
import { SECOND_ROUND_STEPS } from '../../../helpers/fixtures';

useCpuAndTempDir('bn-suite-run-steps-');

function program(model: Record<string, unknown>, data: Record<string, unknown>, steps: unknown[]): StepsScenario {
  return scenarioSchema.parse({ id: 't/p', kind: 'steps', description: 'd', provenance: 'p', tags: ['oracle'], invariant: 'oracle-agreement', seed: 3, model, data, steps }) as StepsScenario;
}

/** Runs a program; a pass, or the failed step's summary; every tensor it made is disposed (tfjs's own leaks aside). */
async function run(scenario: StepsScenario, tfjsLeaks = 0): Promise<string> {
  const before = tf.memory().numTensors;
  const outcome = await runStepsScenario(scenario, null);
  expect(tf.memory().numTensors - before).toBe(tfjsLeaks);
  return outcome.status === 'pass' ? 'pass' : outcome.summary;
}

// x = [[1, 2, 3], [5, 6, 7]] on a BN of 3 channels: per channel the batch mean is x0 + 2 and the variance 4.
const bare3 = { inputShape: [3], bn: { momentum: 0, epsilon: 0.001 } };
const x23 = { batch: 2, x: { values: [1, 2, 3, 5, 6, 7] } };

describe('the steps language', () => {
  test('setWeight, then an inference call: (x - m) / sqrt(v + eps) against literal values', async () => {
    const out = [1, 2, 3, 5, 6, 7].map((v, i) => (v - [1, 2, 3][i % 3]) / Math.sqrt(4 + 0.001));
    expect(
      await run(program(bare3, x23, [{ setWeight: { weight: 'bn/moving_mean', values: [1, 2, 3] } }, { setWeight: { weight: 'bn/moving_variance', fill: 4 } }, { callBn: { training: false, as: 'o' } }, { expectOutput: { output: 'o', values: out, atol: 1e-6 } }])),
    ).toBe('pass');
    const wrong = await run(program(bare3, x23, [{ callBn: { training: false, as: 'o' } }, { expectOutput: { output: 'o', values: out, atol: 1e-6 } }]));
    expect(wrong).toMatch(/^step 2 \(expectOutput\): o values differ/);
  });

  test('chain feeds each output into the next call: with momentum 0 the moving statistics are the last input\'s moments', async () => {
    // The first call normalizes x; the second sees that output, whose per-channel mean is 0 and variance 4 / (4 + eps).
    const chained = await run(program(bare3, x23, [{ callBn: { training: true, times: 2, chain: true } }, { expectWeight: { weight: 'bn/moving_mean', fill: 0, atol: 1e-6 } }, { expectWeight: { weight: 'bn/moving_variance', fill: 4 / 4.001, atol: 1e-5 } }]));
    expect(chained).toBe('pass');
    const repeated = await run(program(bare3, x23, [{ callBn: { training: true, times: 2 } }, { expectWeight: { weight: 'bn/moving_mean', values: [3, 4, 5], atol: 1e-6 } }]));
    expect(repeated).toBe('pass');
  });

  test('a named input, a statistic against a weight, and a second batch', async () => {
    const data = { ...x23, tensors: { second: { shape: [4, 3], uniform: { min: 0, max: 1 } } } };
    expect(await run(program(bare3, data, [{ callBn: { training: true, input: 'second' } }, { expectStatistic: { of: 'second', statistic: 'mean', axis: -1, equals: { weight: 'bn/moving_mean' }, atol: 1e-6 } }, { expectStatistic: { of: 'second', statistic: 'variance', axis: -1, equals: { weight: 'bn/moving_variance' }, atol: 1e-6 } }]))).toBe('pass');
    // tfjs keeps the biased variance: the unbiased one is a different number.
    expect(await run(program(bare3, data, [{ callBn: { training: true, input: 'second' } }, { expectStatistic: { of: 'second', statistic: 'unbiasedVariance', axis: -1, equals: { weight: 'bn/moving_variance' }, atol: 1e-6 } }]))).toMatch(/step 2 \(expectStatistic\): unbiasedVariance of second per index of axis -1/);
  });

  test('gradBn in inference mode: dx = gamma * dy / sqrt(v + eps), dbeta = sum(dy), dgamma = sum(dy * x_hat)', async () => {
    const data = { ...x23, tensors: { dy: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] } } };
    const scale = 1 / Math.sqrt(1 + 0.001);
    const dx = [1, 2, 3, 4, 5, 6].map((d) => 2 * d * scale);
    // x_hat = x / sqrt(1 + eps) with moving mean 0: dgamma_c = sum_rows dy * x_hat.
    const dgammaExact = [0, 1, 2].map((c) => [0, 1].reduce((sum, row) => sum + [1, 2, 3, 4, 5, 6][row * 3 + c] * [1, 2, 3, 5, 6, 7][row * 3 + c] * scale, 0));
    const steps = [
      { callBn: { training: false } },
      { gradBn: { training: false, cotangent: 'dy', as: 'g' } },
      { expectOutput: { output: 'g_dx', values: dx, atol: 1e-5 } },
      { expectOutput: { output: 'g_dbeta', values: [5, 7, 9], atol: 1e-5 } },
      { expectOutput: { output: 'g_dgamma', values: dgammaExact, atol: 1e-4 } },
    ];
    expect(await run(program({ ...bare3, bn: { ...bare3.bn, gammaInit: 2 } }, data, steps))).toBe('pass');
  });

  test('a frozen layer gets no gradient for gamma and beta from tfjs (NaN), dx still flows', async () => {
    const steps = [{ freeze: 'bn' }, { gradBn: { training: false, as: 'g' } }, { expectStatistic: { of: 'g_dx', statistic: 'min', equals: 1 / Math.sqrt(1.001), atol: 1e-6 } }, { expectOutput: { output: 'g_dgamma', fill: NaN } }];
    expect(await run(program(bare3, x23, steps))).toBe('pass');
  });

  test('batchNormOp is tf.batchNorm on data tensors, per element when the statistics have x\'s shape', async () => {
    const data = { ...x23, tensors: { m: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, v: { shape: [2, 3], fill: 1 } } };
    expect(await run(program(bare3, data, [{ batchNormOp: { x: 'x', mean: 'm', variance: 'v', epsilon: 0, as: 'o' } }, { expectOutput: { output: 'o', values: [0, 0, 0, 1, 1, 1], atol: 1e-6 } }]))).toBe('pass');
  });

  test('symbolicBn and expectThrows: an undetermined batch axis cannot be the channel axis', async () => {
    const steps = [
      { symbolicBn: { shape: [null, 4, 6], as: 's' } },
      { expectShape: { output: 's', shape: [null, 4, 6] } },
      { expectThrows: { step: { symbolicBn: { shape: [null, 6], options: { axis: 0 } } }, message: 'defined dimension' } },
    ];
    expect(await run(program(bare3, x23, steps))).toBe('pass');
    expect(await run(program(bare3, x23, [{ expectThrows: { step: { symbolicBn: { shape: [null, 6] } } } }]))).toBe('step 1 (expectThrows): symbolicBn did not throw');
    expect(await run(program(bare3, x23, [{ expectThrows: { step: { symbolicBn: { shape: [null, 6], options: { axis: 0 } } }, message: '^nothing like it$' } }]))).toMatch(/^step 1 \(expectThrows\): symbolicBn threw ".*defined dimension.*", not a message matching/);
  });

  test('the twin is a second build with the same initial weights; freezing one leaves the other', async () => {
    const data = { batch: 4, x: { gaussian: { mean: 3, scale: 2 } }, y: { fill: 0 } };
    const steps = [
      { freeze: { target: 'bn', on: 'twin' } },
      { expectWeightCount: { of: 'twin', trainable: 0, nonTrainable: 4 } },
      { expectWeightCount: { of: 'model', trainable: 2, nonTrainable: 2, trainableNames: ['bn/gamma', 'bn/beta'], nonTrainableNames: ['bn/moving_mean', 'bn/moving_variance'] } },
      { predict: { as: 'a' } },
      { predict: { as: 'b', on: 'twin' } },
      { expectClose: { a: 'a', b: 'b' } },
    ];
    expect(await run(program({ inputShape: [3] }, data, steps))).toBe('pass');
  });

  test('the twin may have BN options of its own', async () => {
    const steps = [{ predict: { as: 'a' } }, { predict: { as: 'b', on: 'twin' } }, { expectDiffer: { a: 'a', b: 'b' } }, { expectWeightCount: { of: 'twin', total: 3 } }];
    expect(await run(program({ inputShape: [3], twin: { bn: { center: false, epsilon: 0.5 } } }, { batch: 2, x: { fill: 2 } }, steps))).toBe('pass');
  });

  test("the sibling shares the layers up to BN: training the model moves the sibling's BN too", async () => {
    const data = { batch: 4, x: { gaussian: { mean: 3, scale: 2 } }, y: { fill: 0 } };
    const steps = [
      { snapshot: { as: 's0', on: 'sibling' } },
      { compile: { optimizer: 'adam', loss: 'meanSquaredError' } },
      { trainOnBatch: {} },
      { expectChanged: { since: 's0', kinds: ['moving_mean', 'kernel'] } },
      { callModel: { training: false, on: 'sibling', as: 'f' } },
      { expectShape: { output: 'f', shape: [4, 2] } },
    ];
    expect(await run(program({ inputShape: [3], architecture: 'dense', hiddenUnits: 2, head: { units: 1, activation: 'linear' }, sibling: true }, data, steps))).toBe('pass');
  });

  test('fit keeps its loss history; every optimizer trains', async () => {
    const data = { batch: 8, x: { uniform: { min: 0, max: 1 } }, y: { sameAs: 'x' } };
    for (const optimizer of ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax']) {
      const compile = { optimizer, loss: 'meanSquaredError', ...(optimizer === 'momentum' ? { momentum: 0.5 } : {}), ...(optimizer === 'adadelta' ? { learningRate: 1 } : {}) };
      const steps = [{ snapshot: { as: 's' } }, { compile }, { fit: { epochs: 3, as: 'h' } }, { expectChanged: { since: 's', kinds: ['gamma'] } }, { expectLoss: { of: 'h', values: [0, 0, 0], atol: 100 } }];
      // tfjs 4.22's MomentumOptimizer.dispose() frees its momentum but not the learning-rate scalar SGD keeps.
      expect(await run(program({ inputShape: [3] }, data, steps), optimizer === 'momentum' ? 1 : 0)).toBe('pass');
    }
    const wrongLength = await run(program({ inputShape: [3] }, data, [{ compile: { loss: 'meanSquaredError' } }, { fit: { epochs: 3, as: 'h' } }, { expectLoss: { of: 'h', values: [0, 0], atol: 100 } }]));
    expect(wrongLength).toMatch(/^step 3 \(expectLoss\): loss h: shapes differ/);
  });

  test('layer options: no bias, a literal kernel, identity, and conv padding / strides shape what BN sees', async () => {
    const dense = { architecture: 'dense', inputShape: [2], hiddenUnits: 2, features: { kernelInitializer: { values: [1, 2, 3, 4] }, useBias: false }, bn: { momentum: 0 } };
    // x [1, 1] -> kernel [[1, 2], [3, 4]] -> [4, 6]; with momentum 0 the moving mean is the batch mean.
    expect(await run(program(dense, { batch: 1, x: { fill: 1 } }, [{ expectWeightCount: { of: 'model', total: 5 } }, { callBn: { training: true } }, { expectWeight: { weight: 'bn/moving_mean', values: [4, 6], atol: 1e-6 } }]))).toBe('pass');
    const identity = { ...dense, features: { kernelInitializer: 'identity', biasInitializer: { constant: 1 } } };
    expect(await run(program(identity, { batch: 1, x: { values: [3, 5] } }, [{ callBn: { training: true } }, { expectWeight: { weight: 'bn/moving_mean', values: [4, 6], atol: 1e-6 } }]))).toBe('pass');
    const conv = { architecture: 'conv', inputShape: [5, 5, 1], hiddenUnits: 2, features: { kernelSize: 3, padding: 'valid', strides: 2 } };
    expect(await run(program(conv, { batch: 1, x: { fill: 1 } }, [{ callBn: { training: false, as: 'o' } }, { expectShape: { output: 'o', shape: [1, 2, 2, 2] } }]))).toBe('pass');
  });

  test('a bare layer may normalize along axis 0, the batch axis', async () => {
    // Axis 0 of [[1, 2, 3], [5, 6, 7]]: one channel per row, means 2 and 6.
    expect(await run(program({ inputShape: [3], bare: true, bn: { axis: 0, momentum: 0 } }, x23, [{ callBn: { training: true } }, { expectWeight: { weight: 'bn/moving_mean', values: [2, 6], atol: 1e-6 } }]))).toBe('pass');
  });

  test('a Masking layer in front: masked positions become 0 before BN', async () => {
    const masked = { inputShape: [2, 2], masking: { maskValue: 9 }, bn: { momentum: 0 } };
    // Timestep 2 of the sample is all 9: masked to 0, so the mean per feature is (1 + 0) / 2 and (3 + 0) / 2.
    expect(await run(program(masked, { batch: 1, x: { values: [1, 3, 9, 9] } }, [{ callBn: { training: true, as: 'o' } }, { expectOutput: { output: 'bn_input', values: [1, 3, 0, 0] } }, { expectWeight: { weight: 'bn/moving_mean', values: [0.5, 1.5], atol: 1e-6 } }]))).toBe('pass');
  });

  test('regularizers, constraints and the config: tfjs lists a layer\'s regularization losses on the layer, not on the model', async () => {
    const model = { inputShape: [3], container: 'sequential', bn: { gammaRegularizer: { l2: 0.5 }, betaRegularizer: { l1: 0.1 }, gammaConstraint: 'nonNeg', momentum: 0.5 } };
    const steps = [
      // gamma starts at 1 (3 channels): 0.5 * 3 = 1.5; beta at 0: 0.
      { expectLayerLosses: { of: 'bn', count: 2, values: [1.5, 0], atol: 1e-6 } },
      { expectLayerLosses: { of: 'model', count: 0 } },
      { expectConstraint: { weight: 'bn/gamma', className: 'NonNeg' } },
      { expectConstraint: { weight: 'bn/beta', className: 'none' } },
      { expectConfig: { of: 'bn', values: { momentum: 0.5, epsilon: 0.001, center: true } } },
    ];
    expect(await run(program(model, { batch: 2, x: { fill: 1 } }, steps))).toBe('pass');
    expect(await run(program(model, { batch: 2, x: { fill: 1 } }, [{ expectConfig: { of: 'bn', values: { momentum: 0.9 } } }]))).toBe('step 1 (expectConfig): bn config: momentum = 0.5, expected 0.9');
  });

  test('freeze: model, gradBn limited to gamma and beta with its forward output, readWeight, and a value of another shape refused by tfjs', async () => {
    const data = { batch: 4, x: { uniform: { min: 0, max: 1 } }, y: { fill: 0 } };
    const steps = SECOND_ROUND_STEPS;
    // tfjs accepts momentum -0.1: the last expectation fails.
    expect(await run(program({ inputShape: [3] }, data, steps))).toBe('step 11 (expectThrows): symbolicBn did not throw');
  });

  test('TimeDistributed runs BN once per time step: one trainOnBatch moves the moving variance ten times', async () => {
    const steps = [{ compile: { loss: 'meanSquaredError' } }, { trainOnBatch: {} }, { expectWeight: { weight: 'bn/moving_variance', fill: 0.99 ** 10, atol: 0.01 } }];
    // Constant data: every step's batch variance is 0, so each of the ten updates multiplies by the momentum.
    expect(await run(program({ inputShape: [10, 2], timeDistributed: true }, { batch: 4, x: { fill: 1 }, y: { sameAs: 'x' } }, steps))).toBe('pass');
  });
});


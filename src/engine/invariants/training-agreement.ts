import type { Tensor } from '@tensorflow/tfjs-core';
import { createRng, deriveSeed } from '../data/rng';
import { batchMoments, bnTrainingBackward, bnTrainingOutput, channelMaxAbs, type BnOracleParams } from '../oracle/batch-norm';
import { compareArrays, float32MeanErrorBound, float32Tolerance, formatComparison, type Tolerance, worstOverAllowance } from '../oracle/compare';
import type { DenseArray } from '../oracle/dense-array';
import type { CaseSpec } from '../run/case-spec';
import { UnsupportedCaseError } from '../run/verdict';
import { withCase } from '../run/observe';
import { maxAbs } from '../run/tensor-data';
import { captureSnapshot } from '../snapshot/snapshot';
import { tf } from '../tfjs';
import { channelScales, gradientTolerances } from './gradient-agreement';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { integer, measuredNumber, toleranceSchema } from './evidence-parts';

/** The weights a short training run moves, as snapshot keys. */
const WEIGHTS = ['features/kernel', 'features/bias', 'bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance'] as const;

/** One weight after training, against the float64 re-implementation of the same steps. */
export interface TrainedWeightResult {
  weight: (typeof WEIGHTS)[number];
  ok: boolean;
  tolerance: Tolerance;
  maxAbsDiff: number | null;
  comparison: string;
}

/** Row-major [rows, cols] product with a [cols, units] matrix, in float64. */
function matMul(a: ArrayLike<number>, rows: number, cols: number, b: ArrayLike<number>, units: number): Float64Array {
  const out = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const v = a[r * cols + k];
      for (let j = 0; j < units; j++) out[r * units + j] += v * b[k * units + j];
    }
  }
  return out;
}

/** The float64 state of the dense → BN model, and the absolute error float32 may have put in each weight so far. */
interface ReferenceState {
  weights: Record<(typeof WEIGHTS)[number], Float64Array>;
  allowance: Record<(typeof WEIGHTS)[number], number>;
}

/**
 * k steps of SGD on L = mean((BN(xW + b) - t)²), BN in training mode, in float64: the same steps
 * `model.trainOnBatch` takes (tfjs's meanSquaredError averages over every element, so
 * ∂L/∂y = 2(y - t)/(B·U)), and the moving-statistics update with the batch's biased variance.
 *
 * Alongside, an allowance per weight for float32 rounding: each step adds lr times the gradient's
 * tolerance ({@link gradientTolerances}; the kernel's and bias's carry dz's) and the rounding of the
 * update itself. Errors made in earlier steps also change later gradients; the scenario keeps k,
 * lr and the conditioning small (k <= 3, lr <= 0.1, data scale >= 0.5) so that this second-order
 * growth stays far below the allowance, and every allowance is doubled to cover it. Exported for tests.
 */
export function referenceTraining(x: DenseArray, t: DenseArray, initial: Record<(typeof WEIGHTS)[number], ArrayLike<number>>, bn: Omit<BnOracleParams, 'gamma' | 'beta'>, learningRate: number, steps: number): ReferenceState {
  const [batch, inputs] = x.shape;
  const units = t.shape[1];
  const w = Object.fromEntries(WEIGHTS.map((name) => [name, Float64Array.from(initial[name])])) as ReferenceState['weights'];
  const allowance = Object.fromEntries(WEIGHTS.map((name) => [name, 0])) as ReferenceState['allowance'];
  const u = 2 ** -24;
  for (let step = 0; step < steps; step++) {
    const pre = matMul(x.values, batch, inputs, w['features/kernel'], units);
    for (let i = 0; i < pre.length; i++) pre[i] += w['features/bias'][i % units];
    const z: DenseArray = { shape: [batch, units], values: pre };
    const params: BnOracleParams = { ...bn, gamma: w['bn/gamma'], beta: w['bn/beta'] };
    const y = bnTrainingOutput(z, params);
    const dy = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) dy[i] = (2 * (y[i] - t.values[i])) / (batch * units);
    const dyArray: DenseArray = { shape: [batch, units], values: dy };
    const grads = bnTrainingBackward(z, dyArray, params);
    const { mean, variance } = batchMoments(z, -1);
    const dW = matMul(
      // xᵀ: [inputs, batch]
      Float64Array.from({ length: inputs * batch }, (_, k) => x.values[(k % batch) * inputs + Math.floor(k / batch)]),
      inputs,
      batch,
      grads.dx,
      units,
    );
    const db = new Float64Array(units);
    for (let i = 0; i < grads.dx.length; i++) db[i % units] += grads.dx[i];

    // Allowances: what float32 may have gotten wrong in this step's gradients.
    const maxAbsZ = channelMaxAbs(z, -1);
    const channels = channelScales(z, dyArray, params, mean, variance, true);
    const tol = gradientTolerances(batch, channels);
    const maxAbsX = maxAbs(x.values);
    const dxAllowance = tol.dx.atol + tol.dx.rtol * maxAbs(grads.dx);
    const gradAllowance: Record<'features/kernel' | 'features/bias' | 'bn/gamma' | 'bn/beta', number> = {
      'features/kernel': float32Tolerance({ reductionSize: batch, magnitude: batch * maxAbsX * maxAbs(grads.dx) }).atol + batch * maxAbsX * dxAllowance,
      'features/bias': float32Tolerance({ reductionSize: batch, magnitude: batch * maxAbs(grads.dx) }).atol + batch * dxAllowance,
      'bn/gamma': tol.dgamma.atol + tol.dgamma.rtol * maxAbs(grads.dgamma),
      'bn/beta': tol.dbeta.atol + tol.dbeta.rtol * maxAbs(grads.dbeta),
    };

    // The moving statistics use this step's batch statistics (before the update), as BN's call does.
    const decay = 1 - bn.momentum;
    for (let c = 0; c < units; c++) {
      w['bn/moving_mean'][c] = w['bn/moving_mean'][c] * bn.momentum + mean[c] * decay;
      w['bn/moving_variance'][c] = w['bn/moving_variance'][c] * bn.momentum + variance[c] * decay;
    }
    const meanError = Math.max(...Array.from(maxAbsZ, (m) => float32MeanErrorBound(batch, m)));
    // z itself carries the rounding of xW + b (inputs terms) and of earlier weights' allowances.
    const zError = float32Tolerance({ reductionSize: inputs, magnitude: maxAbs(pre) }).atol + maxAbsX * inputs * allowance['features/kernel'] + allowance['features/bias'];
    allowance['bn/moving_mean'] += meanError + zError + u * maxAbs(w['bn/moving_mean']) * 4;
    // σ² = mean((z - μ)²): an error δ in z or μ moves it by about 2·|z - μ|·δ.
    let maxDeviation = 0;
    for (let i = 0; i < pre.length; i++) maxDeviation = Math.max(maxDeviation, Math.abs(pre[i] - mean[i % units]));
    allowance['bn/moving_variance'] += 2 * maxDeviation * (meanError + zError) + (meanError + zError) ** 2 + float32Tolerance({ reductionSize: batch, magnitude: maxAbs(variance) }).atol;

    const update = (name: keyof typeof gradAllowance, gradient: Float64Array) => {
      const weight = w[name];
      for (let i = 0; i < weight.length; i++) weight[i] -= learningRate * gradient[i];
      allowance[name] += learningRate * gradAllowance[name] + 4 * u * maxAbs(weight);
    };
    update('features/kernel', dW);
    update('features/bias', db);
    if (bn.scale) update('bn/gamma', grads.dgamma);
    if (bn.center) update('bn/beta', grads.dbeta);
  }
  for (const name of WEIGHTS) allowance[name] *= 2;
  return { weights: w, allowance };
}

/** The seeded targets t ~ N(0, 1) of the case's loss, [batch, hidden units] row-major. Exported for repro scripts, which inline them. */
export function trainingTargets(spec: CaseSpec): Float32Array {
  const rng = createRng(deriveSeed(spec.data.seed, 'targets'));
  return Float32Array.from({ length: spec.data.batch * spec.model.hiddenUnits }, () => rng.normal());
}

const trainedWeight = z.enum(WEIGHTS);

/** Evidence of training-agreement: the steps taken and how each trained weight compared with the float64 re-run. */
export const trainingAgreementEvidence = z
  .object({
    steps: integer,
    learningRate: measuredNumber,
    failed: z.array(trainedWeight),
    weights: z.array(z.object({ weight: trainedWeight, ok: z.boolean(), tolerance: toleranceSchema, maxAbsDiff: measuredNumber, comparison: z.string() }).strict()),
  })
  .strict();

/**
 * Invariant 12: a few SGD steps of a small model (dense → BN, MSE on seeded targets) through
 * `model.trainOnBatch` end with the weights and moving statistics a float64 re-implementation of
 * the same steps computes.
 */
export const trainingAgreement = defineInvariant({
  id: 'training-agreement',
  evidence: trainingAgreementEvidence,
  title: 'short training agrees with a float64 re-implementation',
  contract:
    'k SGD steps of L = mean((BN(xW+b) - t)²) with BN in training mode: each step backpropagates through the batch statistics and updates W, b, γ, β by -lr·∂L/∂θ, and the moving statistics by moving·momentum + batch·(1-momentum). Agreement within float32 rounding accumulated over the steps.',
  async check(spec: CaseSpec, context) {
    if (spec.model.architecture !== 'dense' || spec.model.inputShape.length !== 1 || spec.model.classes !== 0 || spec.model.nested) {
      throw new UnsupportedCaseError('training-agreement re-implements a dense → BN model on rank-2 input without a head; this case is another model', context.backend);
    }
    // The allowance is first order in the steps and the re-implementation normalizes the last axis:
    // outside this range a failure could be bn-suite's bound, not tfjs.
    const { axis, epsilon } = spec.model.bn;
    if (!(axis === -1 || axis === 1) || spec.steps < 1 || spec.steps > 3 || spec.learningRate > 0.1 || spec.data.scale < 0.5 || epsilon < 1e-3) {
      throw new UnsupportedCaseError(
        `training-agreement's float32 allowance is validated for the last axis, 1-3 steps, learning rate <= 0.1, data scale >= 0.5 and epsilon >= 0.001; this case has axis ${axis}, ${spec.steps} steps, learning rate ${spec.learningRate}, data scale ${spec.data.scale}, epsilon ${epsilon}`,
        context.backend,
      );
    }
    // The re-implementation takes plain SGD steps.
    if ((spec.optimizer ?? 'sgd') !== 'sgd') throw new UnsupportedCaseError(`training-agreement re-implements SGD steps; this case trains with ${spec.optimizer}`, context.backend);
    const unfrozen: CaseSpec = { ...spec, freeze: 'none', entryPoint: 'trainOnBatch' };
    return withCase(unfrozen, async (run) => {
      const model = run.built.model;
      const before = await captureSnapshot(model);
      const units = spec.model.hiddenUnits;
      const targets = trainingTargets(spec);
      const t: Tensor = tf.tensor2d(targets, [spec.data.batch, units]);
      const x = { shape: run.x.shape.slice(), values: Float64Array.from((await run.x.data()) as Float32Array) };
      try {
        model.compile({ optimizer: tf.train.sgd(spec.learningRate), loss: 'meanSquaredError' });
        // trainOnBatch returns plain numbers: nothing to dispose.
        for (let step = 0; step < spec.steps; step++) await model.trainOnBatch(run.x, t);
      } finally {
        t.dispose();
      }
      const after = await captureSnapshot(model);
      const initial = {} as Record<(typeof WEIGHTS)[number], ArrayLike<number>>;
      for (const name of WEIGHTS) {
        // center/scale false: the weight does not exist; the reference keeps a fixed 0 / 1.
        const fallback = name === 'bn/gamma' ? new Float64Array(units).fill(1) : new Float64Array(units);
        initial[name] = before.weights[name]?.values ?? fallback;
      }
      const { axis, epsilon, momentum, center, scale } = spec.model.bn;
      const reference = referenceTraining(x, { shape: [spec.data.batch, units], values: targets }, initial, { axis, epsilon, momentum, center, scale }, spec.learningRate, spec.steps);
      const results: TrainedWeightResult[] = [];
      for (const name of WEIGHTS) {
        const actual = after.weights[name];
        if (actual === undefined) continue;
        const tolerance: Tolerance = { atol: reference.allowance[name], rtol: 8 * 2 ** -24 * Math.max(1, spec.steps) };
        const c = compareArrays({ shape: [actual.values.length], values: actual.values }, { shape: [actual.values.length], values: reference.weights[name] }, tolerance);
        results.push({ weight: name, ok: c.ok, tolerance, maxAbsDiff: (c.ok || c.kind === 'values') && Number.isFinite(c.maxAbsDiff) ? c.maxAbsDiff : null, comparison: formatComparison(c) });
      }
      const failed = results.filter((r) => !r.ok);
      const evidence = { steps: spec.steps, learningRate: spec.learningRate, failed: failed.map((r) => r.weight), weights: results };
      if (failed.length === 0) return { status: 'pass', evidence };
      const fingerprint = fingerprintOf(failed.map((r) => r.weight), worstOverAllowance(failed));
      return { status: 'fail', summary: `after ${spec.steps} trainOnBatch step(s): ${failed.map((r) => `${r.weight}: ${r.comparison}`).join('; ')}`, evidence, fingerprint };
    });
  },
});

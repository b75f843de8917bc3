import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { createRng, deriveSeed } from '../data/rng';
import { LAYER_NAMES } from '../models/spec';
import { batchMoments, bnInferenceBackward, bnTrainingBackward, channelMaxAbs, type BnGradients, type BnOracleParams } from '../oracle/batch-norm';
import { compareArrays, float32MeanErrorBound, float32Tolerance, formatComparison, type Comparison, type Tolerance, worstOverAllowance } from '../oracle/compare';
import { normalizeAxis, type DenseArray } from '../oracle/dense-array';
import { bnInput } from '../run/case-run';
import { withCase } from '../run/observe';
import { maxAbs, toDense } from '../run/tensor-data';
import { tf } from '../tfjs';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { measuredNumber, shapeSchema, toleranceSchema } from './evidence-parts';

/** The gradients compared with the float64 reference, per mode. */
export type GradientPart = 'dx' | 'dgamma' | 'dbeta' | 'features/kernel' | 'features/bias';

/** How one gradient compared. */
export interface GradientPartResult {
  mode: 'inference' | 'training';
  part: GradientPart;
  ok: boolean;
  tolerance: Tolerance;
  maxAbsDiff: number | null;
  comparison: string;
}

/** Per-channel facts the tolerances are derived from (see {@link gradientTolerances}). */
export interface ChannelScale {
  /** 1/sqrt(σ² + ε) of the statistics in use (batch or moving). */
  s: number;
  /** |γ| (1 without scale). */
  gain: number;
  /** max |dy| in the channel. */
  maxDy: number;
  /** max |x̂| in the channel. */
  maxXhat: number;
  /** Σ|dy| and Σ|dy·x̂| over the channel. */
  sumAbsDy: number;
  sumAbsDyXhat: number;
  /** Bound on the rounding error of the batch mean, times s (0 in inference mode: no mean is computed). */
  relativeMeanError: number;
}

/** Tolerances of the three BN gradients. */
export interface GradientTolerances {
  dx: Tolerance;
  dgamma: Tolerance;
  dbeta: Tolerance;
}

/**
 * Tolerances for float32 BN gradients against the float64 reference, derived like the forward
 * oracle's (compare.ts): a float32 sum of N terms errs by at most about N·u·Σ|terms|, which
 * {@link float32Tolerance} covers with its rtol (8·N·u) applied to the magnitude of what is summed.
 * - dβ = Σ dy: magnitude Σ|dy|.
 * - dγ = Σ dy·x̂: magnitude Σ|dy·x̂|, plus the error x̂ inherits from the batch mean (training mode:
 *   r = δ·s with δ the mean's rounding bound, to first order and ½r² to second, as in
 *   trainingModeTolerance), times Σ|dy|.
 * - dx = γ·s·(dy - Σdy/N - x̂·Σ(dy·x̂)/N): each bracketed term is at most max|dy|·(1 + 1 + max|x̂|),
 *   so the magnitude is γ·s·max|dy|·(2 + max|x̂|), plus γ·s·max|dy|·(2r + min(1, ½r²)·sqrt(N)) for
 *   the mean's error (the x̂ of the correction term, and 1/sqrt(σ̂² + ε)).
 * The worst channel decides; N is the reduction size.
 */
export function gradientTolerances(reductionSize: number, channels: readonly ChannelScale[]): GradientTolerances {
  let dxMagnitude = 0;
  let dxAdded = 0;
  let dgammaMagnitude = 0;
  let dgammaAdded = 0;
  let dbetaMagnitude = 0;
  for (const c of channels) {
    const r = c.relativeMeanError;
    const second = Math.min(1, 0.5 * r * r);
    dxMagnitude = Math.max(dxMagnitude, c.gain * c.s * c.maxDy * (2 + c.maxXhat));
    dxAdded = Math.max(dxAdded, c.gain * c.s * c.maxDy * (2 * r + second * Math.sqrt(reductionSize)));
    dgammaMagnitude = Math.max(dgammaMagnitude, c.sumAbsDyXhat);
    dgammaAdded = Math.max(dgammaAdded, c.sumAbsDy * (r + second * c.maxXhat));
    dbetaMagnitude = Math.max(dbetaMagnitude, c.sumAbsDy);
  }
  const widen = (base: Tolerance, added: number): Tolerance => ({ rtol: base.rtol, atol: base.atol + added });
  return {
    dx: widen(float32Tolerance({ reductionSize, magnitude: dxMagnitude }), dxAdded),
    dgamma: widen(float32Tolerance({ reductionSize, magnitude: dgammaMagnitude }), dgammaAdded),
    dbeta: float32Tolerance({ reductionSize, magnitude: dbetaMagnitude }),
  };
}

/**
 * The {@link ChannelScale} of every channel of BN input `x` with upstream gradient `dy`, normalized
 * with `mean` / `variance` (the batch's in training mode, the moving ones in inference mode).
 */
export function channelScales(x: DenseArray, dy: DenseArray, params: BnOracleParams, mean: ArrayLike<number>, variance: ArrayLike<number>, training: boolean): ChannelScale[] {
  const rank = x.shape.length;
  const axis = normalizeAxis(params.axis, rank);
  const channels = x.shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < rank; d++) inner *= x.shape[d];
  const reductionSize = x.values.length / channels;
  const maxAbsInput = channelMaxAbs(x, params.axis);
  const scales: ChannelScale[] = Array.from({ length: channels }, (_, c) => {
    const s = 1 / Math.sqrt(variance[c] + params.epsilon);
    return {
      s,
      gain: params.scale && params.gamma !== undefined ? Math.abs(params.gamma[c]) : 1,
      maxDy: 0,
      maxXhat: 0,
      sumAbsDy: 0,
      sumAbsDyXhat: 0,
      relativeMeanError: training ? float32MeanErrorBound(reductionSize, maxAbsInput[c]) * s : 0,
    };
  });
  for (let i = 0; i < x.values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const scale = scales[c];
    const xhat = Math.abs((x.values[i] - mean[c]) * scale.s);
    const g = Math.abs(dy.values[i]);
    scale.maxDy = Math.max(scale.maxDy, g);
    scale.maxXhat = Math.max(scale.maxXhat, xhat);
    scale.sumAbsDy += g;
    scale.sumAbsDyXhat += g * xhat;
  }
  return scales;
}

function judge(mode: GradientPartResult['mode'], part: GradientPart, actual: DenseArray, expected: DenseArray, tolerance: Tolerance): GradientPartResult {
  const c: Comparison = compareArrays(actual, expected, tolerance);
  return { mode, part, ok: c.ok, tolerance, maxAbsDiff: (c.ok || c.kind === 'values') && Number.isFinite(c.maxAbsDiff) ? c.maxAbsDiff : null, comparison: formatComparison(c) };
}

function variableOf(layer: Layer, suffix: string): Variable | null {
  const weight = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
  return weight === undefined ? null : (weight.read() as Variable);
}

/** Reads every tensor (awaited: webgpu's synchronous read is unreliable) and disposes it. */
async function readAll(tensors: Record<string, Tensor>): Promise<Record<string, DenseArray>> {
  const out: Record<string, DenseArray> = {};
  try {
    for (const [name, tensor] of Object.entries(tensors)) out[name] = await toDense(tensor);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return out;
}

/** A seeded upstream gradient dy ~ N(0, 1) of BN's output shape: the loss is Σ y·dy, so ∂L/∂y = dy. Exported for repro scripts, which inline it. */
export function upstreamGradient(shape: readonly number[], seed: number): DenseArray {
  const rng = createRng(deriveSeed(seed, 'dy'));
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return { shape: [...shape], values };
}

/**
 * Checks the gradients of one BN layer (and of the dense layer before it) against the float64
 * backward pass, in inference mode (moving statistics) and then in training mode (batch
 * statistics), for the loss L = Σ BN(z)·dy. Exported for tests.
 *
 * @throws whatever tfjs throws computing a gradient (tfjs#1773: a non-last channel axis), for the
 *   runner to turn into a verdict
 */
export async function checkBnGradients(bn: Layer, features: Layer | null, x: Tensor, z: Tensor, params: Omit<BnOracleParams, 'gamma' | 'beta'>, seed: number): Promise<GradientPartResult[]> {
  const gammaVar = params.scale ? variableOf(bn, 'gamma') : null;
  const betaVar = params.center ? variableOf(bn, 'beta') : null;
  const stats = await readAll({ mean: tf.clone(variableOf(bn, 'moving_mean') as Variable), variance: tf.clone(variableOf(bn, 'moving_variance') as Variable), ...(gammaVar !== null ? { gamma: tf.clone(gammaVar) } : {}) });
  const oracleParams: BnOracleParams = { ...params, ...(stats.gamma !== undefined ? { gamma: stats.gamma.values } : {}) };
  const zDense = await toDense(z);
  const xDense = await toDense(x);
  const dy = upstreamGradient(zDense.shape, seed);
  const dyTensor = tf.tensor(dy.values, [...dy.shape], 'float32');
  const kernelVar = features !== null ? variableOf(features, 'kernel') : null;
  const biasVar = features !== null ? variableOf(features, 'bias') : null;
  // The kernel's gradient is Σ_b x ⊗ dz only for a dense layer on rank-2 input.
  const denseBefore = features !== null && features.getClassName() === 'Dense' && x.shape.length === 2 && kernelVar !== null;
  const results: GradientPartResult[] = [];
  try {
    for (const mode of ['inference', 'training'] as const) {
      const training = mode === 'training';
      // Inference first: a training-mode call moves the moving statistics the inference gradient uses.
      const loss = (input: Tensor): Scalar => tf.sum(tf.mul(bn.apply(input, { training }) as Tensor, dyTensor));
      const bnVars = [gammaVar, betaVar].filter((v): v is Variable => v !== null);
      const tensors: Record<string, Tensor> = {};
      try {
        tensors.dx = tf.grad((input: Tensor) => loss(input))(z);
        if (bnVars.length > 0) {
          const { value, grads } = tf.variableGrads(() => loss(z), bnVars);
          value.dispose();
          if (gammaVar !== null) tensors.dgamma = grads[gammaVar.name];
          if (betaVar !== null) tensors.dbeta = grads[betaVar.name];
        }
        if (denseBefore && kernelVar !== null) {
          const denseVars = [kernelVar, ...(biasVar !== null ? [biasVar] : [])];
          const { value, grads } = tf.variableGrads(() => loss(features.apply(x) as Tensor), denseVars);
          value.dispose();
          tensors.kernel = grads[kernelVar.name];
          if (biasVar !== null) tensors.bias = grads[biasVar.name];
        }
      } catch (error) {
        // A gradient tfjs cannot compute is the verdict; the ones it already made are still ours to free.
        tf.dispose(Object.values(tensors));
        throw error;
      }
      const actual = await readAll(tensors);
      const moments = training ? batchMoments(zDense, params.axis) : { mean: stats.mean.values, variance: stats.variance.values };
      const expected: BnGradients = training ? bnTrainingBackward(zDense, dy, oracleParams) : bnInferenceBackward(zDense, dy, oracleParams, stats.mean.values, stats.variance.values);
      const channels = channelScales(zDense, dy, oracleParams, moments.mean, moments.variance, training);
      const reductionSize = zDense.values.length / channels.length;
      const tol = gradientTolerances(reductionSize, channels);
      const perChannel = [channels.length];
      results.push(judge(mode, 'dx', actual.dx, { shape: zDense.shape, values: expected.dx }, tol.dx));
      if (actual.dgamma !== undefined) results.push(judge(mode, 'dgamma', actual.dgamma, { shape: perChannel, values: expected.dgamma }, tol.dgamma));
      if (actual.dbeta !== undefined) results.push(judge(mode, 'dbeta', actual.dbeta, { shape: perChannel, values: expected.dbeta }, tol.dbeta));
      if (actual.kernel !== undefined) {
        // dW[i][j] = Σ_b x[b][i]·dz[b][j], db[j] = Σ_b dz[b][j], with dz the reference BN dx.
        const [batch, inputs] = xDense.shape;
        const units = zDense.shape[1];
        const kernel = new Float64Array(inputs * units);
        const bias = new Float64Array(units);
        let maxAbsTerm = 0;
        let maxAbsX = 0;
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < units; j++) bias[j] += expected.dx[b * units + j];
          for (let i = 0; i < inputs; i++) {
            const xi = xDense.values[b * inputs + i];
            maxAbsX = Math.max(maxAbsX, Math.abs(xi));
            for (let j = 0; j < units; j++) {
              kernel[i * units + j] += xi * expected.dx[b * units + j];
              maxAbsTerm = Math.max(maxAbsTerm, Math.abs(xi * expected.dx[b * units + j]));
            }
          }
        }
        // Sums over the batch (magnitude: batch times the largest term), whose dz factor also carries
        // the absolute error dx's tolerance allows.
        const kernelTol = float32Tolerance({ reductionSize: batch, magnitude: batch * maxAbsTerm });
        results.push(judge(mode, 'features/kernel', actual.kernel, { shape: [inputs, units], values: kernel }, { rtol: kernelTol.rtol, atol: kernelTol.atol + batch * maxAbsX * tol.dx.atol }));
        if (actual.bias !== undefined) {
          const biasTol = float32Tolerance({ reductionSize: batch, magnitude: batch * maxAbs(expected.dx) });
          results.push(judge(mode, 'features/bias', actual.bias, { shape: [units], values: bias }, { rtol: biasTol.rtol, atol: biasTol.atol + batch * tol.dx.atol }));
        }
      }
    }
  } finally {
    dyTensor.dispose();
  }
  return results;
}

/** Evidence of gradient-agreement: BN's input shape and how each gradient compared with the float64 backward pass. */
export const gradientAgreementEvidence = z
  .object({
    inputShape: shapeSchema,
    failed: z.array(z.string()),
    parts: z.array(
      z
        .object({
          mode: z.enum(['inference', 'training']),
          part: z.enum(['dx', 'dgamma', 'dbeta', 'features/kernel', 'features/bias']),
          ok: z.boolean(),
          tolerance: toleranceSchema,
          maxAbsDiff: measuredNumber,
          comparison: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * Invariant 11: the BN backward pass agrees with a float64 reference: ∂L/∂x, ∂L/∂γ, ∂L/∂β of the
 * layer in inference and training mode, and the gradient of the dense layer before it (through BN).
 */
export const gradientAgreement = defineInvariant({
  id: 'gradient-agreement',
  evidence: gradientAgreementEvidence,
  title: 'BN gradients agree with a float64 reference',
  contract:
    'Training mode: ∂L/∂β = Σdy, ∂L/∂γ = Σdy·x̂, ∂L/∂x = γ/sqrt(σ²+ε)·(dy - mean(dy) - x̂·mean(dy·x̂)) per channel (batch statistics depend on x); inference mode: ∂L/∂x = γ·dy/sqrt(v+ε). Agreement within float32 rounding.',
  async check(spec) {
    const unfrozen = { ...spec, freeze: 'none' as const, entryPoint: 'layerApply' as const };
    return withCase(unfrozen, async (run) => {
      const host = run.built.host;
      const features = spec.model.architecture === 'bn-only' ? null : (host.getLayer(LAYER_NAMES.features) as Layer);
      // The input of the layer before BN, and what BN sees: for a nested base the outer input is the base's.
      const z = bnInput(run);
      try {
        const { axis, epsilon, momentum, center, scale } = spec.model.bn;
        const parts = await checkBnGradients(run.built.bn, features, run.x, z, { axis, epsilon, momentum, center, scale }, spec.data.seed);
        const failed = parts.filter((p) => !p.ok);
        const evidence = { inputShape: z.shape, failed: failed.map((p) => `${p.mode} ${p.part}`), parts };
        if (failed.length === 0) return { status: 'pass', evidence };
        const fingerprint = fingerprintOf(failed.map((p) => `${p.mode} ${p.part}`), worstOverAllowance(failed));
        return { status: 'fail', summary: failed.map((p) => `${p.mode} ${p.part}: ${p.comparison}`).join('; '), evidence, fingerprint };
      } finally {
        z.dispose();
      }
    });
  },
});

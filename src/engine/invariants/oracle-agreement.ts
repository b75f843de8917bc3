import type { Tensor } from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { batchMoments, bnInferenceOutput, channelMaxAbs, bnTrainingOutput, movingStatsAfterTrainingCalls, type BnOracleParams } from '../oracle/batch-norm';
import { compareArrays, float32Tolerance, formatComparison, movingVarianceTolerance, trainingModeTolerance, type ChannelConditioning, type Comparison, type Tolerance, worstOverAllowance } from '../oracle/compare';
import { normalizeAxis, type DenseArray } from '../oracle/dense-array';
import { bnInput } from '../run/case-run';
import { withCase } from '../run/observe';
import { maxAbs, toDense } from '../run/tensor-data';
import { captureLayerSnapshot, weightKind, type WeightKind } from '../snapshot/snapshot';
import { tf } from '../tfjs';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { integer, measuredNumber, shapeSchema, toleranceSchema } from './evidence-parts';

/** The quantities compared with the oracle, in the order they are produced. */
export type OraclePart = 'inference' | 'training' | 'moving_mean' | 'moving_variance';

/** How one part compared with the float64 reference. */
export interface OraclePartResult {
  part: OraclePart;
  ok: boolean;
  tolerance: Tolerance;
  /** Largest |tfjs - oracle|; null when it is not finite (NaN or infinity on one side) or the shapes differ. */
  maxAbsDiff: number | null;
  /** Flat index of the first element out of tolerance; -1 when none is. */
  firstIndex: number;
  /** One-line description from {@link formatComparison}. */
  comparison: string;
}

function judgePart(part: OraclePart, actual: DenseArray, expected: DenseArray, tolerance: Tolerance): OraclePartResult {
  const c: Comparison = compareArrays(actual, expected, tolerance);
  return {
    part,
    ok: c.ok,
    tolerance,
    maxAbsDiff: (c.ok || c.kind === 'values') && Number.isFinite(c.maxAbsDiff) ? c.maxAbsDiff : null,
    firstIndex: !c.ok && c.kind === 'values' ? c.firstIndex : -1,
    comparison: formatComparison(c),
  };
}

/** The layer's current weights by role; a role the layer lacks (center/scale false) is absent. */
async function weightsByKind(bn: Layer): Promise<Partial<Record<WeightKind, Float32Array>>> {
  const byKind: Partial<Record<WeightKind, Float32Array>> = {};
  for (const weight of Object.values((await captureLayerSnapshot(bn)).weights)) byKind[weightKind(weight.name)] = weight.values;
  return byKind;
}

/** Runs one forward pass of the layer and copies its output out; every tensor made is disposed. */
async function forward(bn: Layer, input: Tensor, training: boolean): Promise<DenseArray> {
  // tidy keeps the returned output alive; everything the call made besides it is released.
  const output = tf.tidy(() => bn.apply(input, { training }) as Tensor);
  try {
    return await toDense(output);
  } finally {
    output.dispose();
  }
}

/**
 * Checks a built BN layer against the float64 oracle on one input, in three parts:
 * (a) the inference-mode output against {@link bnInferenceOutput} with the layer's moving statistics;
 * (b) the output of the first training-mode call against {@link bnTrainingOutput};
 * (c) the moving statistics after `trainingCalls` training-mode calls in total (the call of (b)
 *     counts as the first) against {@link movingStatsAfterTrainingCalls}.
 *
 * `params` is the configuration the layer was asked for (axis, epsilon, momentum, center, scale);
 * gamma, beta and the initial moving statistics are read from the layer itself. The layer's moving
 * statistics are changed by the training calls. Exported so tests can feed it a wrong configuration
 * and see it fail.
 *
 * @throws whatever the layer throws (tfjs 4.22 throws a TypeError in training mode with center or
 *   scale false; that must reach the runner as an error, so it is not caught here), and Error when
 *   the layer lacks a weight its configuration requires
 */
export async function checkBnAgainstOracle(bn: Layer, input: Tensor, params: Omit<BnOracleParams, 'gamma' | 'beta'>, trainingCalls: number): Promise<OraclePartResult[]> {
  if (!Number.isInteger(trainingCalls) || trainingCalls < 1) throw new RangeError(`checkBnAgainstOracle: trainingCalls ${trainingCalls}; allowed: integer >= 1`);
  const x = await toDense(input);
  const channels = x.shape[normalizeAxis(params.axis, x.shape.length)];
  // N of the oracle: the elements each channel's mean and variance reduce over.
  const reductionSize = Math.max(1, x.values.length / channels);

  const initial = await weightsByKind(bn);
  const { moving_mean: movingMean, moving_variance: movingVariance } = initial;
  if (movingMean === undefined || movingVariance === undefined) throw new Error(`layer '${bn.name}' has no moving_mean/moving_variance weights`);
  if (params.scale && initial.gamma === undefined) throw new Error(`layer '${bn.name}' was built with scale: true but has no gamma weight`);
  if (params.center && initial.beta === undefined) throw new Error(`layer '${bn.name}' was built with center: true but has no beta weight`);
  const oracleParams: BnOracleParams = { ...params, gamma: initial.gamma, beta: initial.beta };
  const toleranceFor = (reference: ArrayLike<number>, atLeast = 0) => float32Tolerance({ reductionSize, magnitude: Math.max(maxAbs(reference), atLeast) });
  const asArray = (values: Float64Array | Float32Array, shape: readonly number[]): DenseArray => ({ shape, values });

  const results: OraclePartResult[] = [];

  // (a) Inference first: any training-mode call would move the statistics it reads.
  const inferenceExpected = bnInferenceOutput(x, oracleParams, movingMean, movingVariance);
  results.push(judgePart('inference', await forward(bn, input, false), asArray(inferenceExpected, x.shape), toleranceFor(inferenceExpected)));

  // Training mode divides the float32 batch mean's rounding error by sqrt(σ² + ε): how much that
  // amplifies depends on the batch, so those tolerances are derived from it (trainingModeTolerance).
  const moments = batchMoments(x, params.axis);
  const maxAbsPerChannel = channelMaxAbs(x, params.axis);
  const conditioning: ChannelConditioning[] = Array.from(moments.variance, (variance, c) => ({
    maxAbsInput: maxAbsPerChannel[c],
    variance,
    gain: params.scale && initial.gamma !== undefined ? Math.abs(initial.gamma[c]) : 1,
  }));
  const conditioned = { reductionSize, epsilon: params.epsilon, channels: conditioning };

  // (b) The first training call: batch statistics, and moving update number 1.
  const trainingExpected = bnTrainingOutput(x, oracleParams);
  results.push(judgePart('training', await forward(bn, input, true), asArray(trainingExpected, x.shape), trainingModeTolerance({ ...conditioned, magnitude: maxAbs(trainingExpected) })));

  // (c) The remaining calls on the same batch, then the moving statistics.
  for (let call = 2; call <= trainingCalls; call++) {
    tf.tidy(() => {
      tf.dispose(bn.apply(input, { training: true }) as Tensor);
    });
  }
  const after = await weightsByKind(bn);
  const expected = movingStatsAfterTrainingCalls(new Array<DenseArray>(trainingCalls).fill(x), oracleParams, { movingMean, movingVariance });
  const statShape = [channels];
  // The moving mean's rounding errors scale with the inputs being averaged (and the old mean being
  // decayed), not with the mean itself, which may be near zero while |x| is large.
  const meanMagnitude = Math.max(maxAbs(x.values), maxAbs(movingMean));
  results.push(judgePart('moving_mean', asArray(after.moving_mean ?? new Float32Array(0), statShape), asArray(expected.movingMean, statShape), toleranceFor(expected.movingMean, meanMagnitude)));
  // The variance's errors scale with the variances being averaged: the batch's and the old moving one.
  const varianceMagnitude = Math.max(maxAbs(moments.variance), maxAbs(movingVariance));
  results.push(
    judgePart(
      'moving_variance',
      asArray(after.moving_variance ?? new Float32Array(0), statShape),
      asArray(expected.movingVariance, statShape),
      movingVarianceTolerance({ ...conditioned, magnitude: Math.max(maxAbs(expected.movingVariance), varianceMagnitude) }),
    ),
  );
  return results;
}

const oraclePart = z.enum(['inference', 'training', 'moving_mean', 'moving_variance']);

/** Evidence of oracle-agreement: BN's input shape and how each part compared with the float64 oracle. */
export const oracleAgreementEvidence = z
  .object({
    inputShape: shapeSchema,
    trainingCalls: integer,
    failed: z.array(oraclePart),
    parts: z.array(z.object({ part: oraclePart, ok: z.boolean(), tolerance: toleranceSchema, maxAbsDiff: measuredNumber, firstIndex: integer, comparison: z.string() }).strict()),
  })
  .strict();

/**
 * Invariant 5: the BN layer computes what the textbook formulas say, in both modes and in its
 * moving-statistics update. Uses the case's BN layer directly, on the tensor the case feeds it;
 * the case's freeze target and entry point do not apply (it is built unfrozen, so that this check
 * is about arithmetic, not about the `trainable` semantics the frozen-* invariants judge).
 */
export const oracleAgreement = defineInvariant({
  id: 'oracle-agreement',
  evidence: oracleAgreementEvidence,
  title: 'BN agrees with a float64 reference',
  contract:
    'Keras/tfjs BN: inference y = γ(x-m)/sqrt(v+ε)+β with the moving statistics; training y = γ(x-μ)/sqrt(σ²+ε)+β with the batch mean and biased variance; each training call updates moving ← moving·momentum + batch·(1-momentum). Agreement within float32 rounding.',
  async check(spec) {
    const unfrozen = { ...spec, freeze: 'none' as const, entryPoint: 'layerApply' as const };
    return withCase(unfrozen, async (run) => {
      const input = bnInput(run);
      let parts: OraclePartResult[];
      try {
        const { axis, epsilon, momentum, center, scale } = spec.model.bn;
        parts = await checkBnAgainstOracle(run.built.bn, input, { axis, epsilon, momentum, center, scale }, Math.max(1, spec.steps));
      } finally {
        input.dispose();
      }
      const failed = parts.filter((p) => !p.ok);
      const evidence = { inputShape: input.shape, trainingCalls: Math.max(1, spec.steps), failed: failed.map((p) => p.part), parts };
      if (failed.length === 0) return { status: 'pass', evidence };
      return { status: 'fail', summary: failed.map((p) => `${p.part}: ${p.comparison}`).join('; '), evidence, fingerprint: fingerprintOf(failed.map((p) => p.part), worstOverAllowance(failed)) };
    });
  },
});

import type { Tensor } from '@tensorflow/tfjs-core';
import { compareArrays, float32Tolerance, formatComparison } from '../oracle/compare';
import { withCase } from '../run/observe';
import { accuracy, argmaxRows, maxAbs, toDense } from '../run/tensor-data';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { measuredNumber, toleranceSchema } from './evidence-parts';

/** Evidence of mode-switch: how far training-mode output is from inference-mode output, and accuracies with labels. */
export const modeSwitchEvidence = z
  .object({
    maxAbsDiff: measuredNumber,
    tolerance: toleranceSchema,
    trainingAccuracy: measuredNumber,
    inferenceAccuracy: measuredNumber,
    accuracyGap: measuredNumber,
    comparison: z.string(),
  })
  .strict();

/**
 * Invariant 4: for a frozen BN, a forward pass in training mode gives the inference-mode output.
 * Inference runs first: in tfjs a training-mode call also moves the moving statistics, and the
 * comparison must be between the two modes on the same weights.
 */
export const modeSwitch = defineInvariant({
  id: 'mode-switch',
  evidence: modeSwitchEvidence,
  title: 'frozen BN gives the same output in training and inference mode',
  contract:
    'tf.keras (TF2) and Keras 3 run a frozen BN in inference mode even when the model is called with training=true, so switching modes changes nothing; the accuracy gap on labelled data is zero.',
  async check(spec) {
    return withCase(spec, async (run) => {
      const model = run.built.model;
      const inferenceTensor = model.predict(run.x) as Tensor;
      const inference = await toDense(inferenceTensor);
      inferenceTensor.dispose();
      const trainingTensor = model.apply(run.x, { training: true }) as Tensor;
      const training = await toDense(trainingTensor);
      trainingTensor.dispose();

      // The input size bounds the per-channel reduction of every BN in the model from above.
      const tolerance = float32Tolerance({ reductionSize: run.x.size, magnitude: maxAbs(inference.values) });
      const comparison = compareArrays(training, inference, tolerance);
      const hasLabels = run.labels.length > 0;
      const inferenceAccuracy = hasLabels ? accuracy(argmaxRows(inference), run.labels) : null;
      const trainingAccuracy = hasLabels ? accuracy(argmaxRows(training), run.labels) : null;
      const evidence = {
        maxAbsDiff: comparison.ok || comparison.kind === 'values' ? comparison.maxAbsDiff : null,
        tolerance,
        trainingAccuracy,
        inferenceAccuracy,
        accuracyGap: hasLabels ? Math.abs((trainingAccuracy ?? 0) - (inferenceAccuracy ?? 0)) : null,
        comparison: formatComparison(comparison),
      };
      if (comparison.ok) return { status: 'pass', evidence };
      // How many allowances over: the part is the kind of difference (values, shape, NaN...).
      const over = !comparison.ok && comparison.kind === 'values' ? comparison.maxAbsDiff / Math.max(tolerance.atol, Number.MIN_VALUE) : null;
      const fingerprint = fingerprintOf([`output ${comparison.ok ? 'values' : comparison.kind}`], over);
      return { status: 'fail', summary: `training-mode output differs from inference-mode output with BN frozen: ${formatComparison(comparison)}`, evidence, fingerprint };
    });
  },
});

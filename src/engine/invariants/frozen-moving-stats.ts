import { diffKinds, observeTraining } from '../run/observe';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { weightDiffSchema } from './evidence-parts';

/** Evidence of frozen-moving-stats: the statistics that moved (a failure) and those that did not. */
export const frozenMovingStatsEvidence = z.object({ moved: z.array(weightDiffSchema).optional(), unchanged: z.array(z.string()) }).strict();

/** Invariant 1: training a model whose BN is frozen leaves the moving mean and variance alone. */
export const frozenMovingStats = defineInvariant({
  id: 'frozen-moving-stats',
  evidence: frozenMovingStatsEvidence,
  title: 'frozen BN keeps its moving statistics',
  contract:
    'tf.keras (TF2) and Keras 3 run a BN layer with trainable=false in inference mode: training through any entry point (fit, trainOnBatch, a custom loop, a direct call with training=true, a frozen nested base) must not update moving_mean or moving_variance.',
  async check(spec) {
    const observation = await observeTraining(spec);
    const diff = diffKinds(observation, ['moving_mean', 'moving_variance']);
    if (diff.moved.length === 0) return { status: 'pass', evidence: { unchanged: diff.unchanged } };
    const worst = diff.moved.reduce((a, b) => (b.maxAbsDiff > a.maxAbsDiff ? b : a));
    return {
      status: 'fail',
      summary: `${diff.moved.map((w) => w.name).join(', ')} moved after ${spec.steps} ${spec.entryPoint} step(s) with BN frozen (max abs drift ${worst.maxAbsDiff.toPrecision(4)} in ${worst.name}[${worst.firstIndex}]: ${worst.before} -> ${worst.after})`,
      evidence: { moved: diff.moved, unchanged: diff.unchanged },
      fingerprint: fingerprintOf(diff.moved.map((w) => w.name), Math.max(...diff.moved.map((w) => w.maxRelDiff))),
    };
  },
});

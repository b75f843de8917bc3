import { diffKinds, observeTraining } from '../run/observe';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';

/** Invariant 2: training a model whose BN is frozen leaves gamma and beta alone. */
export const frozenGammaBeta = defineInvariant({
  id: 'frozen-gamma-beta',
  title: 'frozen BN keeps gamma and beta',
  contract: 'A layer with trainable=false contributes no trainable weights: no optimizer step may change its gamma or beta.',
  async check(spec) {
    const observation = await observeTraining(spec);
    const diff = diffKinds(observation, ['gamma', 'beta']);
    if (diff.moved.length === 0) return { status: 'pass', evidence: { unchanged: diff.unchanged } };
    return {
      status: 'fail',
      summary: `${diff.moved.map((w) => w.name).join(', ')} changed after ${spec.steps} ${spec.entryPoint} step(s) with BN frozen`,
      evidence: { moved: diff.moved },
      // Relative drift: scale-free, so one band covers every data scale the generator draws.
      fingerprint: fingerprintOf(diff.moved.map((w) => w.name), Math.max(...diff.moved.map((w) => w.maxRelDiff))),
    };
  },
});

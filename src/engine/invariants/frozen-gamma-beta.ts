import { compilesBeforeTraining, trainCase } from '../run/case-run';
import { withCase } from '../run/observe';
import { UnsupportedCaseError } from '../run/verdict';
import { captureSnapshot, diffSnapshots, weightKind } from '../snapshot/snapshot';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import type { CaseSpec } from '../run/case-spec';
import { z } from 'zod';
import { weightDiffSchema } from './evidence-parts';

/** Evidence of frozen-gamma-beta: gamma/beta that changed (a failure), or those that did not. */
export const frozenGammaBetaEvidence = z.union([z.object({ moved: z.array(weightDiffSchema) }).strict(), z.object({ unchanged: z.array(z.string()) }).strict()]);

/**
 * The gamma and beta weights (of `weights`, snapshot keys) a case holds still. A case that freezes
 * after compiling and never recompiles is `stale` for `fit` and `trainOnBatch`: what compile saw
 * as trainable (`compiledTrainable`), the step may still train, so only the rest is judged.
 * Exported for repro scripts, which judge the same weights.
 */
export function judgedGammaBeta(spec: CaseSpec, weights: readonly string[], compiledTrainable: readonly string[] | null): { stale: boolean; judged: string[] } {
  const affine = weights.filter((name) => ['gamma', 'beta'].includes(weightKind(name)));
  const stale = spec.freeze !== 'none' && !compilesBeforeTraining(spec) && (spec.entryPoint === 'fit' || spec.entryPoint === 'trainOnBatch');
  return { stale, judged: stale ? affine.filter((name) => !(compiledTrainable ?? []).includes(name)) : affine };
}

/**
 * Invariant 2: training a model whose BN is frozen leaves gamma and beta alone. By the Keras rule a
 * `trainable` change reaches `fit` and `trainOnBatch` at the next `compile`, so a case that freezes
 * after compiling and never recompiles has no frozen gamma or beta to hold tfjs to there: it is
 * reported unsupported (trainable-bookkeeping checks that such a step trains only what compile saw).
 */
export const frozenGammaBeta = defineInvariant({
  id: 'frozen-gamma-beta',
  evidence: frozenGammaBetaEvidence,
  title: 'frozen BN keeps gamma and beta',
  contract: 'A layer with trainable=false contributes no trainable weights: no optimizer step after the next compile (or, in a custom loop, taking the trainable weights then) may change its gamma or beta.',
  async check(spec, context) {
    return withCase(spec, async (run) => {
      const before = await captureSnapshot(run.built.model);
      const { stale, judged } = judgedGammaBeta(spec, Object.keys(before.weights), run.compiledTrainable);
      if (stale && judged.length === 0) {
        throw new UnsupportedCaseError(`frozen-gamma-beta: the freeze came after compile and nothing recompiled, so by the Keras rule ${spec.entryPoint} still trains gamma and beta`, context.backend);
      }
      await trainCase(run);
      const diff = diffSnapshots(before, await captureSnapshot(run.built.model), (name) => judged.includes(name));
      if (diff.moved.length === 0) return { status: 'pass', evidence: { unchanged: diff.unchanged } };
      return {
        status: 'fail',
        summary: `${diff.moved.map((w) => w.name).join(', ')} changed after ${spec.steps} ${spec.entryPoint} step(s) with BN frozen`,
        evidence: { moved: diff.moved },
        // Relative drift: scale-free, so one band covers every data scale the generator draws.
        fingerprint: fingerprintOf(diff.moved.map((w) => w.name), Math.max(...diff.moved.map((w) => w.maxRelDiff))),
      };
    });
  },
});

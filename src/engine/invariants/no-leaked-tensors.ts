import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tfjs';
import { prepareCase, disposeCase, trainCase, type CaseDisposal } from '../run/case-run';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { integer } from './evidence-parts';

/** Evidence of no-leaked-tensors: tensor counts around the case, what dispose() left and whether it threw. */
export const noLeakedTensorsEvidence = z.object({ before: integer, after: integer, leaked: integer, leftByDispose: integer, disposeThrew: z.string().nullable() }).strict();

/**
 * Invariant 9: building, training, predicting and disposing a case leaves no tensor behind. The
 * models are disposed as a user would (`model.dispose()`, then the model sharing its layers, if
 * any); what that leaves alive, or a throw from it, is tfjs's fault and fails the case. bn-suite
 * then frees the leftovers itself, so they count once and never weigh on the next case.
 */
export const noLeakedTensors = defineInvariant({
  id: 'no-leaked-tensors',
  evidence: noLeakedTensorsEvidence,
  title: 'no leaked tensors',
  contract: 'After a model and its optimizer are disposed, tf.memory().numTensors is back where it started; disposing every model that shares a layer is allowed and frees it.',
  async check(spec) {
    const before = tf.memory().numTensors;
    const run = await prepareCase(spec);
    let disposal: CaseDisposal | null = null;
    try {
      await trainCase(run);
      tf.dispose(run.built.model.predict(run.x) as Tensor);
    } finally {
      disposal = disposeCase(run);
    }
    const after = tf.memory().numTensors;
    const { leftBehind, thrown } = disposal;
    const evidence = { before, after, leaked: after - before, leftByDispose: leftBehind, disposeThrew: thrown };
    const problems: Array<[part: string, sentence: string]> = [];
    if (thrown !== null) problems.push(['dispose() throws', `dispose() threw "${thrown}"`]);
    if (leftBehind > 0) problems.push(['weights left by dispose()', `dispose() left ${leftBehind} weight(s) alive`]);
    if (after !== before) problems.push(['tensors leaked', `${after - before} tensor(s) leaked by ${spec.entryPoint} (${before} before, ${after} after dispose)`]);
    if (problems.length === 0) return { status: 'pass', evidence };
    const magnitude = leftBehind + Math.max(0, after - before);
    return { status: 'fail', summary: problems.map(([, sentence]) => sentence).join('; '), evidence, fingerprint: fingerprintOf(problems.map(([part]) => part), magnitude) };
  },
});

import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tfjs';
import { prepareCase, disposeCase, trainCase } from '../run/case-run';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';

/** Invariant 9: building, training, predicting and disposing a case leaves no tensor behind. */
export const noLeakedTensors = defineInvariant({
  id: 'no-leaked-tensors',
  title: 'no leaked tensors',
  contract: 'After a model and its optimizer are disposed, tf.memory().numTensors is back where it started.',
  async check(spec) {
    const before = tf.memory().numTensors;
    const run = prepareCase(spec);
    try {
      await trainCase(run);
      tf.dispose(run.built.model.predict(run.x) as Tensor);
    } finally {
      disposeCase(run);
    }
    const after = tf.memory().numTensors;
    const evidence = { before, after, leaked: after - before };
    if (after === before) return { status: 'pass', evidence };
    return { status: 'fail', summary: `${after - before} tensor(s) leaked by ${spec.entryPoint} (${before} before, ${after} after dispose)`, evidence, fingerprint: fingerprintOf([`${spec.entryPoint} tensors`], after - before) };
  },
});

import type { Tensor } from '@tensorflow/tfjs-core';
import { captureSnapshot, diffSnapshots } from '../snapshot/snapshot';
import { tf } from '../tfjs';
import { compileCase } from '../run/case-run';
import { withCase } from '../run/observe';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';

/** Evidence of inference-purity: the calls made (a pass), or the weights each offending call moved. */
export const inferencePurityEvidence = z.union([z.object({ calls: z.array(z.string()) }).strict(), z.object({ movedBy: z.record(z.string(), z.array(z.string())) }).strict()]);

/** Invariant 3: inference entry points never change a weight. */
export const inferencePurity = defineInvariant({
  id: 'inference-purity',
  evidence: inferencePurityEvidence,
  title: 'inference changes no weight',
  contract: 'predict, evaluate, execute and apply(x, {training: false}) are pure: no weight, moving statistics included, may change.',
  async check(spec) {
    return withCase(spec, async (run) => {
      const model = run.built.model;
      compileCase(run);
      const calls: Record<string, () => void> = {
        predict: () => tf.dispose(model.predict(run.x) as Tensor),
        evaluate: () => tf.dispose(model.evaluate(run.x, run.y) as Tensor | Tensor[]),
        'apply(training=false)': () => tf.dispose(model.apply(run.x, { training: false }) as Tensor),
        execute: () => tf.dispose(model.execute(run.x, model.outputs[0].name) as Tensor),
      };
      const movedBy: Record<string, string[]> = {};
      // Every call is checked even when an earlier one throws: a tfjs error in one entry point
      // (execute on a model with a nested or shared layer) must not hide a weight another one moves.
      let firstThrown: { call: string; error: unknown } | null = null;
      for (const [call, invoke] of Object.entries(calls)) {
        const before = await captureSnapshot(model);
        try {
          invoke();
        } catch (error) {
          firstThrown ??= { call, error };
        }
        const diff = diffSnapshots(before, await captureSnapshot(model));
        if (diff.moved.length > 0) movedBy[call] = diff.moved.map((w) => w.name);
      }
      const offenders = Object.keys(movedBy);
      if (offenders.length === 0) {
        if (firstThrown !== null) throw firstThrown.error;
        return { status: 'pass', evidence: { calls: Object.keys(calls) } };
      }
      const parts = Object.entries(movedBy).flatMap(([call, names]) => names.map((name) => `${call} ${name}`));
      const threw = firstThrown === null ? '' : `; ${firstThrown.call} also threw`;
      return { status: 'fail', summary: `${offenders.join(', ')} changed weights: ${JSON.stringify(movedBy)}${threw}`, evidence: { movedBy }, fingerprint: fingerprintOf(parts, null) };
    });
  },
});

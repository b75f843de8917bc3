/**
 * jest matchers on a user's own model, built on the audit:
 *
 * - `await expect(model).toKeepFrozenBatchNormStatistics(x, y)`: fine-tuning the model (frozen as
 *   it is) for a few steps leaves the moving statistics of its frozen BN layers unchanged;
 * - `await expect(model).toGiveTheSameOutputInBothModes(x)`: a training-mode call (what `fit` runs)
 *   gives the same output as `predict`;
 * - `await expect(model).toBeInferencePure(x)`: `predict` changes no BN weight.
 *
 * A failure message names the BN layers with the values before and after. The model is left as it
 * was found (weights, flags); the matchers dispose every tensor they make.
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { auditModel, keepingMovingStats, type AuditOptions } from '../../engine/audit/audit-model';
import { findBatchNormLayers, isFrozen } from '../../engine/audit/bn-layers';
import type { AuditEvidence } from '../../engine/audit/evidence';
import type { FloatBatch } from '../../engine/data/generators';
import { tf, tfl } from '../../engine/tfjs';

/** Samples: a tensor, or a row-major `{ shape, values }` batch. */
export type MatcherSamples = Tensor | FloatBatch;
/** Labels: class indices (an array or a 1-D tensor) or one-hot rows (a 2-D tensor). */
export type MatcherLabels = Tensor | ArrayLike<number>;
/** How the matchers fine-tune: steps (default 5), batch size (default 32), seed, learning rate. */
export type MatcherOptions = Pick<AuditOptions, 'steps' | 'batchSize' | 'seed' | 'learningRate'>;

/** What a jest matcher returns. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

const isTensor = (value: unknown): value is Tensor => value instanceof tf.Tensor;

async function samplesOf(x: MatcherSamples): Promise<FloatBatch> {
  if (!isTensor(x)) return x;
  const values = await x.data();
  return { shape: [...x.shape], values: values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>) };
}

async function labelsOf(y: MatcherLabels | undefined): Promise<number[] | null> {
  if (y === undefined) return null;
  if (!isTensor(y)) return Array.from(y);
  const indices = y.rank === 2 ? tf.argMax(y, -1) : y;
  try {
    return Array.from(await indices.data());
  } finally {
    if (indices !== y) indices.dispose();
  }
}

function assertModel(received: unknown, matcher: string): asserts received is LayersModel {
  if (!(received instanceof tfl.LayersModel)) throw new TypeError(`${matcher}: expected a tfjs-layers LayersModel, received ${received === null ? 'null' : typeof received}`);
}

const show = (v: number | null) => (v === null ? 'NaN' : Number(v.toPrecision(6)).toString());
const worstText = (w: AuditEvidence<'moving-stats'>['layers'][number]['worst']) => (w === null ? '' : `${w.weight}[${w.index}] ${show(w.before)} -> ${show(w.after)}`);

/** The matchers, for `expect.extend`. */
export const bnSuiteMatchers = {
  async toKeepFrozenBatchNormStatistics(received: unknown, x: MatcherSamples, y?: MatcherLabels, options: MatcherOptions = {}): Promise<MatcherResult> {
    assertModel(received, 'toKeepFrozenBatchNormStatistics');
    const frozen = findBatchNormLayers(received).filter(isFrozen);
    if (frozen.length === 0) {
      return { pass: false, message: () => `model '${received.name}' has no frozen BN layer, so there is nothing to keep: freeze its base (base.trainable = false) first` };
    }
    const report = await auditModel(received, { ...options, freeze: { kind: 'as-is' }, x: await samplesOf(x), labels: await labelsOf(y), source: 'jest' });
    const rows = report.checks['moving-stats'].evidence.layers.filter((r) => r.frozen);
    const moved = rows.filter((r) => r.holds === false);
    return {
      pass: moved.length === 0,
      message: () =>
        moved.length === 0
          ? `expected fine-tuning to move the moving statistics of a frozen BN layer of '${received.name}', but all ${rows.length} stayed unchanged over ${report.context.steps} steps`
          : `expected the ${rows.length} frozen BN layers of '${received.name}' to keep their moving statistics over ${report.context.steps} fine-tuning steps, but ${moved.length} moved:\n` +
            moved.map((r) => `  ${r.path}: ${worstText(r.worst)} (max |drift|: mean ${show(r.meanDrift)}, variance ${show(r.varianceDrift)})`).join('\n') +
            '\ntfjs runs a frozen BatchNormalization layer in training mode during fit; freezeForFineTuning(base) from bn-suite gives it the Keras 3 behaviour.',
    };
  },

  async toGiveTheSameOutputInBothModes(received: unknown, x: MatcherSamples): Promise<MatcherResult> {
    assertModel(received, 'toGiveTheSameOutputInBothModes');
    const batch = await samplesOf(x);
    const input = tf.tensor(batch.values, batch.shape, 'float32');
    let gap: number;
    let tolerance: number;
    try {
      // A training-mode call moves BN statistics in tfjs; they are put back afterwards.
      [gap, tolerance] = await keepingMovingStats(findBatchNormLayers(received), async () => {
        const training = received.apply(input, { training: true }) as Tensor;
        const inference = received.predict(input) as Tensor;
        try {
          const measured = tf.tidy(() => [tf.max(tf.abs(tf.sub(training, inference))), tf.max(tf.abs(inference))]);
          const [g, m] = await Promise.all(measured.map(async (t) => (await t.data())[0]));
          tf.dispose(measured);
          return [g, 1e-5 * (1 + m)] as [number, number];
        } finally {
          tf.dispose([training, inference]);
        }
      });
    } finally {
      input.dispose();
    }
    const pass = gap <= tolerance;
    if (pass) return { pass, message: () => `expected '${received.name}' to give a different output in training mode than in inference mode, but the largest difference is ${show(gap)}` };
    const report = await auditModel(received, { freeze: { kind: 'as-is' }, x: batch, steps: 0, source: 'jest' });
    const layers = [...report.checks['mode-gap'].evidence.layers].sort((a, b) => (b.gap ?? Infinity) - (a.gap ?? Infinity)).filter((r) => (r.gap ?? 1) > 0);
    return {
      pass,
      message: () =>
        `expected '${received.name}' to give the same output in training mode (as fit runs it) and inference mode (predict), but they differ by up to ${show(gap)} (tolerance ${show(tolerance)}). BN layers that normalize differently:\n` +
        layers.slice(0, 10).map((r) => `  ${r.path}${r.frozen ? ' (frozen)' : ''}: max |training - inference| ${show(r.gap)}`).join('\n'),
    };
  },

  async toBeInferencePure(received: unknown, x: MatcherSamples): Promise<MatcherResult> {
    assertModel(received, 'toBeInferencePure');
    const report = await auditModel(received, { freeze: { kind: 'as-is' }, x: await samplesOf(x), steps: 0, source: 'jest' });
    const changed = report.checks.purity.evidence.layers.filter((r) => r.holds === false);
    return {
      pass: changed.length === 0,
      message: () =>
        changed.length === 0
          ? `expected predict to change a BN weight of '${received.name}', but none changed`
          : `expected predict to leave every BN weight of '${received.name}' alone, but it changed ${changed.length} BN layers:\n` + changed.map((r) => `  ${r.path}: ${worstText(r.worst)}`).join('\n'),
    };
  },
};

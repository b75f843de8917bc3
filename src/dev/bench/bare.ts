/**
 * The bench's baseline: what a hand-written tfjs script does to check one frozen-BN fit case, with
 * none of bn-suite's machinery (no withSeed, no snapshot objects, no diffing, no verdicts, no backend
 * re-activation). It builds the same model with the same seeded initializers, trains it on the same
 * data with the same fit arguments, reads every weight before and after, and compares the moving
 * statistics.
 *
 * Data comes from bn-suite's generators, with the seeds prepareCase derives, so both sides feed
 * byte-identical inputs: generating data is workload, not harness overhead.
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import { gaussianBlobs } from '../../engine/data/generators';
import { createRng, deriveSeed } from '../../engine/data/rng';
import type { CaseSpec } from '../../engine/run/case-spec';
import { tf, tfl } from '../../hosts/node/tfjs';

/** Throws unless the case is one the bare script reproduces: a flat, un-nested dense MLP with BN frozen, trained by fit. */
export function assertBareSupported(spec: CaseSpec): void {
  const m = spec.model;
  const problems: string[] = [];
  if (m.architecture !== 'dense') problems.push(`architecture '${m.architecture}' (need 'dense')`);
  if (m.inputShape.length !== 1) problems.push(`inputShape ${JSON.stringify(m.inputShape)} (need rank 2, one per-sample dim)`);
  if (m.nested) problems.push('nested model');
  if (spec.freeze !== 'bn') problems.push(`freeze '${spec.freeze}' (need 'bn')`);
  if (spec.entryPoint !== 'fit') problems.push(`entry point '${spec.entryPoint}' (need 'fit')`);
  if (m.classes < 1) problems.push(`classes ${m.classes} (need a softmax head)`);
  if (problems.length > 0) throw new RangeError(`bare bench case not supported: ${problems.join('; ')}`);
}

/** Runs one case the plain-tfjs way; returns true when the frozen BN's moving statistics moved. */
export async function runBareCase(spec: CaseSpec): Promise<boolean> {
  assertBareSupported(spec);
  const m = spec.model;
  const seedOf = (label: string) => deriveSeed(m.seed, label);

  // The model: dense -> batchNormalization -> dense softmax, with the suite's layer names and seeds.
  const input = tfl.input({ shape: m.inputShape });
  const hidden = tfl.layers
    .dense({ units: m.hiddenUnits, name: 'features', kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('features') }) })
    .apply(input) as SymbolicTensor;
  const bn = tfl.layers.batchNormalization({
    name: 'bn',
    axis: m.bn.axis,
    momentum: m.bn.momentum,
    epsilon: m.bn.epsilon,
    center: m.bn.center,
    scale: m.bn.scale,
    gammaInitializer: tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seedOf('gamma') }),
    betaInitializer: tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seedOf('beta') }),
    movingMeanInitializer: tfl.initializers.constant({ value: m.bn.movingMeanInit }),
    movingVarianceInitializer: tfl.initializers.constant({ value: m.bn.movingVarianceInit }),
  });
  const normalized = bn.apply(hidden) as SymbolicTensor;
  const output = tfl.layers
    .dense({ units: m.classes, activation: 'softmax', name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('head') }) })
    .apply(normalized) as SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  bn.trainable = false;
  const optimizer = tf.train.sgd(spec.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });

  // The data.
  const batch = spec.data.batch;
  const features = gaussianBlobs({
    shape: [batch, ...m.inputShape],
    channelAxis: -1,
    mean: spec.data.mean,
    scale: spec.data.scale,
    seed: deriveSeed(spec.data.seed, 'x'),
  });
  const rng = createRng(deriveSeed(spec.data.seed, 'labels'));
  const oneHot = new Float32Array(batch * m.classes);
  for (let i = 0; i < batch; i++) oneHot[i * m.classes + rng.int(m.classes)] = 1;
  const x: Tensor = tf.tensor(features.values, features.shape, 'float32');
  const y: Tensor = tf.tensor2d(oneHot, [batch, m.classes]);

  try {
    // The snapshots: every weight, copied out of the backend, before and after.
    const readAll = () => model.weights.map((w) => (w.read().dataSync() as Float32Array).slice());
    const before = readAll();
    if (spec.steps > 0) await model.fit(x, y, { epochs: spec.steps, batchSize: batch, shuffle: true, verbose: 0 });
    const after = readAll();

    // The check: did moving_mean or moving_variance change?
    let moved = false;
    model.weights.forEach((w, i) => {
      const name = w.originalName;
      if (!name.endsWith('moving_mean') && !name.endsWith('moving_variance')) return;
      const a = before[i];
      const b = after[i];
      for (let j = 0; j < a.length; j++) {
        if (a[j] !== b[j] && !(Number.isNaN(a[j]) && Number.isNaN(b[j]))) {
          moved = true;
          return;
        }
      }
    });
    return moved;
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}

import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { preparing } from './preparation';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { gaussianBlobs, oneHot } from '../data/generators';
import { createRng, deriveSeed } from '../data/rng';
import { buildModel, freeze, type BuiltModel } from '../models/build';
import { tf, tfl } from '../tfjs';
import type { CaseSpec } from './case-spec';

/** A case made concrete on the active backend: the built model and its data as tensors. */
export interface CaseRun {
  spec: CaseSpec;
  built: BuiltModel;
  x: Tensor;
  /** One-hot labels when the model has a head; zeros of BN's output shape otherwise. */
  y: Tensor;
  /** Labels as class indices (empty without a head), for accuracy. */
  labels: Int32Array;
}

/** Why a case cannot run; thrown before any tensor is made, reported as a usage problem. */
export class CaseSpecError extends RangeError {}

/**
 * Builds the model, freezes what the case says, and makes the data tensors. The caller owns the
 * result and must {@link disposeCase} it.
 */
export function prepareCase(spec: CaseSpec): CaseRun {
  const trains = spec.entryPoint !== 'layerApply';
  if (trains && spec.model.classes === 0 && spec.freeze !== 'none' && spec.model.architecture === 'bn-only') {
    throw new CaseSpecError(`entry point '${spec.entryPoint}' needs trainable weights: a frozen bn-only model without a head has none`);
  }
  if (!Number.isInteger(spec.data.batch) || spec.data.batch < 1) throw new CaseSpecError(`data.batch: ${spec.data.batch}; allowed: integer >= 1`);
  if (!Number.isInteger(spec.steps) || spec.steps < 0) throw new CaseSpecError(`steps: ${spec.steps}; allowed: integer >= 0`);

  const built = buildModel(spec.model);
  if (spec.freeze !== 'none') freeze(built, spec.freeze);
  const batch = gaussianBlobs({
    shape: [spec.data.batch, ...spec.model.inputShape],
    channelAxis: -1,
    mean: spec.data.mean,
    scale: spec.data.scale,
    seed: deriveSeed(spec.data.seed, 'x'),
  });
  const x = preparing('the input tensor', () => tf.tensor(batch.values, batch.shape, 'float32'));
  const classes = spec.model.classes;
  const labels = new Int32Array(classes > 0 ? spec.data.batch : 0);
  let y: Tensor;
  if (classes > 0) {
    const rng = createRng(deriveSeed(spec.data.seed, 'labels'));
    for (let i = 0; i < labels.length; i++) labels[i] = rng.int(classes);
    y = preparing('the one-hot targets', () => tf.tensor2d(oneHot(labels, classes), [spec.data.batch, classes]));
  } else {
    // From values, not tf.zeros: preparing data must not depend on a kernel of the backend under test.
    const shape = [spec.data.batch, ...(built.model.outputs[0].shape.slice(1) as number[])];
    y = preparing('the zero targets', () => tf.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
  }
  return { spec, built, x, y, labels };
}

/** Disposes a case's model (weights, optimizer) and data. */
export function disposeCase(run: CaseRun): void {
  tf.dispose([run.x, run.y]);
  const optimizer = run.built.model.optimizer;
  run.built.model.dispose();
  // A model compiled with an optimizer *object* does not own it, so dispose() leaves it alive.
  optimizer?.dispose();
}

function lossName(run: CaseRun): string {
  return run.spec.model.classes > 0 && run.spec.model.headActivation !== 'linear' ? 'categoricalCrossentropy' : 'meanSquaredError';
}

/** Compiles the model with plain SGD at the case's learning rate. */
export function compileCase(run: CaseRun): void {
  run.built.model.compile({ optimizer: tf.train.sgd(run.spec.learningRate), loss: lossName(run) });
}

/**
 * A model from the (base) input to the BN layer's input, for calling the BN layer directly.
 * Shares weights with the model; it owns no weights of its own, so it is never disposed.
 */
function featuresBeforeBn(built: BuiltModel): LayersModel | null {
  if (built.spec.architecture === 'bn-only') return null;
  const host = built.base ?? built.model;
  return tfl.model({ inputs: host.inputs, outputs: built.bn.input as ReturnType<typeof tfl.input> });
}

/** The tensor the BN layer sees for input `x`, computed in inference mode. The caller disposes it. */
export function bnInputOf(built: BuiltModel, x: Tensor): Tensor {
  const extractor = featuresBeforeBn(built);
  return extractor === null ? x.clone() : (extractor.predict(x) as Tensor);
}

/** The tensor the BN layer sees for the case's input, computed in inference mode. */
export function bnInput(run: CaseRun): Tensor {
  return bnInputOf(run.built, run.x);
}

/** Runs the case's training entry point for `spec.steps` steps. Compiles first when it needs to. */
export async function trainCase(run: CaseRun): Promise<void> {
  const { spec, built } = run;
  switch (spec.entryPoint) {
    case 'fit':
      compileCase(run);
      if (spec.steps > 0) {
        await built.model.fit(run.x, run.y, { epochs: spec.steps, batchSize: spec.data.batch, shuffle: true, verbose: 0 });
      }
      return;
    case 'trainOnBatch':
      compileCase(run);
      for (let step = 0; step < spec.steps; step++) await built.model.trainOnBatch(run.x, run.y);
      return;
    case 'minimize': {
      const optimizer = tf.train.sgd(spec.learningRate);
      const variables = built.model.trainableWeights.map((weight) => weight.read() as Variable);
      // The same losses compile() uses, so the custom loop differs from fit only in who drives it.
      const lossFn =
        lossName(run) === 'categoricalCrossentropy'
          ? (yTrue: Tensor, yPred: Tensor) => tf.mean(tfl.metrics.categoricalCrossentropy(yTrue, yPred))
          : (yTrue: Tensor, yPred: Tensor) => tf.mean(tfl.metrics.meanSquaredError(yTrue, yPred));
      try {
        for (let step = 0; step < spec.steps; step++) {
          const cost = optimizer.minimize(
            () => {
              const predicted = built.model.apply(run.x, { training: true }) as Tensor;
              return lossFn(run.y, predicted) as Scalar;
            },
            false,
            variables,
          );
          cost?.dispose();
        }
      } finally {
        optimizer.dispose();
      }
      return;
    }
    case 'layerApply': {
      const input = bnInput(run);
      try {
        for (let step = 0; step < spec.steps; step++) tf.dispose(built.bn.apply(input, { training: true }) as Tensor);
      } finally {
        input.dispose();
      }
      return;
    }
  }
}

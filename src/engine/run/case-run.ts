import { makeOptimizer } from './optimizers';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { preparing } from './preparation';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { gaussianBlobs, oneHot } from '../data/generators';
import { createRng, deriveSeed } from '../data/rng';
import { buildModel, freeze, type BuiltModel, type FreezeTarget } from '../models/build';
import { snapshotKeys } from '../snapshot/snapshot';
import { tf, tfl } from '../tfjs';
import type { CaseSpec, FreezeTiming } from './case-spec';

/** A case made concrete on the active backend: the built model and its data as tensors. */
export interface CaseRun {
  spec: CaseSpec;
  built: BuiltModel;
  x: Tensor;
  /** One-hot labels when the model has a head; zeros of BN's output shape otherwise. */
  y: Tensor;
  /** Labels as class indices (empty without a head), for accuracy. */
  labels: Int32Array;
  /**
   * Snapshot keys of the weights the model listed as trainable at its last `compile` (what `fit`
   * and `trainOnBatch` update, by the Keras rule); null before the first compile.
   */
  compiledTrainable: string[] | null;
}

/** One step of a case's freeze timing, as {@link PrepareHooks.afterStep} sees it. */
export type FreezeStep =
  | { action: 'freeze' | 'unfreeze'; target: FreezeTarget }
  | { action: 'compile' }
  | { action: 'train'; steps: number };

/** Lets a check look at the model between the steps of the freeze timing (trainable-bookkeeping does). */
export interface PrepareHooks {
  /** Called once the model and data exist, before the first freeze-timing step (what a repro starts from). */
  beforeSteps?(run: CaseRun): void | Promise<void>;
  afterStep?(run: CaseRun, step: FreezeStep): void | Promise<void>;
}

/** Why a case cannot run; thrown before any tensor is made, reported as a usage problem. */
export class CaseSpecError extends RangeError {}

/** The steps of each freeze timing before the case's own training (`train` there is one unfrozen step). */
export const TIMING_STEPS: Readonly<Record<FreezeTiming, ReadonlyArray<FreezeStep['action']>>> = {
  'before-compile': ['freeze'],
  'after-compile': ['compile', 'freeze'],
  'after-compile-recompile': ['compile', 'freeze'],
  'unfreeze-refreeze': ['freeze', 'compile', 'unfreeze', 'compile', 'freeze'],
  'between-fits': ['compile', 'train', 'freeze'],
};

/** True when the case's training compiles first: every timing but `after-compile`, and only for `fit` / `trainOnBatch`. */
export function compilesBeforeTraining(spec: CaseSpec): boolean {
  return (spec.entryPoint === 'fit' || spec.entryPoint === 'trainOnBatch') && (spec.freezeTiming ?? 'before-compile') !== 'after-compile';
}

/**
 * Builds the model, makes the data tensors, and goes through the case's freeze timing (freezing,
 * compiling, unfreezing, a first training step) up to the point where the case's own training
 * starts. The caller owns the result and must {@link disposeCase} it.
 */
export async function prepareCase(spec: CaseSpec, hooks: PrepareHooks = {}): Promise<CaseRun> {
  const trains = spec.entryPoint !== 'layerApply';
  if (trains && spec.model.classes === 0 && spec.freeze !== 'none' && spec.model.architecture === 'bn-only') {
    throw new CaseSpecError(`entry point '${spec.entryPoint}' needs trainable weights: a frozen bn-only model without a head has none`);
  }
  if (!Number.isInteger(spec.data.batch) || spec.data.batch < 1) throw new CaseSpecError(`data.batch: ${spec.data.batch}; allowed: integer >= 1`);
  if (!Number.isInteger(spec.steps) || spec.steps < 0) throw new CaseSpecError(`steps: ${spec.steps}; allowed: integer >= 0`);
  const timing = spec.freezeTiming ?? 'before-compile';
  if (!(timing in TIMING_STEPS)) throw new CaseSpecError(`freezeTiming: ${String(timing)}; allowed: ${Object.keys(TIMING_STEPS).join(', ')}`);

  const built = buildModel(spec.model);
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
  const run: CaseRun = { spec, built, x, y, labels, compiledTrainable: null };
  try {
    await hooks.beforeSteps?.(run);
    if (spec.freeze !== 'none') await takeTimingSteps(run, spec.freeze, timing, hooks);
  } catch (error) {
    disposeCase(run);
    throw error;
  }
  return run;
}

/** The freeze timing's steps, each reported to `hooks.afterStep`. */
async function takeTimingSteps(run: CaseRun, target: FreezeTarget, timing: FreezeTiming, hooks: PrepareHooks): Promise<void> {
  for (const action of TIMING_STEPS[timing]) {
    let step: FreezeStep;
    if (action === 'freeze' || action === 'unfreeze') {
      freeze(run.built, target, action === 'unfreeze');
      step = { action, target };
    } else if (action === 'compile') {
      compileCase(run);
      step = { action };
    } else {
      // The timing compiled just before; compiling again would only swap the optimizer.
      await runEntryPoint(run, 1, run.compiledTrainable === null);
      step = { action: 'train', steps: 1 };
    }
    await hooks.afterStep?.(run, step);
  }
}

/** What tfjs's own disposal of a case's models did, as {@link disposeCase} saw it. */
export interface CaseDisposal {
  /** The message `model.dispose()` (or the sibling's) threw, or null. */
  thrown: string | null;
  /** Weights tfjs's dispose() calls left alive, which bn-suite then freed itself. */
  leftBehind: number;
}

/**
 * Disposes a case the way a user would (the data, `model.dispose()`, the sibling's `dispose()`, the
 * optimizer the model does not own), then frees every weight tfjs left alive, so that one case's
 * leftovers never weigh on the next. Returns what tfjs's disposal did, for no-leaked-tensors.
 */
export function disposeCase(run: CaseRun): CaseDisposal {
  tf.dispose([run.x, run.y]);
  const { model, sibling } = run.built;
  const optimizer = model.optimizer;
  // Collected first: a disposed model can no longer list its weights.
  const variables = new Set([...model.weights, ...(sibling?.weights ?? [])]);
  let thrown: string | null = null;
  try {
    model.dispose();
    // Layers count the models they belong to: the shared ones are freed with the last of the two.
    sibling?.dispose();
  } catch (error) {
    thrown = error instanceof Error ? error.message : String(error);
  }
  // A model compiled with an optimizer *object* does not own it, so dispose() leaves it alive.
  optimizer?.dispose();
  let leftBehind = 0;
  for (const variable of variables) {
    let value: Tensor;
    try {
      value = variable.read();
    } catch {
      continue; // disposed by tfjs: read() refuses a disposed weight
    }
    value.dispose();
    leftBehind++;
  }
  return { thrown, leftBehind };
}

function lossName(run: CaseRun): string {
  return run.spec.model.classes > 0 && run.spec.model.headActivation !== 'linear' ? 'categoricalCrossentropy' : 'meanSquaredError';
}

/**
 * Compiles the model with plain SGD at the case's learning rate and records what it then lists as
 * trainable. An optimizer of an earlier compile is disposed: the model does not own it.
 */
export function compileCase(run: CaseRun): void {
  const previous = run.built.model.optimizer;
  run.built.model.compile({ optimizer: makeOptimizer(run.spec.optimizer ?? 'sgd', run.spec.learningRate), loss: lossName(run) });
  previous?.dispose();
  run.compiledTrainable = snapshotKeys(run.built.model.trainableWeights);
}

/**
 * A model from the (base) input to the BN layer's input, for calling the BN layer directly.
 * Shares weights with the model; it owns no weights of its own, so it is never disposed.
 */
function featuresBeforeBn(built: BuiltModel): LayersModel | null {
  // A Masking layer in front changes what BN sees (masked positions become 0) even without features.
  if (built.spec.architecture === 'bn-only' && built.spec.masking === undefined) return null;
  // Node 0: the host's own use of BN (a shared BN has a second inbound node, in the sibling).
  return tfl.model({ inputs: built.host.inputs, outputs: built.bn.getInputAt(0) as ReturnType<typeof tfl.input> });
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

/**
 * Runs the case's training entry point for `spec.steps` steps. `fit` and `trainOnBatch` compile
 * first, except after an `after-compile` freeze (whose point is that nothing recompiles).
 */
export async function trainCase(run: CaseRun): Promise<void> {
  await runEntryPoint(run, run.spec.steps, compilesBeforeTraining(run.spec) || run.compiledTrainable === null);
}

async function runEntryPoint(run: CaseRun, steps: number, compile: boolean): Promise<void> {
  const { spec, built } = run;
  switch (spec.entryPoint) {
    case 'fit':
      if (compile) compileCase(run);
      if (steps > 0) {
        await built.model.fit(run.x, run.y, { epochs: steps, batchSize: spec.data.batch, shuffle: true, verbose: 0 });
      }
      return;
    case 'trainOnBatch':
      if (compile) compileCase(run);
      for (let step = 0; step < steps; step++) await built.model.trainOnBatch(run.x, run.y);
      return;
    case 'minimize': {
      const optimizer = makeOptimizer(spec.optimizer ?? 'sgd', spec.learningRate);
      const variables = built.model.trainableWeights.map((weight) => weight.read() as Variable);
      // The same losses compile() uses, so the custom loop differs from fit only in who drives it.
      const lossFn =
        lossName(run) === 'categoricalCrossentropy'
          ? (yTrue: Tensor, yPred: Tensor) => tf.mean(tfl.metrics.categoricalCrossentropy(yTrue, yPred))
          : (yTrue: Tensor, yPred: Tensor) => tf.mean(tfl.metrics.meanSquaredError(yTrue, yPred));
      try {
        for (let step = 0; step < steps; step++) {
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
        for (let step = 0; step < steps; step++) tf.dispose(built.bn.apply(input, { training: true }) as Tensor);
      } finally {
        input.dispose();
      }
      return;
    }
  }
}

import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { tfl } from '../tfjs';
import { deriveSeed } from '../data/rng';
import { LAYER_NAMES, type ModelSpec } from './spec';


/** A built model with handles on the parts scenarios act on. */
export interface BuiltModel {
  model: LayersModel;
  /** The BN layer under test (inside the base when nested). */
  bn: Layer;
  /** The nested base model (layers up to and including BN), when the spec asks for one. */
  base: LayersModel | null;
  spec: ModelSpec;
}

/** Validates a model spec; throws a RangeError naming the field, the value and what is allowed. */
export function validateModelSpec(spec: ModelSpec): void {
  const rank = spec.inputShape.length + 1;
  if (rank < 2 || rank > 5) throw new RangeError(`model.inputShape: rank ${rank} (with batch) is not supported; allowed: 2 to 5`);
  for (const dim of spec.inputShape) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`model.inputShape: ${JSON.stringify(spec.inputShape)} must hold positive integers`);
  }
  if (spec.architecture === 'conv' && rank !== 4) throw new RangeError(`model.architecture 'conv' needs a rank-4 input (3 per-sample dims); got rank ${rank}`);
  const axis = spec.bn.axis;
  if (!Number.isInteger(axis) || axis === 0 || axis <= -rank || axis >= rank) {
    throw new RangeError(`model.bn.axis: ${axis} is not a channel axis of a rank-${rank} input; allowed: 1..${rank - 1} or -${rank - 1}..-1`);
  }
  if (!(spec.bn.momentum >= 0 && spec.bn.momentum <= 1)) throw new RangeError(`model.bn.momentum: ${spec.bn.momentum}; allowed: 0 to 1`);
  if (!(spec.bn.epsilon > 0)) throw new RangeError(`model.bn.epsilon: ${spec.bn.epsilon}; allowed: > 0`);
  if (!(spec.bn.movingVarianceInit >= 0)) throw new RangeError(`model.bn.movingVarianceInit: ${spec.bn.movingVarianceInit}; allowed: >= 0`);
  if (!Number.isInteger(spec.classes) || spec.classes < 0) throw new RangeError(`model.classes: ${spec.classes}; allowed: integer >= 0`);
  if (spec.architecture !== 'bn-only' && (!Number.isInteger(spec.hiddenUnits) || spec.hiddenUnits < 1)) {
    throw new RangeError(`model.hiddenUnits: ${spec.hiddenUnits}; allowed: integer >= 1`);
  }
}

/**
 * Builds a model from its spec with every initializer seeded from `spec.seed`, so two builds of
 * one spec hold identical weights. gamma and beta start away from 1 and 0 so that a wrong use of
 * either shows in the output.
 */
export function buildModel(spec: ModelSpec): BuiltModel {
  validateModelSpec(spec);
  const seedOf = (label: string) => deriveSeed(spec.seed, label);
  const input = tfl.input({ shape: spec.inputShape, name: 'x' });

  let features: SymbolicTensor = input;
  if (spec.architecture === 'dense') {
    features = tfl.layers
      .dense({ units: spec.hiddenUnits, name: LAYER_NAMES.features, kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('features') }) })
      .apply(features) as SymbolicTensor;
  } else if (spec.architecture === 'conv') {
    features = tfl.layers
      .conv2d({
        filters: spec.hiddenUnits,
        kernelSize: 3,
        padding: 'same',
        name: LAYER_NAMES.features,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('features') }),
      })
      .apply(features) as SymbolicTensor;
  }
  const bn = tfl.layers.batchNormalization({
    name: LAYER_NAMES.bn,
    axis: spec.bn.axis,
    momentum: spec.bn.momentum,
    epsilon: spec.bn.epsilon,
    center: spec.bn.center,
    scale: spec.bn.scale,
    gammaInitializer:
      spec.bn.gammaInit !== undefined
        ? tfl.initializers.constant({ value: spec.bn.gammaInit })
        : tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seedOf('gamma') }),
    betaInitializer:
      spec.bn.betaInit !== undefined
        ? tfl.initializers.constant({ value: spec.bn.betaInit })
        : tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seedOf('beta') }),
    movingMeanInitializer: tfl.initializers.constant({ value: spec.bn.movingMeanInit }),
    movingVarianceInitializer: tfl.initializers.constant({ value: spec.bn.movingVarianceInit }),
  });
  const normalized = bn.apply(features) as SymbolicTensor;

  let base: LayersModel | null = null;
  let trunkOutput: SymbolicTensor = normalized;
  let outerInput = input;
  if (spec.nested) {
    base = tfl.model({ inputs: input, outputs: normalized, name: LAYER_NAMES.base });
    outerInput = tfl.input({ shape: spec.inputShape, name: 'outer_x' });
    trunkOutput = base.apply(outerInput) as SymbolicTensor;
  }

  let output: SymbolicTensor = trunkOutput;
  if (spec.classes > 0) {
    const flat = spec.inputShape.length > 1 ? (tfl.layers.flatten({ name: LAYER_NAMES.flatten }).apply(trunkOutput) as SymbolicTensor) : trunkOutput;
    output = tfl.layers
      .dense({
        units: spec.classes,
        activation: spec.headActivation ?? 'softmax',
        name: LAYER_NAMES.head,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('head') }),
      })
      .apply(flat) as SymbolicTensor;
  }
  const model = tfl.model({ inputs: outerInput, outputs: output, name: 'model_under_test' });
  return { model, bn, base, spec };
}

/** What to freeze: every BN layer, or the whole nested base (the transfer-learning move). */
export type FreezeTarget = 'bn' | 'base';

/**
 * Marks the target non-trainable. Must happen before `compile`: tfjs collects the trainable
 * weights at compile time, as Keras does.
 */
export function freeze(built: BuiltModel, target: FreezeTarget): void {
  if (target === 'base') {
    if (built.base === null) throw new RangeError("freeze: target 'base' needs a nested model (model.nested: true)");
    built.base.trainable = false;
  } else {
    built.bn.trainable = false;
  }
}

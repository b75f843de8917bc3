import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { tfl } from '../tfjs';
import { deriveSeed } from '../data/rng';
import { LAYER_NAMES, type ContainerKind, type ModelSpec } from './spec';


/** A built model with handles on the parts scenarios act on. */
export interface BuiltModel {
  model: LayersModel;
  /** The BN layer under test (inside the base when nested). */
  bn: Layer;
  /**
   * The nested model directly inside `model` (what freeze target `base` freezes), when the spec
   * nests: the base itself at depth 1, the wrapper around it at depth 2.
   */
  base: LayersModel | null;
  /** Every nested model, outermost first (empty when not nested). */
  containers: LayersModel[];
  /** The model that holds the features and BN layers directly: the innermost nested one, or `model`. */
  host: LayersModel;
  /** The second model that shares the layers up to BN, when the spec asks for one. */
  sibling: LayersModel | null;
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
  if (spec.depth !== undefined && spec.depth !== 1 && spec.depth !== 2) throw new RangeError(`model.depth: ${spec.depth}; allowed: 1 or 2`);
  if (!spec.nested && (spec.depth !== undefined || spec.baseContainer !== undefined)) throw new RangeError('model.depth and model.baseContainer describe the nested base: they need model.nested: true');
  if (spec.architecture !== 'bn-only' && (!Number.isInteger(spec.hiddenUnits) || spec.hiddenUnits < 1)) {
    throw new RangeError(`model.hiddenUnits: ${spec.hiddenUnits}; allowed: integer >= 1`);
  }
}

/** Layers of one build, each with its seeded initializers; built once, wired by {@link wire}. */
interface ModelLayers {
  features: Layer | null;
  bn: Layer;
  flatten: Layer | null;
  head: Layer | null;
}

function makeLayers(spec: ModelSpec): ModelLayers {
  const seedOf = (label: string) => deriveSeed(spec.seed, label);
  let features: Layer | null = null;
  if (spec.architecture === 'dense') {
    features = tfl.layers.dense({ units: spec.hiddenUnits, name: LAYER_NAMES.features, kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('features') }) });
  } else if (spec.architecture === 'conv') {
    features = tfl.layers.conv2d({
      filters: spec.hiddenUnits,
      kernelSize: 3,
      padding: 'same',
      name: LAYER_NAMES.features,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('features') }),
    });
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
  let flatten: Layer | null = null;
  let head: Layer | null = null;
  if (spec.classes > 0) {
    if (spec.inputShape.length > 1) flatten = tfl.layers.flatten({ name: LAYER_NAMES.flatten });
    head = tfl.layers.dense({
      units: spec.classes,
      activation: spec.headActivation ?? 'softmax',
      name: LAYER_NAMES.head,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seedOf('head') }),
    });
  }
  return { features, bn, flatten, head };
}

/**
 * A model of `kind` that runs `layers` in order on an input of `inputShape`. A sequential model
 * starts with an explicit input layer: a model added first to a `tfl.sequential` would otherwise be
 * inlined (its layers become the sequential's own) instead of nested as one layer.
 */
function wire(kind: ContainerKind, name: string, inputName: string, inputShape: number[], layers: readonly Layer[]): LayersModel {
  if (kind === 'sequential') {
    return tfl.sequential({ name, layers: [tfl.layers.inputLayer({ inputShape, name: inputName }), ...layers] });
  }
  const input = tfl.input({ shape: inputShape, name: inputName });
  let output: SymbolicTensor = input;
  for (const layer of layers) output = layer.apply(output) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name });
}

/**
 * Builds a model from its spec with every initializer seeded from `spec.seed`, so two builds of
 * one spec hold identical weights. gamma and beta start away from 1 and 0 so that a wrong use of
 * either shows in the output. The container kinds, nesting depth and sharing change how the layers
 * are put together, never what they compute.
 */
export function buildModel(spec: ModelSpec): BuiltModel {
  validateModelSpec(spec);
  const layers = makeLayers(spec);
  const trunk = [...(layers.features !== null ? [layers.features] : []), layers.bn];
  const tail = [...(layers.flatten !== null ? [layers.flatten] : []), ...(layers.head !== null ? [layers.head] : [])];
  const outerKind = spec.container ?? 'functional';
  const baseKind = spec.baseContainer ?? 'functional';

  const containers: LayersModel[] = [];
  let model: LayersModel;
  let host: LayersModel;
  if (spec.nested) {
    const base = wire(baseKind, LAYER_NAMES.base, 'x', spec.inputShape, trunk);
    containers.unshift(base);
    if ((spec.depth ?? 1) === 2) containers.unshift(wire(baseKind, LAYER_NAMES.wrapper, 'wrapper_x', spec.inputShape, [base]));
    model = wire(outerKind, 'model_under_test', 'outer_x', spec.inputShape, [containers[0], ...tail]);
    host = base;
  } else {
    model = wire(outerKind, 'model_under_test', 'x', spec.inputShape, [...trunk, ...tail]);
    host = model;
  }
  // Built after the model, so that the shared layers' first inbound node is the model's.
  const sibling = spec.shared === true ? wire('functional', LAYER_NAMES.sibling, 'sibling_x', spec.inputShape, spec.nested ? [containers[0]] : trunk) : null;
  return { model, bn: layers.bn, base: containers[0] ?? null, containers, host, sibling, spec };
}

/** What to freeze: every BN layer, or the whole nested base (the transfer-learning move). */
export type FreezeTarget = 'bn' | 'base';

/**
 * Marks the target non-trainable (or trainable again, `trainable: true`). tfjs collects the
 * trainable weights at compile time, as Keras documents it: a change takes effect for `fit` and
 * `trainOnBatch` at the next `compile`.
 */
export function freeze(built: BuiltModel, target: FreezeTarget, trainable = false): void {
  if (target === 'base') {
    if (built.base === null) throw new RangeError("freeze: target 'base' needs a nested model (model.nested: true)");
    built.base.trainable = trainable;
  } else {
    built.bn.trainable = trainable;
  }
}

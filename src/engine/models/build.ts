import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { tf, tfl } from '../tfjs';
import { deriveSeed } from '../data/rng';
import { LAYER_NAMES, weightShapesOf, type BnLayerSpec, type ConstraintSpec, type ContainerKind, type InitializerSpec, type ModelSpec, type RegularizerSpec } from './spec';


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
  // The batch axis has a size only when the batch is fixed (a bare layer built by its first call).
  const lowest = spec.fixedBatch !== undefined ? 0 : 1;
  if (!Number.isInteger(axis) || axis < -(rank - 1) - (1 - lowest) || axis >= rank || (lowest === 1 && axis === 0)) {
    throw new RangeError(`model.bn.axis: ${axis} is not a channel axis of a rank-${rank} input; allowed: ${lowest}..${rank - 1} or -${rank - 1 + (1 - lowest)}..-1`);
  }
  if (spec.timeDistributed === true && (spec.architecture !== 'bn-only' || rank < 3 || spec.nested || spec.masking !== undefined)) {
    throw new RangeError('model.timeDistributed needs a bn-only model of rank 3 or more, without nesting or masking');
  }
  if (spec.fixedBatch !== undefined) {
    if (!Number.isInteger(spec.fixedBatch) || spec.fixedBatch < 1) throw new RangeError(`model.fixedBatch: ${spec.fixedBatch}; allowed: integer >= 1`);
    if (spec.architecture !== 'bn-only' || spec.classes > 0 || spec.nested || spec.masking !== undefined) {
      throw new RangeError('model.fixedBatch (a bare BN layer) needs architecture bn-only without head, nesting or masking');
    }
  }
  const conv = spec.features?.kernelSize !== undefined || spec.features?.padding !== undefined || spec.features?.strides !== undefined;
  if (conv && spec.architecture !== 'conv') throw new RangeError('model.features: kernelSize, padding and strides are Conv2D options; they need architecture conv');
  if (spec.features !== undefined && spec.architecture === 'bn-only') throw new RangeError('model.features: a bn-only model has no layer in front of BN');
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
  masking: Layer | null;
  features: Layer | null;
  bn: Layer;
  flatten: Layer | null;
  head: Layer | null;
}

type TflInitializer = ReturnType<typeof tfl.initializers.zeros>;

/**
 * The tfjs initializer for an {@link InitializerSpec}, seeded from `seed` where random. Literal
 * values have no tfjs initializer: the weight starts at zero and {@link writeLiteralWeights} sets it.
 */
function initializerOf(init: InitializerSpec, seed: number): TflInitializer {
  if (typeof init === 'string') {
    switch (init) {
      case 'zeros':
        return tfl.initializers.zeros();
      case 'ones':
        return tfl.initializers.ones();
      case 'identity':
        return tfl.initializers.identity({ gain: 1 });
      case 'glorotUniform':
        return tfl.initializers.glorotUniform({ seed });
      case 'glorotNormal':
        return tfl.initializers.glorotNormal({ seed });
      case 'heUniform':
        return tfl.initializers.heUniform({ seed });
      case 'heNormal':
        return tfl.initializers.heNormal({ seed });
      case 'leCunNormal':
        return tfl.initializers.leCunNormal({ seed });
    }
  }
  if ('constant' in init) return tfl.initializers.constant({ value: init.constant });
  if ('uniform' in init) return tfl.initializers.randomUniform({ minval: init.uniform.min, maxval: init.uniform.max, seed });
  if ('normal' in init) return tfl.initializers.randomNormal({ mean: init.normal.mean, stddev: init.normal.stddev, seed });
  return tfl.initializers.zeros();
}

/** The literal values a spec gives its weights, keyed by snapshot name (`features/kernel`, ...). */
function literalWeights(spec: ModelSpec): Map<string, number[]> {
  const literal = new Map<string, number[]>();
  const add = (name: string, init: InitializerSpec | undefined) => {
    if (init !== undefined && typeof init !== 'string' && 'values' in init) literal.set(name, init.values);
  };
  add(`${LAYER_NAMES.features}/kernel`, spec.features?.kernelInitializer);
  add(`${LAYER_NAMES.features}/bias`, spec.features?.biasInitializer);
  add(`${LAYER_NAMES.head}/kernel`, spec.head?.kernelInitializer);
  add(`${LAYER_NAMES.head}/bias`, spec.head?.biasInitializer);
  return literal;
}

/** Sets the weights the spec gives literal values (checked against the weight's size when the scenario loads). */
function writeLiteralWeights(spec: ModelSpec, layers: ModelLayers): void {
  const literal = literalWeights(spec);
  if (literal.size === 0) return;
  const shapes = new Map(weightShapesOf(spec).map((w) => [w.name, w.shape]));
  for (const layer of [layers.features, layers.head]) {
    if (layer === null) continue;
    for (const weight of layer.weights) {
      const values = literal.get(weight.originalName);
      if (values === undefined) continue;
      const shape = shapes.get(weight.originalName) ?? (weight.shape as number[]);
      if (values.length !== shape.reduce((a, b) => a * b, 1)) throw new RangeError(`${weight.originalName}: ${values.length} literal values for shape [${shape.join(', ')}]`);
      tf.tidy(() => {
        weight.write(tf.tensor(values, weight.shape as number[]));
      });
    }
  }
}

/** The tfjs-layers constraint of a {@link ConstraintSpec}. */
function constraintOf(c: ConstraintSpec): ReturnType<typeof tfl.constraints.nonNeg> {
  if (c === 'nonNeg') return tfl.constraints.nonNeg();
  if (c === 'unitNorm') return tfl.constraints.unitNorm({});
  if ('maxNorm' in c) return tfl.constraints.maxNorm({ maxValue: c.maxNorm.maxValue });
  return tfl.constraints.minMaxNorm({ minValue: c.minMaxNorm.minValue, maxValue: c.minMaxNorm.maxValue, rate: c.minMaxNorm.rate ?? 1 });
}

/**
 * A BN layer with the spec's options, named `name`: gamma and beta start at their constants, or at
 * values seeded from `seed` away from 1 and 0 when the spec leaves them open.
 */
export function makeBnLayer(bn: BnLayerSpec, seed: number, name: string): Layer {
  const regularizer = (r: RegularizerSpec | undefined) => (r === undefined ? {} : { r: tfl.regularizers.l1l2({ l1: r.l1 ?? 0, l2: r.l2 ?? 0 }) });
  const constraint = (c: ConstraintSpec | undefined) => (c === undefined ? {} : { c: constraintOf(c) });
  const gammaRegularizer = regularizer(bn.gammaRegularizer).r;
  const betaRegularizer = regularizer(bn.betaRegularizer).r;
  const gammaConstraint = constraint(bn.gammaConstraint).c;
  const betaConstraint = constraint(bn.betaConstraint).c;
  return tfl.layers.batchNormalization({
    ...(gammaRegularizer !== undefined ? { gammaRegularizer } : {}),
    ...(betaRegularizer !== undefined ? { betaRegularizer } : {}),
    ...(gammaConstraint !== undefined ? { gammaConstraint } : {}),
    ...(betaConstraint !== undefined ? { betaConstraint } : {}),
    name,
    axis: bn.axis,
    momentum: bn.momentum,
    epsilon: bn.epsilon,
    center: bn.center,
    scale: bn.scale,
    gammaInitializer: bn.gammaInit !== undefined ? tfl.initializers.constant({ value: bn.gammaInit }) : tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: deriveSeed(seed, 'gamma') }),
    betaInitializer: bn.betaInit !== undefined ? tfl.initializers.constant({ value: bn.betaInit }) : tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: deriveSeed(seed, 'beta') }),
    movingMeanInitializer: tfl.initializers.constant({ value: bn.movingMeanInit }),
    movingVarianceInitializer: tfl.initializers.constant({ value: bn.movingVarianceInit }),
  });
}

function makeLayers(spec: ModelSpec): ModelLayers {
  const seedOf = (label: string) => deriveSeed(spec.seed, label);
  const options = spec.features ?? {};
  const featureInitializers = {
    kernelInitializer: initializerOf(options.kernelInitializer ?? 'glorotUniform', seedOf('features')),
    ...(options.biasInitializer !== undefined ? { biasInitializer: initializerOf(options.biasInitializer, seedOf('features-bias')) } : {}),
    ...(options.useBias === false ? { useBias: false } : {}),
    ...(options.activation !== undefined ? { activation: options.activation } : {}),
  };
  let features: Layer | null = null;
  if (spec.architecture === 'dense') {
    features = tfl.layers.dense({ units: spec.hiddenUnits, name: LAYER_NAMES.features, ...featureInitializers });
  } else if (spec.architecture === 'conv') {
    features = tfl.layers.conv2d({
      filters: spec.hiddenUnits,
      kernelSize: options.kernelSize ?? 3,
      padding: options.padding ?? 'same',
      strides: options.strides ?? 1,
      name: LAYER_NAMES.features,
      ...featureInitializers,
    });
  }
  const bn = makeBnLayer(spec.bn, spec.seed, spec.timeDistributed === true ? LAYER_NAMES.bnInWrapper : LAYER_NAMES.bn);
  let flatten: Layer | null = null;
  let head: Layer | null = null;
  if (spec.classes > 0) {
    if (spec.inputShape.length > 1) flatten = tfl.layers.flatten({ name: LAYER_NAMES.flatten });
    const headOptions = spec.head ?? {};
    head = tfl.layers.dense({
      units: spec.classes,
      activation: spec.headActivation ?? 'softmax',
      name: LAYER_NAMES.head,
      kernelInitializer: initializerOf(headOptions.kernelInitializer ?? 'glorotUniform', seedOf('head')),
      ...(headOptions.biasInitializer !== undefined ? { biasInitializer: initializerOf(headOptions.biasInitializer, seedOf('head-bias')) } : {}),
      ...(headOptions.useBias === false ? { useBias: false } : {}),
    });
  }
  const masking = spec.masking !== undefined ? (tfl.layers.masking({ maskValue: spec.masking.maskValue, name: LAYER_NAMES.masking }) as Layer) : null;
  return { masking, features, bn, flatten, head };
}

/**
 * A model of `kind` that runs `layers` in order on an input of `inputShape`. A sequential model
 * starts with an explicit input layer: a model added first to a `tfl.sequential` would otherwise be
 * inlined (its layers become the sequential's own) instead of nested as one layer.
 */
function wire(kind: ContainerKind, name: string, inputName: string, inputShape: number[], layers: readonly Layer[], fixedBatch?: number): LayersModel {
  const shape = fixedBatch !== undefined ? { batchInputShape: [fixedBatch, ...inputShape] } : { inputShape };
  if (kind === 'sequential') {
    return tfl.sequential({ name, layers: [tfl.layers.inputLayer({ ...shape, name: inputName }), ...layers] });
  }
  const input = fixedBatch !== undefined ? tfl.input({ batchShape: [fixedBatch, ...inputShape], name: inputName }) : tfl.input({ shape: inputShape, name: inputName });
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
  // A TimeDistributed wrapper sits in the graph where BN would; it calls BN once per time step.
  const bnInGraph = spec.timeDistributed === true ? (tfl.layers.timeDistributed({ layer: layers.bn, name: LAYER_NAMES.bn }) as Layer) : layers.bn;
  const trunk = [...(layers.masking !== null ? [layers.masking] : []), ...(layers.features !== null ? [layers.features] : []), bnInGraph];
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
    model = wire(outerKind, 'model_under_test', 'x', spec.inputShape, [...trunk, ...tail], spec.fixedBatch);
    host = model;
  }
  writeLiteralWeights(spec, layers);
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

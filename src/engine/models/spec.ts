/** Options of the BatchNormalization layer under test (tfjs defaults in parentheses). */
export interface BnLayerSpec {
  /** Channel axis, negative allowed, never the batch axis (-1). */
  axis: number;
  /** Moving-average momentum (0.99). */
  momentum: number;
  /** Variance epsilon (1e-3). */
  epsilon: number;
  /** Learn/apply beta (true). */
  center: boolean;
  /** Learn/apply gamma (true). */
  scale: boolean;
  /** Constant initial moving mean (0). */
  movingMeanInit: number;
  /** Constant initial moving variance (1). */
  movingVarianceInit: number;
  /**
   * Constant initial gamma / beta. Unset, they start at seeded random values away from 1 and 0, so
   * that a wrong use of either shows in the output; Keras translations set them to 1 and 0.
   */
  gammaInit?: number;
  betaInit?: number;
  /** Regularizers of gamma and beta (Keras `gamma_regularizer`): l1 and / or l2 factors. */
  gammaRegularizer?: RegularizerSpec;
  betaRegularizer?: RegularizerSpec;
  /** Constraints on gamma and beta (Keras `gamma_constraint`). */
  gammaConstraint?: ConstraintSpec;
  betaConstraint?: ConstraintSpec;
}

/** A weight regularizer: `l1 * sum|w| + l2 * sum w²`. */
export interface RegularizerSpec {
  l1?: number;
  l2?: number;
}

/** A weight constraint, as tfjs-layers has them. */
export type ConstraintSpec = 'nonNeg' | 'unitNorm' | { maxNorm: { maxValue: number } } | { minMaxNorm: { minValue: number; maxValue: number; rate?: number } };

/**
 * What sits in front of the BN layer:
 * - `bn-only`: the input goes straight into BN (the oracle's shape);
 * - `dense`: a Dense layer on the last axis, then BN (an MLP for rank 2, per-step Dense for rank 3+);
 * - `conv`: a 3x3 Conv2D on a rank-4 input, then BN (channels last).
 */
export type Architecture = 'bn-only' | 'dense' | 'conv';

/**
 * How a weight of a layer around BN starts, as Keras names initializers: a constant, zeros, ones,
 * the identity (a square Dense kernel), a seeded random initializer (seeded from the model's seed
 * and the layer), or literal values (row-major, the weight's whole shape).
 */
export type InitializerSpec =
  | 'zeros'
  | 'ones'
  | 'identity'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'leCunNormal'
  | { constant: number }
  | { values: number[] }
  | { uniform: { min: number; max: number } }
  | { normal: { mean: number; stddev: number } };

/** Activations bn-suite's Dense and Conv2D layers may have (tfjs names). */
export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;

/** One of {@link ACTIVATIONS}. */
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * Options of the Dense or Conv2D layer in front of BN (Keras's arguments). Absent fields keep
 * bn-suite's defaults: a seeded glorotUniform kernel, a zero bias, no activation, and for Conv2D a
 * 3x3 kernel, 'same' padding and stride 1.
 */
export interface FeatureLayerOptions {
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** false: no bias weight at all (Keras `use_bias=False`). */
  useBias?: boolean;
  activation?: Activation;
  /** Conv2D only: the kernel's height and width. */
  kernelSize?: [number, number];
  /** Conv2D only. */
  padding?: 'same' | 'valid';
  /** Conv2D only: the strides along height and width. */
  strides?: [number, number];
}

/** Options of the Dense head after BN (Keras's arguments); absent fields keep bn-suite's defaults. */
export interface HeadLayerOptions {
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  useBias?: boolean;
}

/** How a model (or a nested base) is put together. */
export const CONTAINER_KINDS = ['functional', 'sequential'] as const;

/** One of {@link CONTAINER_KINDS}. */
export type ContainerKind = (typeof CONTAINER_KINDS)[number];

/** A model under test, as plain data. */
export interface ModelSpec {
  architecture: Architecture;
  /** Per-sample input shape (no batch dimension); the batch rank is `inputShape.length + 1`. */
  inputShape: number[];
  /** Units of the Dense layer or filters of the Conv2D in front of BN (unused by `bn-only`). */
  hiddenUnits: number;
  bn: BnLayerSpec;
  /** Units of the head after BN (classes for softmax); 0 means no head (the model outputs BN's output). */
  classes: number;
  /** Activation of the head: softmax (classification, the default) or linear (regression). */
  headActivation?: 'softmax' | 'linear' | 'sigmoid' | 'relu';
  /**
   * Build everything up to and including BN as its own model and use it as a layer of the outer
   * model: the transfer-learning shape, where one freezes the pre-trained base.
   */
  nested: boolean;
  /**
   * How the outer model is built: `functional` (`tfl.model` over symbolic tensors, the default) or
   * `sequential` (`tfl.sequential`, the shape of most tfjs transfer-learning tutorials).
   */
  container?: ContainerKind;
  /** How the nested base (and the wrapper around it at depth 2) is built; functional when absent. Only with `nested`. */
  baseContainer?: ContainerKind;
  /**
   * Levels of nesting with `nested`: 1 puts the base directly in the model; 2 wraps it in one more
   * model first (a pre-trained model whose own backbone is a model). 1 when absent.
   */
  depth?: 1 | 2;
  /**
   * Share the layers up to BN with a second model (`BuiltModel.sibling`) that applies them to its
   * own input, as a feature extractor next to the classifier: the BN layer (or the base) then has two
   * inbound nodes, and freezing it freezes it in both models. False when absent.
   */
  shared?: boolean;
  /** Options of the Dense / Conv2D layer in front of BN; bn-suite's defaults when absent. */
  features?: FeatureLayerOptions;
  /** Options of the head; bn-suite's defaults when absent. */
  head?: HeadLayerOptions;
  /**
   * A Masking layer first (Keras `Masking(mask_value)`): a sample position whose features all equal
   * `maskValue` is masked, and the mask travels with the tensor to the layers that read one.
   */
  masking?: { maskValue: number };
  /**
   * Build the model for exactly this batch size (an input with a full `batchShape`), as a bare
   * layer is built by its first call: the batch axis then has a size, so BN's axis may be 0.
   * Only for `bn-only` models without a head, nesting or masking.
   */
  fixedBatch?: number;
  /**
   * Wrap BN in a TimeDistributed layer: BN runs on every slice along axis 1 (the time axis) on its
   * own. Only for `bn-only` models of rank 3 or more.
   */
  timeDistributed?: boolean;
  /** Seed of every initializer in the model. */
  seed: number;
}

/** Names bn-suite gives its layers, so weights can be compared across builds by name. */
export const LAYER_NAMES = {
  base: 'base',
  /** The model around the base at depth 2. */
  wrapper: 'wrapper',
  sibling: 'sibling',
  masking: 'masking',
  /** The BN layer inside a TimeDistributed wrapper, which takes the name `bn` so the weights stay `bn/...`. */
  bnInWrapper: 'bn_step',
  features: 'features',
  bn: 'bn',
  flatten: 'flatten',
  head: 'head',
} as const;

/** tfjs's BatchNormalization defaults. */
export const TFJS_BN_DEFAULTS: BnLayerSpec = {
  axis: -1,
  momentum: 0.99,
  epsilon: 1e-3,
  center: true,
  scale: true,
  movingMeanInit: 0,
  movingVarianceInit: 1,
};

/** A weight of a model built from a spec: its snapshot key and shape. */
export interface WeightShape {
  name: string;
  shape: number[];
}

/** The spec fields that decide which weights a model has and their shapes. */
export type WeightLayout = Pick<ModelSpec, 'architecture' | 'classes' | 'inputShape' | 'hiddenUnits' | 'features' | 'head' | 'fixedBatch' | 'timeDistributed'> & { bn: Pick<BnLayerSpec, 'center' | 'scale' | 'axis'> };

/** One spatial size after a convolution (dilation 1), as Keras computes it. */
function convolvedSize(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** The per-sample shape BN sees: the input, or what the Dense / Conv2D layer in front of it makes. */
export function bnInputShapeOf(spec: Pick<ModelSpec, 'architecture' | 'inputShape' | 'hiddenUnits' | 'features'>): number[] {
  const shape = spec.inputShape;
  if (spec.architecture === 'dense') return [...shape.slice(0, -1), spec.hiddenUnits];
  if (spec.architecture === 'conv') {
    const [kh, kw] = spec.features?.kernelSize ?? [3, 3];
    const [sh, sw] = spec.features?.strides ?? [1, 1];
    const padding = spec.features?.padding ?? 'same';
    return [convolvedSize(shape[0], kh, sh, padding), convolvedSize(shape[1], kw, sw, padding), spec.hiddenUnits];
  }
  return [...shape];
}

/**
 * The snapshot keys and shapes of the weights a model built from `spec` has (see `buildModel`), in
 * build order, known without building it: lets a scenario that names a weight or gives literal
 * values be checked when it loads. `axis` is read relative to the batch rank. A test builds every
 * architecture and compares.
 */
export function weightShapesOf(spec: WeightLayout): WeightShape[] {
  const weights: WeightShape[] = [];
  // TimeDistributed builds BN for one time step: the input without its time axis.
  const bnInput = spec.timeDistributed === true ? bnInputShapeOf(spec).slice(1) : bnInputShapeOf(spec);
  if (spec.architecture === 'dense') {
    weights.push({ name: `${LAYER_NAMES.features}/kernel`, shape: [spec.inputShape[spec.inputShape.length - 1], spec.hiddenUnits] });
  } else if (spec.architecture === 'conv') {
    const [kh, kw] = spec.features?.kernelSize ?? [3, 3];
    weights.push({ name: `${LAYER_NAMES.features}/kernel`, shape: [kh, kw, spec.inputShape[2], spec.hiddenUnits] });
  }
  if (spec.architecture !== 'bn-only' && spec.features?.useBias !== false) weights.push({ name: `${LAYER_NAMES.features}/bias`, shape: [spec.hiddenUnits] });
  // Axis 0, the batch axis, has a size only for a fixed batch (a bare layer).
  const batchShape = [spec.fixedBatch ?? 0, ...bnInput];
  const axis = spec.bn.axis < 0 ? spec.bn.axis + batchShape.length : spec.bn.axis;
  const channels = batchShape[axis] ?? 0;
  if (spec.bn.scale) weights.push({ name: `${LAYER_NAMES.bn}/gamma`, shape: [channels] });
  if (spec.bn.center) weights.push({ name: `${LAYER_NAMES.bn}/beta`, shape: [channels] });
  weights.push({ name: `${LAYER_NAMES.bn}/moving_mean`, shape: [channels] }, { name: `${LAYER_NAMES.bn}/moving_variance`, shape: [channels] });
  if (spec.classes > 0) {
    weights.push({ name: `${LAYER_NAMES.head}/kernel`, shape: [bnInput.reduce((a, b) => a * b, 1), spec.classes] });
    if (spec.head?.useBias !== false) weights.push({ name: `${LAYER_NAMES.head}/bias`, shape: [spec.classes] });
  }
  return weights;
}

/** The snapshot keys of the weights a model built from `spec` has, in build order (see {@link weightShapesOf}). */
export function weightNamesOf(spec: WeightLayout): string[] {
  return weightShapesOf(spec).map((w) => w.name);
}

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
}

/**
 * What sits in front of the BN layer:
 * - `bn-only`: the input goes straight into BN (the oracle's shape);
 * - `dense`: a Dense layer on the last axis, then BN (an MLP for rank 2, per-step Dense for rank 3+);
 * - `conv`: a 3x3 Conv2D on a rank-4 input, then BN (channels last).
 */
export type Architecture = 'bn-only' | 'dense' | 'conv';

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
  headActivation?: 'softmax' | 'linear';
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
  /** Seed of every initializer in the model. */
  seed: number;
}

/** Names bn-suite gives its layers, so weights can be compared across builds by name. */
export const LAYER_NAMES = {
  base: 'base',
  /** The model around the base at depth 2. */
  wrapper: 'wrapper',
  sibling: 'sibling',
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

/**
 * The snapshot keys of the weights a model built from `spec` has (see `buildModel`), in build
 * order, known without building it: lets a scenario that names a weight be checked when it loads.
 * A test builds every architecture and compares.
 */
export function weightNamesOf(spec: Pick<ModelSpec, 'architecture' | 'classes'> & { bn: Pick<BnLayerSpec, 'center' | 'scale'> }): string[] {
  const names: string[] = [];
  if (spec.architecture !== 'bn-only') names.push(`${LAYER_NAMES.features}/kernel`, `${LAYER_NAMES.features}/bias`);
  if (spec.bn.scale) names.push(`${LAYER_NAMES.bn}/gamma`);
  if (spec.bn.center) names.push(`${LAYER_NAMES.bn}/beta`);
  names.push(`${LAYER_NAMES.bn}/moving_mean`, `${LAYER_NAMES.bn}/moving_variance`);
  if (spec.classes > 0) names.push(`${LAYER_NAMES.head}/kernel`, `${LAYER_NAMES.head}/bias`);
  return names;
}

/**
 * The models of the MNIST transfer-learning scenario: a base with BatchNormalization layers that
 * is pre-trained on digits 0-4, and a new softmax head fine-tuned on digits 5-9 on top of the
 * frozen base, in two variants:
 *
 * - `frozen`: the transfer-learning recipe as tfjs users write it, `base.trainable = false` and
 *   `head(base(x))`. tfjs 4.22 ignores `trainable` in BN, so during `fit` the base normalizes with
 *   batch statistics (and updates its moving statistics), while `predict` uses moving statistics.
 * - `control`: the base always runs in inference mode, through {@link InferenceModeBase}, a layer
 *   that wraps the base and calls it with `training: false` whatever mode it is called in. This is
 *   what TF2 / Keras 3 do for a frozen BN.
 *
 * Why a wrapper layer rather than training the head on precomputed features: with the wrapper
 * both variants are the same kind of model (one input, the same head, the same fit call on the
 * same pixels with the same shuffle), so the only difference between them is the mode the base
 * runs in, and the same measurement (a training-mode pass and an inference-mode pass of the whole
 * model) applies to both. A head trained on precomputed features would be a different model whose
 * "training-mode pass" never touches BN at all.
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel, LayerVariable, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { deriveSeed } from '../../data/rng';
import { tf, tfl, type TfLayersApi } from '../../tfjs';
import type { serialization } from '@tensorflow/tfjs-core';
import { PIXELS } from './mnist-data';

/** The architectures of the pre-trained base. */
export type TransferArchitecture = 'mlp' | 'conv';

/** The fine-tune variants. */
export type TransferVariant = 'frozen' | 'control';

/** The variants in the order they run and appear in evidence. */
export const VARIANTS: readonly TransferVariant[] = ['frozen', 'control'];

/** Classes of both tasks (digits 0-4 for pre-training, 5-9 remapped for fine-tuning). */
export const CLASSES = 5;

/**
 * The bases as plain data; part of the cache key, so a change here invalidates cached bases.
 * BN layers keep tfjs's defaults (momentum 0.99, epsilon 1e-3). The conv net strides by 2: on the
 * cpu backend (plain Node) a stride-1 Conv2D+BN training step on 28x28 inputs takes ~650 ms
 * (Conv2DBackpropFilter alone ~250 ms), a stride-2 one ~140 ms (~1.8 s under jest, whose sandbox
 * makes every global lookup such as `Math` in tfjs-backend-cpu's kernels slow).
 */
export const BASE_SPECS = {
  mlp: { layers: ['dense 64', 'bn', 'relu', 'dense 32', 'bn', 'relu'], units: [64, 32] },
  conv: { layers: ['reshape 28x28x1', 'conv2d 8 3x3 stride 2 valid', 'bn', 'relu', 'maxpool 2', 'flatten'], filters: 8, strides: 2 },
} as const;

/** How the base is pre-trained and the head fine-tuned; also part of the cache key. */
export const TRAINING = {
  optimizer: 'adam',
  pretrainLearningRate: 0.01,
  fineTuneLearningRate: 0.01,
  batchSize: 32,
  loss: 'categoricalCrossentropy',
  /** After pre-training, the moving statistics are set to the pre-training data's exact statistics. */
  calibrateMovingStats: true,
} as const;

/** Pre-training epochs per profile and architecture (batch 32). */
export const PRETRAIN_EPOCHS: Record<'quick' | 'full', Record<TransferArchitecture, number>> = {
  quick: { mlp: 2, conv: 1 },
  full: { mlp: 6, conv: 3 },
};

const glorot = (seed: number, label: string) => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, label) });

/**
 * Builds the base: input [784] pixels, output its features. Layers are named `base_*` (BN layers
 * `base_bn1`, `base_bn2`) and every initializer is seeded from `seed`.
 */
export function buildBase(architecture: TransferArchitecture, seed: number): LayersModel {
  const input = tfl.input({ shape: [PIXELS], name: 'base_input' });
  let h: SymbolicTensor;
  if (architecture === 'mlp') {
    h = input;
    BASE_SPECS.mlp.units.forEach((units, i) => {
      const k = i + 1;
      h = tfl.layers.dense({ units, name: `base_dense${k}`, kernelInitializer: glorot(seed, `base_dense${k}`) }).apply(h) as SymbolicTensor;
      h = tfl.layers.batchNormalization({ name: `base_bn${k}` }).apply(h) as SymbolicTensor;
      h = tfl.layers.activation({ activation: 'relu', name: `base_relu${k}` }).apply(h) as SymbolicTensor;
    });
  } else if (architecture === 'conv') {
    h = tfl.layers.reshape({ targetShape: [28, 28, 1], name: 'base_reshape' }).apply(input) as SymbolicTensor;
    h = tfl.layers
      .conv2d({ filters: BASE_SPECS.conv.filters, kernelSize: 3, strides: BASE_SPECS.conv.strides, padding: 'valid', name: 'base_conv1', kernelInitializer: glorot(seed, 'base_conv1') })
      .apply(h) as SymbolicTensor;
    h = tfl.layers.batchNormalization({ name: 'base_bn1' }).apply(h) as SymbolicTensor;
    h = tfl.layers.activation({ activation: 'relu', name: 'base_relu1' }).apply(h) as SymbolicTensor;
    h = tfl.layers.maxPooling2d({ poolSize: 2, name: 'base_pool1' }).apply(h) as SymbolicTensor;
    h = tfl.layers.flatten({ name: 'base_flatten' }).apply(h) as SymbolicTensor;
  } else {
    throw new RangeError(`buildBase: architecture '${String(architecture)}'; allowed: mlp, conv`);
  }
  return tfl.model({ inputs: input, outputs: h, name: 'base' });
}

/** The BatchNormalization layers of a base, in layer order. */
export function bnLayersOf(base: LayersModel): Layer[] {
  return base.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
}

/** A BN layer's moving mean or moving variance variable. */
export function movingStat(layer: Layer, which: 'moving_mean' | 'moving_variance'): LayerVariable {
  const variable = layer.weights.find((w) => (w.originalName ?? w.name).endsWith(`/${which}`));
  if (variable === undefined) throw new Error(`BN layer ${layer.name} has no ${which}`);
  return variable;
}

/**
 * Sets every BN layer's moving mean and moving variance to the exact mean and (biased) variance of
 * its input over `x`, layer after layer in inference mode ("precise BN"). Why: with momentum 0.99
 * the moving averages need several hundred steps to forget their initial 0 / 1, more than a quick
 * pre-training takes; calibrated, they are what a fully converged average would hold, the
 * statistics of the pre-training data. Returns, per BN layer, the largest change this made.
 *
 * Works for bases whose layers form a chain (both bases here), in chunks of `batch` samples.
 */
export async function calibrateMovingStats(base: LayersModel, x: Tensor, batch = 256): Promise<Record<string, { mean: number; variance: number }>> {
  const changes: Record<string, { mean: number; variance: number }> = {};
  const n = x.shape[0];
  const chain = base.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const forwardTo = (stop: number, xb: Tensor): Tensor => {
    let h = xb;
    for (let i = 0; i < stop; i++) h = chain[i].apply(h, { training: false }) as Tensor;
    return h;
  };
  for (const [index, layer] of chain.entries()) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [mean, variance] = tf.tidy(() => {
      let sum: Tensor | null = null;
      let squares: Tensor | null = null;
      let count = 0;
      for (let start = 0; start < n; start += batch) {
        const size = Math.min(batch, n - start);
        const h = forwardTo(index, tf.slice(x, start, size));
        const channels = h.shape[h.shape.length - 1];
        const flat = tf.reshape(h, [-1, channels]);
        const s = tf.sum(flat, 0);
        const q = tf.sum(tf.square(flat), 0);
        sum = sum === null ? s : tf.add(sum, s);
        squares = squares === null ? q : tf.add(squares, q);
        count += flat.shape[0];
      }
      const m = tf.div(sum!, count);
      const v = tf.relu(tf.sub(tf.div(squares!, count), tf.square(m)));
      return [m, v];
    });
    const meanVar = movingStat(layer, 'moving_mean');
    const varianceVar = movingStat(layer, 'moving_variance');
    const diff = async (a: Tensor, b: LayerVariable): Promise<number> => {
      const max = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b.read()))));
      try {
        return (await max.data())[0];
      } finally {
        max.dispose();
      }
    };
    try {
      changes[layer.name] = { mean: await diff(mean, meanVar), variance: await diff(variance, varianceVar) };
      meanVar.write(mean);
      varianceVar.write(variance);
    } finally {
      tf.dispose([mean, variance]);
    }
  }
  return changes;
}

function softmaxHead(name: string, seed: number): Layer {
  return tfl.layers.dense({ units: CLASSES, activation: 'softmax', name, kernelInitializer: glorot(seed, name) });
}

/** The pre-training model: the (trainable) base with a 5-way softmax head for digits 0-4. */
export function buildPretrainModel(base: LayersModel, seed: number): LayersModel {
  const input = tfl.input({ shape: [PIXELS], name: 'pixels' });
  const features = base.apply(input) as SymbolicTensor;
  const output = softmaxHead('pretrain_head', seed).apply(features) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'pretrain' });
}

/**
 * A layer that runs a wrapped model in inference mode, always: `call` ignores the `training` flag
 * it is given and calls the model with `training: false`. Its weights are the wrapped model's,
 * all non-trainable, so an outer model saves, loads and snapshots them like any other.
 *
 * The wrapper owns the model: disposing the wrapper (through the outer model) disposes it.
 */
/** A layer that runs a wrapped base in inference mode; see {@link inferenceModeBaseClass}. */
export type InferenceModeBase = Layer & { readonly base: LayersModel };

/** The constructor {@link inferenceModeBaseClass} returns. */
export type InferenceModeBaseConstructor = new (args: { base: LayersModel; name?: string }) => InferenceModeBase;

let defined: { tfl: TfLayersApi; cls: InferenceModeBaseConstructor } | null = null;

/**
 * The InferenceModeBase layer class of the bound tfjs-layers, defined (and registered for
 * serialization) on first use: the class extends tfjs's own `Layer`, which the engine only has once
 * a host has bound tfjs.
 */
export function inferenceModeBaseClass(): InferenceModeBaseConstructor {
  if (defined !== null && defined.tfl === tfl) return defined.cls;
  class InferenceModeBase extends tfl.layers.Layer {
    static className = 'BnSuiteInferenceModeBase';
    readonly base: LayersModel;

    constructor(args: { base: LayersModel; name?: string }) {
      super({ name: args.name ?? 'base_inference_mode', trainable: false });
      this.base = args.base;
      this.base.trainable = false;
      // The wrapped model is built already; there is nothing to create.
      this.built = true;
    }

    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor | Tensor[] {
      return this.base.apply(inputs, { training: false }) as Tensor | Tensor[];
    }

    override computeOutputShape(inputShape: Parameters<Layer['computeOutputShape']>[0]): ReturnType<Layer['computeOutputShape']> {
      return this.base.computeOutputShape(inputShape);
    }

    override get nonTrainableWeights(): LayerVariable[] {
      return this.base.weights;
    }

    override set nonTrainableWeights(_weights: LayerVariable[]) {
      // The weights are the wrapped model's; tfjs-layers never assigns them for a layer without build().
    }

    protected override disposeWeights(): number {
      return this.base.dispose().numDisposedVariables;
    }

    override getConfig(): ReturnType<Layer['getConfig']> {
      return { ...super.getConfig(), base: { className: this.base.getClassName(), config: this.base.getConfig() } };
    }

    static override fromConfig<T extends InstanceType<typeof serialization.Serializable>>(
      cls: serialization.SerializableConstructor<T>,
      config: serialization.ConfigDict,
    ): T {
      const baseConfig = (config.base as serialization.ConfigDict | undefined)?.config as serialization.ConfigDict | undefined;
      if (baseConfig === undefined) throw new Error(`${InferenceModeBase.className}.fromConfig: the config has no base.config`);
      const base = tfl.LayersModel.fromConfig(tfl.LayersModel, baseConfig);
      return new cls({ name: config.name, base } as unknown as serialization.ConfigDict);
    }
  }
  tf.serialization.registerClass(InferenceModeBase);
  defined = { tfl, cls: InferenceModeBase };
  return InferenceModeBase;
}

/**
 * The fine-tune model: pixels -> base -> new softmax head `head` (5 classes, seeded), with the base
 * frozen the tfjs way (`frozen`) or run in inference mode by {@link InferenceModeBase} (`control`).
 * Takes ownership of `base`: disposing the returned model disposes it.
 */
export function buildFineTuneModel(base: LayersModel, variant: TransferVariant, seed: number): LayersModel {
  const input = tfl.input({ shape: [PIXELS], name: 'pixels' });
  let features: SymbolicTensor;
  if (variant === 'frozen') {
    base.trainable = false;
    features = base.apply(input) as SymbolicTensor;
  } else if (variant === 'control') {
    features = new (inferenceModeBaseClass())({ base }).apply(input) as SymbolicTensor;
  } else {
    throw new RangeError(`buildFineTuneModel: variant '${String(variant)}'; allowed: ${VARIANTS.join(', ')}`);
  }
  const output = softmaxHead('head', seed).apply(features) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: `finetune_${variant}` });
}

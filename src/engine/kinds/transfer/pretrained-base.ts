/**
 * The transfer scenario on a real pre-trained CNN: nsfwjs's MobileNetV2 (Keras-converted, 52 BN
 * layers), its convolutional base frozen the tfjs way under a new head that learns MNIST digits.
 *
 * Choices fixed before any result was seen, with their reasons:
 * - Digits 0 vs 1, class-balanced: an easy task, so the head can reach ~100% and 50% is exactly
 *   chance; a gap between the modes then comes from BN, not from the difficulty of the task.
 * - Digits brought to the model's input: 28x28 grey resized bilinearly to SxS and repeated over 3
 *   channels, pixels in [0, 1] (nsfwjs feeds [0, 1] images).
 * - S = 96 in the quick profile (the smallest input Keras ships MobileNetV2 weights for; the
 *   convolutional layers take any size), 224 (the model's own) in the full profile. The base is cut
 *   at `out_relu`, before nsfwjs's 7x7 pooling and dense head, which only fit 224.
 * - Head: global average pooling and a seeded 2-way softmax; adam 1e-3; batch 32; 64 training and
 *   64 held-out digits per class (quick), 256 and 256 (full); accuracy on the held-out digits.
 * - Two epochs in the shipped scenario: the quick profile must fit the main job on wasm (goal 30 s).
 * - Accuracy measured after the last epoch only in the quick profile, after every epoch in the full
 *   one (added after the first runs, for speed alone: measuring restores the moving statistics, so
 *   the final accuracies do not change; it saves a third of the scenario's time on wasm).
 *
 * @packageDocumentation
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../../data/rng';
import { tf, tfl } from '../../tfjs';
import { classSubset, PIXELS, TEST_START, type LabeledSet } from './mnist-data';
import { inferenceModeBaseClass, type TransferVariant } from './models';

/** The fixed setup (see the module comment). */
export const PRETRAINED_TRANSFER = {
  model: 'nsfwjs/mobilenet_v2',
  cutAt: 'out_relu',
  digits: [0, 1],
  inputSize: { quick: 96, full: 224 },
  trainPerDigit: { quick: 64, full: 256 },
  testPerDigit: { quick: 64, full: 256 },
  batchSize: 32,
  learningRate: 0.001,
  measureEveryEpoch: { quick: false, full: true },
} as const;

/** The data of one run: MNIST digits as [n, S, S, 3] images. */
export interface ImageSets {
  train: LabeledSet;
  test: LabeledSet;
  size: number;
}

/** The labelled digits of a profile (plain arrays; {@link toImages} makes the tensors). */
export function pretrainedTransferData(profile: 'quick' | 'full'): ImageSets {
  const { digits } = PRETRAINED_TRANSFER;
  return {
    train: classSubset(digits, 0, PRETRAINED_TRANSFER.trainPerDigit[profile]),
    test: classSubset(digits, TEST_START, PRETRAINED_TRANSFER.testPerDigit[profile]),
    size: PRETRAINED_TRANSFER.inputSize[profile],
  };
}

/** A set's pixels as [n, S, S, 3] images in [0, 1] and its one-hot labels. */
export function toImages(set: LabeledSet, size: number): { x: Tensor; y: Tensor; labels: Int32Array } {
  return tf.tidy(() => {
    const grey = tf.reshape(tf.tensor2d(set.x, [set.n, PIXELS]), [set.n, 28, 28, 1]);
    const resized = tf.clipByValue(tf.image.resizeBilinear(grey as Tensor4D, [size, size]), 0, 1);
    return { x: tf.tile(resized, [1, 1, 1, 3]), y: tf.oneHot(tf.tensor1d(set.labels, 'int32'), set.classes), labels: set.labels };
  });
}

/**
 * The fine-tune model: images -> base (frozen the tfjs way, or in inference mode for the control)
 * -> global average pooling -> a seeded 2-way softmax. Disposing it disposes the base.
 */
export function buildImageFineTuneModel(base: LayersModel, variant: TransferVariant, seed: number, size: number): LayersModel {
  const input = tfl.input({ shape: [size, size, 3], name: 'images' });
  let features: SymbolicTensor;
  if (variant === 'frozen') {
    base.trainable = false;
    features = base.apply(input) as SymbolicTensor;
  } else {
    features = new (inferenceModeBaseClass())({ base }).apply(input) as SymbolicTensor;
  }
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(features) as SymbolicTensor;
  const output = tfl.layers
    .dense({ units: PRETRAINED_TRANSFER.digits.length, activation: 'softmax', name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(seed, 'head') }) })
    .apply(pooled) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: `finetune_mobilenet_${variant}` });
}

/**
 * The baseline of `npm run bench:pretrained`: what a hand-written tfjs script does to show the
 * frozen-MobileNetV2 trap, with none of bn-suite's machinery (no scenario, no verdict, no evidence
 * schema, no state restoring). Per variant it loads the same cut MobileNetV2 artifacts, puts the same
 * seeded head on it (frozen the tfjs way, or the base called with `training: false` for the
 * control), fits with the same seeded shuffle, reads every BN layer's moving statistics after each
 * batch, and measures both modes on the held-out digits after the last epoch.
 *
 * Data (the MNIST arrays) and the artifacts come from bn-suite's readers, as in bare.ts: reading
 * them is workload, not harness overhead.
 *
 * @packageDocumentation
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import seedrandom from 'seedrandom';
import { deriveSeed } from '../../engine/data/rng';
import type { LabeledSet } from '../../engine/kinds/transfer/mnist-data';
import { PRETRAINED_TRANSFER, pretrainedTransferData } from '../../engine/kinds/transfer/pretrained-base';
import { nsfwjsArtifacts } from '../../hosts/node/nsfwjs-models';
import { tf, tfl } from '../../hosts/node/tfjs';

/** Final accuracies (fractions) of both variants in both modes, and how many BN layers drifted in the frozen one. */
export interface BareTransferResult {
  accuracy: Record<'frozen' | 'control', { training: number | null; inference: number | null }>;
  driftedLayers: number;
}

/** Both sides measure and train in batches of this size (training-mode BN depends on the batch). */
const BATCH = 32;

let InferenceModeLayer: (new (base: LayersModel) => InstanceType<typeof tfl.layers.Layer>) | null = null;

/** A layer calling a base with `training: false`: how a script keeps a base in inference mode in tfjs. */
function inferenceModeLayer(base: LayersModel) {
  if (InferenceModeLayer === null) {
    InferenceModeLayer = class extends tfl.layers.Layer {
      static className = 'BareInferenceModeBase';
      constructor(readonly base: LayersModel) {
        super({ trainable: false });
        this.built = true;
      }
      override call(inputs: Tensor | Tensor[]) {
        return this.base.apply(inputs, { training: false }) as Tensor;
      }
      override computeOutputShape(shape: Parameters<LayersModel['computeOutputShape']>[0]) {
        return this.base.computeOutputShape(shape);
      }
    };
  }
  return new InferenceModeLayer(base);
}

function images(set: LabeledSet, size: number): { x: Tensor; y: Tensor } {
  return tf.tidy(() => {
    const grey = tf.tensor4d(set.x, [set.n, 28, 28, 1]);
    const x = tf.tile(tf.clipByValue(tf.image.resizeBilinear(grey as Tensor4D, [size, size]), 0, 1), [1, 1, 1, 3]);
    return { x, y: tf.oneHot(tf.tensor1d(set.labels, 'int32'), set.classes) };
  });
}

async function accuracyOf(model: LayersModel, x: Tensor, labels: Int32Array, training: boolean): Promise<number> {
  let correct = 0;
  for (let start = 0; start < labels.length; start += BATCH) {
    const size = Math.min(BATCH, labels.length - start);
    const argmax = tf.tidy(() => tf.argMax((training ? model.apply(tf.slice(x, start, size), { training: true }) : model.predict(tf.slice(x, start, size))) as Tensor, -1));
    const values = await argmax.data();
    argmax.dispose();
    for (let i = 0; i < size; i++) if (values[i] === labels[start + i]) correct++;
  }
  return correct / labels.length;
}

/** Runs both variants the plain-tfjs way on the scenario's data, seed and epochs. */
export async function runBarePretrainedTransfer(options: { profile: 'quick' | 'full'; seed: number; epochs: number }): Promise<BareTransferResult> {
  const data = pretrainedTransferData(options.profile);
  const artifacts = nsfwjsArtifacts(PRETRAINED_TRANSFER.model.slice('nsfwjs/'.length), { inputSize: data.size, cutAt: PRETRAINED_TRANSFER.cutAt });
  const train = images(data.train, data.size);
  const test = images(data.test, data.size);
  const result: BareTransferResult = { accuracy: { frozen: { training: null, inference: null }, control: { training: null, inference: null } }, driftedLayers: 0 };
  try {
    for (const variant of ['frozen', 'control'] as const) {
      const base = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      const bnLayers = base.layers.filter((l) => l.getClassName() === 'BatchNormalization');
      // getWeights() returns [gamma, beta, moving_mean, moving_variance]: the last two are the statistics.
      const initial = bnLayers.map((l) => l.getWeights().slice(-2).map((t) => t.dataSync().slice()));
      const drifted = new Set<number>();

      const input = tfl.input({ shape: [data.size, data.size, 3] });
      if (variant === 'frozen') base.trainable = false;
      const features = (variant === 'frozen' ? base.apply(input) : inferenceModeLayer(base).apply(input)) as SymbolicTensor;
      const pooled = tfl.layers.globalAveragePooling2d({}).apply(features) as SymbolicTensor;
      const head = tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(options.seed, 'head') }) });
      const model = tfl.model({ inputs: input, outputs: head.apply(pooled) as SymbolicTensor });
      model.compile({ optimizer: tf.train.adam(PRETRAINED_TRANSFER.learningRate), loss: 'categoricalCrossentropy' });

      const original = Math.random;
      const shuffle = seedrandom.alea(String(deriveSeed(options.seed, 'finetune-shuffle')));
      Math.random = () => shuffle();
      try {
        for (let epoch = 0; epoch < options.epochs; epoch++) {
          await model.fit(train.x, train.y, {
            epochs: 1,
            batchSize: BATCH,
            shuffle: true,
            verbose: 0,
            yieldEvery: 'never',
            callbacks: {
              onBatchEnd: async () => {
                for (const [i, layer] of bnLayers.entries()) {
                  const now = layer.getWeights().slice(-2);
                  for (const [j, t] of now.entries()) {
                    const values = await t.data();
                    if (values.some((v, k) => v !== initial[i][j][k])) drifted.add(i);
                  }
                }
              },
            },
          });
        }
      } finally {
        Math.random = original;
      }
      // Inference mode first: the training-mode pass moves the moving statistics, and nothing runs after it.
      const inference = await accuracyOf(model, test.x, data.test.labels, false);
      const training = await accuracyOf(model, test.x, data.test.labels, true);
      result.accuracy[variant] = { training: Math.round(training * 1e4) / 1e4, inference: Math.round(inference * 1e4) / 1e4 };
      if (variant === 'frozen') result.driftedLayers = drifted.size;
      model.optimizer?.dispose();
      model.dispose();
      // The control's base is not a layer of the model (the wrapper holds it): dispose it too.
      if (variant === 'control') base.dispose();
    }
  } finally {
    tf.dispose([train.x, train.y, test.x, test.y]);
  }
  return result;
}

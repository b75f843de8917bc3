import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../../../src/engine/backends';
import { createRng } from '../../../../src/engine/data/rng';
import { fileLoadHandler, fileSaveHandler } from '../../../../src/hosts/node/file-io';
import { captureSnapshot, diffSnapshots } from '../../../../src/engine/snapshot/snapshot';
import { tf, tfl } from '../../../../src/hosts/node/tfjs';
import { PIXELS } from '../../../../src/engine/kinds/transfer/mnist-data';
import { bnLayersOf, buildBase, buildFineTuneModel, calibrateMovingStats, inferenceModeBaseClass, movingStat } from '../../../../src/engine/kinds/transfer/models';
import { releaseAbandonedTape, releasingOnThrow } from '../../../../src/engine/kinds/transfer/release-on-throw';
import { describeEachBackend } from '../../../helpers/backends';

/** Pixels in [0, 1], seeded. */
function pixels(n: number, seed: number): Tensor {
  const rng = createRng(seed);
  return tf.tensor2d(Float32Array.from({ length: n * PIXELS }, () => rng.uniform()), [n, PIXELS]);
}

function labels(n: number): Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 5), 'int32'), 5), 'float32'));
}

const valuesOf = (t: Tensor): number[] => Array.from(t.dataSync());

describeEachBackend('transfer models', (_backend: BackendName) => {
  test('the MLP base: named layers, two BN layers, 32 features', () => {
    const base = buildBase('mlp', 1);
    try {
      expect(base.name).toBe('base');
      expect(base.layers.map((l) => l.name)).toEqual(['base_input', 'base_dense1', 'base_bn1', 'base_relu1', 'base_dense2', 'base_bn2', 'base_relu2']);
      expect(bnLayersOf(base).map((l) => l.name)).toEqual(['base_bn1', 'base_bn2']);
      expect(base.outputs[0].shape).toEqual([null, 32]);
    } finally {
      base.dispose();
    }
  });

  test('the conv base: reshape, Conv2D 8 3x3 stride 2, BN, relu, max-pool, flatten (288 features)', () => {
    const base = buildBase('conv', 1);
    try {
      expect(base.layers.map((l) => l.name)).toEqual(['base_input', 'base_reshape', 'base_conv1', 'base_bn1', 'base_relu1', 'base_pool1', 'base_flatten']);
      expect(base.outputs[0].shape).toEqual([null, 6 * 6 * 8]);
    } finally {
      base.dispose();
    }
  });

  test('one seed, the same initial weights; another seed, others', async () => {
    const [a, b, c] = [buildBase('mlp', 7), buildBase('mlp', 7), buildBase('mlp', 8)];
    try {
      expect(diffSnapshots(await captureSnapshot(a), await captureSnapshot(b)).moved).toEqual([]);
      expect(diffSnapshots(await captureSnapshot(a), await captureSnapshot(c)).moved.map((w) => w.name)).toContain('base_dense1/kernel');
    } finally {
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  test('calibrateMovingStats sets each BN moving mean / variance to the exact statistics of its input', async () => {
    const before = tf.memory().numTensors;
    const base = buildBase('mlp', 2);
    const x = pixels(40, 2);
    try {
      await calibrateMovingStats(base, x, 16);
      // BN1's input is base_dense1(x); compute its per-unit mean and biased variance directly.
      const [mean, variance] = tf.tidy(() => {
        const h = base.getLayer('base_dense1').apply(x) as Tensor;
        const m = tf.moments(h, 0);
        return [m.mean, m.variance];
      });
      const bn1 = base.getLayer('base_bn1');
      const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
      close(valuesOf(movingStat(bn1, 'moving_mean').read()), valuesOf(mean));
      close(valuesOf(movingStat(bn1, 'moving_variance').read()), valuesOf(variance));
      tf.dispose([mean, variance]);
      // With calibrated statistics, an inference pass over the same data gives BN2 inputs whose moments equal BN2's moving stats.
      const bn2Input = tf.tidy(() => ['base_dense1', 'base_bn1', 'base_relu1', 'base_dense2'].reduce<Tensor>((h, name) => base.getLayer(name).apply(h, { training: false }) as Tensor, x));
      const m2 = tf.moments(bn2Input, 0);
      close(valuesOf(movingStat(base.getLayer('base_bn2'), 'moving_mean').read()), valuesOf(m2.mean));
      tf.dispose([bn2Input, m2.mean, m2.variance]);
    } finally {
      x.dispose();
      base.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('fine-tune variants', () => {
    const x = () => pixels(16, 5);

    async function trainingVsInference(model: LayersModel): Promise<{ moved: string[]; maxDiff: number }> {
      const input = x();
      const snapshot = await captureSnapshot(model);
      const [a, b] = tf.tidy(() => [model.apply(input, { training: true }) as Tensor, model.predict(input) as Tensor]);
      const maxDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
      tf.dispose([a, b, input]);
      return { moved: diffSnapshots(snapshot, await captureSnapshot(model)).moved.map((w) => w.name), maxDiff };
    }

    test('frozen (tfjs as is): a training-mode pass normalizes with batch statistics and moves the frozen moving statistics', async () => {
      const model = buildFineTuneModel(buildBase('mlp', 3), 'frozen', 3);
      try {
        expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['head/kernel', 'head/bias']);
        const { moved, maxDiff } = await trainingVsInference(model);
        expect(maxDiff).toBeGreaterThan(1e-3);
        expect(moved.sort()).toEqual(['base_bn1/moving_mean', 'base_bn1/moving_variance', 'base_bn2/moving_mean', 'base_bn2/moving_variance']);
      } finally {
        model.dispose();
      }
    });

    test('control: the wrapped base runs in inference mode whatever the mode; only the head trains', async () => {
      const before = tf.memory().numTensors;
      const model = buildFineTuneModel(buildBase('mlp', 3), 'control', 3);
      const xs = x();
      const ys = labels(16);
      try {
        expect(model.layers.some((l) => l instanceof inferenceModeBaseClass())).toBe(true);
        expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['head/kernel', 'head/bias']);
        expect(model.weights.map((w) => w.originalName)).toEqual(expect.arrayContaining(['base_bn1/moving_mean', 'base_dense1/kernel']));
        const { moved, maxDiff } = await trainingVsInference(model);
        expect(maxDiff).toBe(0);
        expect(moved).toEqual([]);

        const snapshot = await captureSnapshot(model);
        model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
        await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
        expect(diffSnapshots(snapshot, await captureSnapshot(model)).moved.map((w) => w.name).sort()).toEqual(['head/bias', 'head/kernel']);
      } finally {
        model.optimizer?.dispose();
        model.dispose();
        tf.dispose([xs, ys]);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    test('control: saves and loads through the file IOHandler (the wrapper is a registered class) with the same predictions', async () => {
      const before = tf.memory().numTensors;
      const dir = await mkdtemp(join(tmpdir(), 'bn-suite-transfer-models-'));
      const model = buildFineTuneModel(buildBase('mlp', 4), 'control', 4);
      const input = x();
      try {
        await model.save(fileSaveHandler(dir));
        const loaded = await tfl.loadLayersModel(fileLoadHandler(dir));
        try {
          expect(loaded.layers.find((l) => l instanceof inferenceModeBaseClass())).toBeDefined();
          expect(diffSnapshots(await captureSnapshot(model), await captureSnapshot(loaded)).moved).toEqual([]);
          const [a, b] = tf.tidy(() => [loaded.apply(input, { training: true }) as Tensor, model.predict(input) as Tensor]);
          expect(valuesOf(a)).toEqual(valuesOf(b));
          tf.dispose([a, b]);
        } finally {
          loaded.dispose();
        }
      } finally {
        input.dispose();
        model.dispose();
        await rm(dir, { recursive: true, force: true });
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('releasingOnThrow', () => {
    // A gradient that throws mid-backward, like a missing gradient kernel.
    const failingSquare = tf.customGrad(((a: Tensor) => ({
      value: tf.square(a),
      gradFunc: () => {
        throw new Error("Kernel 'Fake' not registered for backend 'test'");
      },
    })) as Parameters<typeof tf.customGrad>[0]);

    test('tfjs-core leaks the tape of a failed backward pass; releaseAbandonedTape frees it', () => {
      const v = tf.variable(tf.ones([4]));
      const before = tf.memory().numTensors;
      // tidy frees what the forward pass returned; what it cannot free is the tape's saved tensors.
      expect(() => tf.tidy(() => tf.variableGrads(() => tf.sum(failingSquare(tf.mul(v, 2)) as Tensor)).value)).toThrow(/Fake/);
      const leaked = tf.memory().numTensors - before;
      expect(leaked).toBeGreaterThan(0);
      expect(releaseAbandonedTape()).toBe(leaked);
      expect(tf.memory().numTensors).toBe(before);
      v.dispose();
    });

    test('fit that throws in its first step leaves nothing behind; fit that succeeds is untouched', async () => {
      const input = tfl.input({ shape: [3] });
      const dense = tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
      const model = tfl.model({ inputs: input, outputs: dense.apply(input) as ReturnType<typeof tfl.input> });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: (yTrue: Tensor, yPred: Tensor) => tf.mean(failingSquare(tf.sub(yTrue, yPred)) as Tensor) });
      const xs = tf.ones([4, 3]);
      const ys = tf.zeros([4, 2]);
      const before = tf.memory().numTensors;
      await expect(releasingOnThrow(() => model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0 }))).rejects.toThrow(/Fake/);
      expect(tf.memory().numTensors).toBe(before);

      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const kernelBefore = valuesOf(dense.getWeights()[0]);
      const history = await releasingOnThrow(() => model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0 }));
      expect(history.history.loss).toHaveLength(1);
      expect(valuesOf(dense.getWeights()[0])).not.toEqual(kernelBefore);
      model.optimizer?.dispose();
      model.dispose();
      tf.dispose([xs, ys]);
    });
  });
});

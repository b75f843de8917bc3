import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { fc, test } from '@fast-check/jest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  captureLayerSnapshot,
  captureSnapshot,
  diffSnapshots,
  snapshotBytes,
  weightKind,
  type Snapshot,
  type WeightValue,
} from '../../../src/engine/snapshot/snapshot';

// Before the backend loads, so tfjs does not print its Node.js banner.
tf.enableProdMode();
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('@tensorflow/tfjs-backend-cpu');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** dense(d) -> batchNormalization(bn), with seeded initializers so two builds are equal. */
function denseBn(prefix: string): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 3,
        inputShape: [4],
        name: `${prefix}d`,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        biasInitializer: 'ones',
      }),
      tfl.layers.batchNormalization({ name: `${prefix}bn` }),
    ],
  });
}

/** A functional model dense -> BN, to be nested inside another model. */
function innerModel(name: string, layerPrefix: string): tfl.LayersModel {
  const input = tfl.input({ shape: [4] });
  const hidden = tfl.layers.dense({ units: 3, name: `${layerPrefix}d` }).apply(input) as tfl.SymbolicTensor;
  const output = tfl.layers.batchNormalization({ name: `${layerPrefix}bn` }).apply(hidden) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name });
}

/** Runs one eager training-mode forward pass, which updates BN moving statistics. */
function trainStep(layer: tfl.layers.Layer | tfl.LayersModel, x: tf.Tensor): void {
  tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
}

describe('captureSnapshot on a real tfjs model', () => {
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([8, 4], 0, 1, 'float32', 7), 2), 3));
  afterAll(() => x.dispose());

  test('captures every weight under its scoped name, as copies', async () => {
    const model = denseBn('cap_');
    const snap = await captureSnapshot(model);
    expect(Object.keys(snap.weights).sort()).toEqual(
      ['cap_bn/beta', 'cap_bn/gamma', 'cap_bn/moving_mean', 'cap_bn/moving_variance', 'cap_d/bias', 'cap_d/kernel'],
    );
    expect(new Set(Object.keys(snap.weights).map(weightKind))).toEqual(
      new Set(['gamma', 'beta', 'moving_mean', 'moving_variance', 'kernel', 'bias']),
    );
    expect(snap.weights['cap_d/kernel'].shape).toEqual([4, 3]);
    expect(snap.weights['cap_bn/moving_variance'].name).toBe('cap_bn/moving_variance');
    expect(Array.from(snap.weights['cap_bn/moving_variance'].values)).toEqual([1, 1, 1]);
    expect(Array.from(snap.weights['cap_d/bias'].values)).toEqual([1, 1, 1]);
    expect(snap.weights['cap_d/kernel'].values).toEqual(model.layers[0].getWeights()[0].dataSync());
    // A copy: writing to it leaves the model alone.
    snap.weights['cap_d/bias'].values[0] = 42;
    expect(model.layers[0].getWeights()[1].dataSync()[0]).toBe(1);
    model.dispose();
  });

  test('a training-mode apply moves the moving statistics and nothing else', async () => {
    const model = denseBn('move_');
    const before = await captureSnapshot(model);
    trainStep(model, x);
    const diff = diffSnapshots(before, await captureSnapshot(model));
    expect(diff.moved.map((d) => d.name)).toEqual(['move_bn/moving_mean', 'move_bn/moving_variance']);
    expect(diff.unchanged).toEqual(['move_bn/beta', 'move_bn/gamma', 'move_d/bias', 'move_d/kernel']);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    const mean = diff.moved[0];
    expect(mean.count).toBe(3);
    expect(mean.before).toBe(0);
    // From 0, one update with the default momentum 0.99 gives 0.01 x the batch mean of BN's input
    // (the dense layer's output, which a training-mode pass leaves alone), in float32.
    const batchMeanTensor = tf.tidy(() => tf.mean(model.layers[0].apply(x) as tf.Tensor, 0));
    const batchMean = Array.from(batchMeanTensor.dataSync());
    batchMeanTensor.dispose();
    const expected = batchMean.map((m) => 0.01 * m);
    expect(batchMean.every((m) => m !== 0)).toBe(true);
    expect(mean.firstIndex).toBe(0);
    expect(mean.changed).toBe(3);
    expect(mean.after).toBeCloseTo(expected[0], 6);
    expect(mean.maxAbsDiff).toBeCloseTo(Math.max(...expected.map(Math.abs)), 6);
    expect(mean.maxRelDiff).toBe(1);
    const onlyStats = diffSnapshots(before, await captureSnapshot(model), (n) => weightKind(n).startsWith('moving_'));
    expect(onlyStats.unchanged).toEqual([]);
    expect(onlyStats.moved).toHaveLength(2);
    model.dispose();
  });

  test('captureLayerSnapshot sees one layer; an unbuilt layer gives an empty snapshot', async () => {
    const bn = tfl.layers.batchNormalization({ name: 'solo_bn' });
    expect(await captureLayerSnapshot(bn)).toEqual({ weights: {} });
    const before = await captureLayerSnapshot(bn);
    trainStep(bn, x);
    const after = await captureLayerSnapshot(bn);
    expect(Object.keys(after.weights).sort()).toEqual(
      ['solo_bn/beta', 'solo_bn/gamma', 'solo_bn/moving_mean', 'solo_bn/moving_variance'],
    );
    expect(diffSnapshots(before, after).added).toHaveLength(4);
    bn.dispose();
  });

  test('capture leaks no tensors', async () => {
    const model = denseBn('leak_');
    trainStep(model, x);
    const start = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      await captureSnapshot(model);
      await captureLayerSnapshot(model.layers[1]);
    }
    expect(tf.memory().numTensors).toBe(start);
    model.dispose();
  });

  test('a source whose read() allocates is cleaned up too', async () => {
    const start = tf.memory().numTensors;
    const snap = await captureLayerSnapshot({ weights: [{ name: 'fresh/kernel', read: () => tf.ones([2, 2]) }] });
    expect(Array.from(snap.weights['fresh/kernel'].values)).toEqual([1, 1, 1, 1]);
    expect(tf.memory().numTensors).toBe(start);
  });

  test('keys use originalName: a rebuilt model has equal keys and equal bytes, though tfjs renamed its variables', async () => {
    const a = denseBn('same_');
    const b = denseBn('same_');
    // tfjs makes `name` unique per process by appending _1; originalName stays put.
    expect(b.weights.map((w) => w.name)).toContain('same_bn/gamma_1');
    expect(b.weights.map((w) => w.originalName)).toContain('same_bn/gamma');
    const bytesA = snapshotBytes(await captureSnapshot(a));
    expect(Buffer.from(snapshotBytes(await captureSnapshot(b))).equals(Buffer.from(bytesA))).toBe(true);
    expect(Buffer.from(snapshotBytes(await captureSnapshot(a))).equals(Buffer.from(bytesA))).toBe(true);
    trainStep(a, x);
    expect(Buffer.from(snapshotBytes(await captureSnapshot(a))).equals(Buffer.from(bytesA))).toBe(false);
    a.dispose();
    b.dispose();
  });

  test('weights of a nested model are captured (inside a functional model and inside a sequential)', async () => {
    const inner = innerModel('inner_model', 'nest_');
    const input = tfl.input({ shape: [4] });
    const head = tfl.layers.dense({ units: 1, name: 'nest_head' });
    const outer = tfl.model({ inputs: input, outputs: head.apply(inner.apply(input)) as tfl.SymbolicTensor });
    const names = Object.keys((await captureSnapshot(outer)).weights).sort();
    expect(names).toEqual([
      'nest_bn/beta', 'nest_bn/gamma', 'nest_bn/moving_mean', 'nest_bn/moving_variance',
      'nest_d/bias', 'nest_d/kernel', 'nest_head/bias', 'nest_head/kernel',
    ]);

    const seq = tfl.sequential({ layers: [innerModel('inner_seq', 'nseq_'), tfl.layers.dense({ units: 2, name: 'nseq_head' })] });
    expect(Object.keys((await captureSnapshot(seq)).weights)).toEqual(expect.arrayContaining(['nseq_bn/moving_mean', 'nseq_d/kernel']));

    // Freezing the inner model does not stop its BN statistics from moving in tfjs 4.22.
    inner.trainable = false;
    const before = await captureSnapshot(outer);
    trainStep(outer, x);
    const moved = diffSnapshots(before, await captureSnapshot(outer)).moved.map((d) => d.name);
    expect(moved).toEqual(['nest_bn/moving_mean', 'nest_bn/moving_variance']);
    outer.dispose();
    seq.dispose();
  });

  test('equal originalNames from two nested models get #2, independent of trainable order', async () => {
    const first = innerModel('twin_a', 'twin_');
    const second = innerModel('twin_b', 'twin_');
    const input = tfl.input({ shape: [4] });
    const merged = tfl.layers.add().apply([first.apply(input), second.apply(input)] as tfl.SymbolicTensor[]);
    const outer = tfl.model({ inputs: input, outputs: merged as tfl.SymbolicTensor });
    const snap = await captureSnapshot(outer);
    expect(Object.keys(snap.weights)).toHaveLength(12);
    expect(snap.weights['twin_d/kernel#2']).toBeDefined();
    expect(snap.weights['twin_d/kernel'].values).toEqual(first.layers[1].getWeights()[0].dataSync());
    expect(snap.weights['twin_d/kernel#2'].values).toEqual(second.layers[1].getWeights()[0].dataSync());
    expect(weightKind('twin_d/kernel#2')).toBe('kernel');
    // Freezing the first model reorders outer.weights; the keys must not swap.
    const order = outer.weights.map((w) => w.name);
    first.trainable = false;
    expect(outer.weights.map((w) => w.name)).not.toEqual(order);
    expect(diffSnapshots(snap, await captureSnapshot(outer)).moved).toEqual([]);
    outer.dispose();
  });

  test('a disposed model cannot be captured, and the error says which weight', async () => {
    const model = denseBn('gone_');
    model.dispose();
    await expect(captureSnapshot(model)).rejects.toThrow(/captureSnapshot: weight "gone_d\/kernel" cannot be read: .*disposed/);
  });
});

// ---------------------------------------------------------------------------------------------
// diffSnapshots and snapshotBytes on synthetic snapshots (no tfjs needed).

const weightName = fc.stringMatching(/^[a-z]{1,6}\/(gamma|beta|kernel|moving_mean)$/);
const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .dictionary(weightName, fc.float32Array({ minLength: 1, maxLength: 12 }), { minKeys: 1, maxKeys: 5 })
  .map((dict) => {
    const weights: Record<string, WeightValue> = {};
    for (const [name, values] of Object.entries(dict)) weights[name] = { name, shape: [values.length], values };
    return { weights };
  });

function cloneSnapshot(s: Snapshot): Snapshot {
  const weights: Record<string, WeightValue> = {};
  for (const [k, w] of Object.entries(s.weights)) weights[k] = { name: w.name, shape: w.shape.slice(), values: w.values.slice() };
  return { weights };
}

const weight = (name: string, values: number[]): WeightValue => ({ name, shape: [values.length], values: Float32Array.from(values) });
const snapshotOf = (...ws: WeightValue[]): Snapshot => ({ weights: Object.fromEntries(ws.map((w) => [w.name, w])) });

describe('diffSnapshots', () => {
  test.prop([snapshotArb])('a snapshot compared with itself (or a copy) has nothing moved', (s) => {
    for (const other of [s, cloneSnapshot(s)]) {
      const d = diffSnapshots(s, other);
      expect(d.moved).toEqual([]);
      expect(d.added).toEqual([]);
      expect(d.removed).toEqual([]);
      expect(d.unchanged).toEqual(Object.keys(s.weights).sort());
    }
  });

  test.prop([snapshotArb, fc.nat(), fc.nat(), fc.float32Array({ minLength: 1, maxLength: 1 })])(
    'changing one element is reported at that index with its before/after values',
    (s, pickWeight, pickIndex, [replacement]) => {
      const names = Object.keys(s.weights).sort();
      const name = names[pickWeight % names.length];
      const index = pickIndex % s.weights[name].values.length;
      const old = s.weights[name].values[index];
      fc.pre(!Object.is(old, replacement) && !(Number.isNaN(old) && Number.isNaN(replacement)));
      const after = cloneSnapshot(s);
      after.weights[name].values[index] = replacement;
      const d = diffSnapshots(s, after);
      expect(d.moved).toHaveLength(1);
      const m = d.moved[0];
      expect(m).toMatchObject({ name, firstIndex: index, changed: 1, count: s.weights[name].values.length });
      expect(Object.is(m.before, old)).toBe(true);
      const stored = Math.fround(replacement);
      expect(Object.is(m.after, stored)).toBe(true);
      // Only one element changed, so the maxima are that element's differences (as WeightDiff defines
      // them): Infinity when exactly one side is NaN; +Infinity vs -Infinity has relative diff Infinity.
      const oneNaN = Number.isNaN(old) !== Number.isNaN(stored);
      const abs = oneNaN ? Infinity : Math.abs(stored - old);
      const scale = Math.max(Math.abs(old), Math.abs(stored));
      const rel = oneNaN || !Number.isFinite(scale) ? Infinity : scale === 0 ? 0 : abs / scale;
      expect(m.maxAbsDiff).toBe(abs);
      expect(m.maxRelDiff).toBe(rel);
      expect(d.unchanged).toEqual(names.filter((n) => n !== name));
    },
  );

  test('reports abs/rel diffs, count of changed elements and the first index', () => {
    const d = diffSnapshots(snapshotOf(weight('bn/moving_mean', [0, 2, 4, 8])), snapshotOf(weight('bn/moving_mean', [0, 1, 4, 10])));
    expect(d.moved).toEqual([
      { name: 'bn/moving_mean', maxAbsDiff: 2, maxRelDiff: 0.5, firstIndex: 1, changed: 2, count: 4, before: 2, after: 1 },
    ]);
  });

  test('NaN to NaN is unchanged; NaN to a number, and +0 to -0, count as moved', () => {
    const before = snapshotOf(weight('a/kernel', [NaN, 1]), weight('b/kernel', [1, NaN]), weight('c/kernel', [0]));
    const after = snapshotOf(weight('a/kernel', [NaN, 1]), weight('b/kernel', [1, 5]), weight('c/kernel', [-0]));
    const d = diffSnapshots(before, after);
    expect(d.unchanged).toEqual(['a/kernel']);
    expect(d.moved.map((m) => [m.name, m.firstIndex, m.maxAbsDiff, m.maxRelDiff])).toEqual([
      ['b/kernel', 1, Infinity, Infinity],
      ['c/kernel', 0, 0, 0],
    ]);
  });

  test('added, removed and filter', () => {
    const before = snapshotOf(weight('x/gamma', [1]), weight('x/beta', [0]));
    const after = snapshotOf(weight('x/gamma', [1]), weight('y/kernel', [3]));
    expect(diffSnapshots(before, after)).toEqual({ moved: [], unchanged: ['x/gamma'], added: ['y/kernel'], removed: ['x/beta'] });
    expect(diffSnapshots(before, after, (n) => n.startsWith('x/'))).toEqual({
      moved: [], unchanged: ['x/gamma'], added: [], removed: ['x/beta'],
    });
  });

  test('a change of shape is an error naming the weight', () => {
    expect(() => diffSnapshots(snapshotOf(weight('w/kernel', [1, 2])), snapshotOf(weight('w/kernel', [1, 2, 3])))).toThrow(
      'diffSnapshots: weight "w/kernel" has shape [2] before and [3] after',
    );
  });
});

describe('snapshotBytes', () => {
  test.prop([snapshotArb])('equal snapshots give equal bytes whatever the key order', (s) => {
    const reversed: Snapshot = { weights: Object.fromEntries(Object.entries(cloneSnapshot(s).weights).reverse()) };
    expect(Buffer.from(snapshotBytes(reversed)).equals(Buffer.from(snapshotBytes(s)))).toBe(true);
  });

  test.prop([snapshotArb, fc.nat()])('flipping one bit of one value changes the bytes', (s, pick) => {
    const after = cloneSnapshot(s);
    const w = Object.values(after.weights)[pick % Object.keys(after.weights).length];
    new Uint32Array(w.values.buffer)[0] ^= 1;
    expect(Buffer.from(snapshotBytes(after)).equals(Buffer.from(snapshotBytes(s)))).toBe(false);
  });

  test('layout: magic, count, then name, shape and little-endian float32 values', () => {
    const bytes = snapshotBytes(snapshotOf({ name: 'b', shape: [1, 2], values: Float32Array.of(1, -2) }));
    expect(Buffer.from(bytes).toString('hex')).toBe(
      Buffer.from('BNSNAP1\n').toString('hex') +
        '01000000' + '01000000' + '62' + '02000000' + '01000000' + '02000000' + '02000000' + '0000803f' + '000000c0',
    );
  });
});

describe('weightKind', () => {
  test.each<[string, ReturnType<typeof weightKind>]>([
    ['bn/gamma', 'gamma'],
    ['bn/beta_3', 'beta'],
    ['outer/bn/moving_mean', 'moving_mean'],
    ['batch_normalization_BatchNormalization1/moving_variance_1', 'moving_variance'],
    ['bn/moving_variance#2', 'moving_variance'],
    ['dense_Dense1/kernel', 'kernel'],
    ['conv/depthwise_kernel', 'kernel'],
    ['d/bias_12', 'bias'],
    ['lstm/recurrent_kernel', 'kernel'],
    ['emb/embeddings', 'other'],
    ['gamma_ray/alpha', 'other'],
    ['kernel', 'kernel'],
  ])('%s -> %s', (name, kind) => {
    expect(weightKind(name)).toBe(kind);
  });
});

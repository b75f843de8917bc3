/**
 * Seeded synthetic data as plain typed arrays.
 *
 * Kept free of tfjs so that data can be generated, hashed and compared without a
 * backend, and so that every backend under test receives byte-identical inputs.
 *
 * @packageDocumentation
 */
import { createRng, deriveSeed } from './rng';

/** A dense float32 tensor in row-major order. */
export interface FloatBatch {
  /** Dimensions, outermost first. */
  shape: number[];
  /** `shape.reduce((a, b) => a * b)` values, last axis varying fastest. */
  values: Float32Array;
}

/** A classification batch: features, integer labels and their one-hot encoding. */
export interface LabelledBatch {
  /** Features, shape `[batch, features]`. */
  x: FloatBatch;
  /** Class index of each row, in [0, classes). */
  labels: Int32Array;
  /** One-hot labels, shape `[batch, classes]`. */
  oneHot: FloatBatch;
  /** Number of classes. */
  classes: number;
}

/** Parameters of {@link gaussianBlobs}. */
export interface GaussianSpec {
  /** Positive integer dimensions, rank at least 1. */
  shape: number[];
  /** The channel axis; negative values count from the end (-1 is the last axis). */
  channelAxis: number;
  /** Per-channel mean: one number for all channels, or one per channel. */
  mean: number | number[];
  /** Per-channel standard deviation (≥ 0): one number, or one per channel. 0 gives constant channels. */
  scale: number | number[];
  /** Seed of the stream. */
  seed: number;
}

/** Parameters of {@link labelledBlobs}. */
export interface LabelledSpec {
  /** Number of rows (samples), a positive integer. */
  batch: number;
  /** Number of feature columns, a positive integer. */
  features: number;
  /** Number of classes, a positive integer. */
  classes: number;
  /** Euclidean norm of every class center (≥ 0). */
  separation: number;
  /** Standard deviation of the isotropic noise around each center (≥ 0). */
  noise: number;
  /** Added to every feature after the contrast is applied. Default 0. */
  shift?: number;
  /** Multiplies every feature before the shift is added. Default 1. */
  contrast?: number;
  /** Seed of the stream. */
  seed: number;
}

// A guard against typos such as a shape of [1e6, 1e6]: fail with a clear message
// rather than a RangeError from the typed-array constructor.
const MAX_ELEMENTS = 2 ** 28;

/**
 * Draws `values[i] = mean_c + scale_c * z_i` with `z_i ~ N(0, 1)`, where `c` is the
 * index of element `i` along the channel axis. Giving each channel its own mean and
 * scale models a domain shift between channels; a scale of 0 makes a channel exactly
 * constant (zero variance), the degenerate case batch normalization must survive.
 *
 * Values are computed in float64 and rounded once to float32.
 *
 * @throws Error naming the field and the allowed values when the spec is invalid
 */
export function gaussianBlobs(spec: GaussianSpec): FloatBatch {
  const fn = 'gaussianBlobs';
  requireObject(fn, 'spec', spec);
  const shape = checkShape(fn, 'shape', spec.shape);
  const axis = normalizeAxis(fn, spec.channelAxis, shape.length);
  requireFinite(fn, 'seed', spec.seed);
  const channels = shape[axis];
  const where = `shape[${axis}] (the channel axis)`;
  const means = perChannel(fn, 'mean', spec.mean, channels, where, false);
  const scales = perChannel(fn, 'scale', spec.scale, channels, where, true);

  const size = elementCount(shape);
  // Elements sharing a channel index form runs of `inner` consecutive values.
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];

  const rng = createRng(deriveSeed(spec.seed, fn));
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = Math.floor(i / inner) % channels;
    // Drawn even when the scale is 0 so that one channel's scale does not shift
    // the stream seen by the others.
    const z = rng.normal();
    values[i] = scales[c] === 0 ? means[c] : means[c] + scales[c] * z;
    if (!Number.isFinite(values[i])) throw overflow(fn, 'mean and scale', values[i]);
  }
  return { shape, values };
}

/**
 * A batch in which every element equals `value`: zero variance on every axis.
 *
 * @throws Error if `shape` has a non-positive or non-integer dimension, or `value` is not finite
 */
export function constantFeatures(shape: number[], value: number): FloatBatch {
  const fn = 'constantFeatures';
  const dims = checkShape(fn, 'shape', shape);
  requireFinite(fn, 'value', value);
  if (!Number.isFinite(Math.fround(value))) throw overflow(fn, 'value', value);
  return { shape: dims, values: new Float32Array(elementCount(dims)).fill(value) };
}

/**
 * A seeded classification problem of Gaussian blobs.
 *
 * Class centers are drawn once per seed: random directions scaled to norm
 * `separation` exactly. Row `i` of class `k` is `center_k + noise * z` with
 * `z ~ N(0, I)`, then `x * contrast + shift` is applied to every feature (a domain
 * shift: the same seed with a different shift or contrast gives the same samples,
 * transformed). Labels are balanced: assigned round-robin (class counts differ by
 * at most one) and then shuffled with the seeded stream.
 *
 * Centers depend only on `seed`, `features` and `classes`, not on `batch`.
 *
 * @throws Error naming the field and the allowed values when the spec is invalid
 */
export function labelledBlobs(spec: LabelledSpec): LabelledBatch {
  const fn = 'labelledBlobs';
  requireObject(fn, 'spec', spec);
  const batch = requirePositiveInt(fn, 'batch', spec.batch);
  const features = requirePositiveInt(fn, 'features', spec.features);
  const classes = requirePositiveInt(fn, 'classes', spec.classes);
  const separation = requireNonNegative(fn, 'separation', spec.separation);
  const noise = requireNonNegative(fn, 'noise', spec.noise);
  const shift = spec.shift === undefined ? 0 : requireFinite(fn, 'shift', spec.shift);
  const contrast = spec.contrast === undefined ? 1 : requireFinite(fn, 'contrast', spec.contrast);
  requireFinite(fn, 'seed', spec.seed);
  checkSize(fn, [batch, features]);
  checkSize(fn, [batch, classes]);

  // Separate streams so that, e.g., a larger batch keeps the same centers.
  const centerRng = createRng(deriveSeed(spec.seed, `${fn}:centers`));
  const labelRng = createRng(deriveSeed(spec.seed, `${fn}:labels`));
  const noiseRng = createRng(deriveSeed(spec.seed, `${fn}:noise`));

  const centers = new Float64Array(classes * features);
  for (let k = 0; k < classes; k++) {
    let norm = 0;
    // A zero vector has no direction; redraw (probability ~0 except in tiny dims).
    while (norm === 0) {
      norm = 0;
      for (let f = 0; f < features; f++) {
        const z = centerRng.normal();
        centers[k * features + f] = z;
        norm += z * z;
      }
      norm = Math.sqrt(norm);
    }
    for (let f = 0; f < features; f++) {
      centers[k * features + f] = (centers[k * features + f] / norm) * separation;
    }
  }

  const order: number[] = [];
  for (let i = 0; i < batch; i++) order.push(i % classes);
  labelRng.shuffle(order);
  const labels = Int32Array.from(order);

  const x = new Float32Array(batch * features);
  for (let i = 0; i < batch; i++) {
    const k = labels[i];
    for (let f = 0; f < features; f++) {
      const raw = centers[k * features + f] + noise * noiseRng.normal();
      x[i * features + f] = raw * contrast + shift;
      if (!Number.isFinite(x[i * features + f])) {
        throw overflow(fn, 'separation, noise, contrast and shift', x[i * features + f]);
      }
    }
  }
  return {
    x: { shape: [batch, features], values: x },
    labels,
    oneHot: { shape: [batch, classes], values: oneHot(labels, classes) },
    classes,
  };
}

function overflow(fn: string, fields: string, produced: number): Error {
  return new Error(`${fn}: ${fields} produce ${produced}, which float32 cannot hold; keep magnitudes below ~3.4e38`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}

function requireObject(fn: string, field: string, value: unknown): void {
  if (value === null || typeof value !== 'object') {
    throw new Error(`${fn}: ${field} is ${describe(value)}; expected an object`);
  }
}

function requireFinite(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${fn}: ${field} is ${describe(value)}; expected a finite number`);
  }
  return value;
}

function requireNonNegative(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${fn}: ${field} is ${describe(value)}; expected a finite number >= 0`);
  }
  return value;
}

function requirePositiveInt(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${fn}: ${field} is ${describe(value)}; expected a positive integer`);
  }
  return value;
}

function checkShape(fn: string, field: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new Error(`${fn}: ${field} is ${describe(shape)}; expected a non-empty array of positive integers`);
  }
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1) {
      throw new Error(`${fn}: ${field}[${i}] is ${describe(d)}; expected a positive integer`);
    }
  });
  const dims = (shape as number[]).slice();
  checkSize(fn, dims);
  return dims;
}

function checkSize(fn: string, dims: number[]): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size > MAX_ELEMENTS) {
    throw new Error(`${fn}: [${dims.join(', ')}] has ${size} elements; at most ${MAX_ELEMENTS} are allowed`);
  }
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function normalizeAxis(fn: string, axis: unknown, rank: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(
      `${fn}: channelAxis is ${describe(axis)}; expected an integer in [${-rank}, ${rank - 1}] for a shape of rank ${rank}`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

function perChannel(
  fn: string,
  field: string,
  value: unknown,
  channels: number,
  where: string,
  nonNegative: boolean,
): number[] {
  const allowed = nonNegative ? 'a finite number >= 0' : 'a finite number';
  const check = (v: unknown, label: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (nonNegative && v < 0)) {
      throw new Error(`${fn}: ${label} is ${describe(v)}; expected ${allowed}`);
    }
    return v;
  };
  if (Array.isArray(value)) {
    if (value.length !== channels) {
      throw new Error(`${fn}: ${field} has ${value.length} values but ${where} is ${channels}`);
    }
    return value.map((v, i) => check(v, `${field}[${i}]`));
  }
  if (typeof value === 'number') {
    return new Array<number>(channels).fill(check(value, field));
  }
  throw new Error(`${fn}: ${field} is ${describe(value)}; expected ${allowed} or an array of ${channels} (one per channel)`);
}

/** One-hot rows for integer class labels: `labels.length` rows of `classes` values, row-major. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

import type { Tensor } from '@tensorflow/tfjs-core';
import type { DenseArray } from '../oracle/dense-array';

/**
 * Copies a tensor's values out of the backend into a plain {@link DenseArray} (does not dispose it).
 * Asynchronous: the webgpu backend's synchronous read returns zeros in headless Chromium.
 */
export async function toDense(tensor: Tensor): Promise<DenseArray & { values: Float32Array }> {
  const shape = tensor.shape.slice();
  return { shape, values: Float32Array.from((await tensor.data()) as Float32Array) };
}

/** Index of the largest value in each row of a [batch, classes] array. */
export function argmaxRows(probabilities: DenseArray): Int32Array {
  const [rows, classes] = probabilities.shape;
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities.values[r * classes + c] > probabilities.values[r * classes + best]) best = c;
    }
    result[r] = best;
  }
  return result;
}

/** Fraction of predicted classes equal to the labels. */
export function accuracy(predicted: Int32Array, labels: Int32Array): number {
  if (labels.length === 0) return Number.NaN;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return hits / labels.length;
}

/** Largest absolute value, ignoring NaN; 0 for an empty array. */
export function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]);
    if (v > max) max = v;
  }
  return max;
}

/**
 * A minimal n-dimensional array: a shape plus a flat list of values in row-major (C) order,
 * the layout `tf.Tensor.dataSync()` returns. The oracle works on this instead of tensors so that
 * it never depends on tfjs.
 */
export interface DenseArray {
  /** Size of each dimension; `[]` is a scalar holding one value. */
  shape: readonly number[];
  /** The elements in row-major order; the last axis varies fastest. */
  values: ArrayLike<number>;
}

/**
 * Number of elements an array of this shape holds (1 for a scalar, 0 if any dimension is 0).
 *
 * @throws RangeError if a dimension is not a non-negative integer.
 */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (let dim = 0; dim < shape.length; dim++) {
    const extent = shape[dim];
    if (!Number.isInteger(extent) || extent < 0) {
      throw new RangeError(
        `sizeOf: dimension ${dim} of shape [${shape.join(',')}] is ${extent}, expected a non-negative integer`,
      );
    }
    size *= extent;
  }
  return size;
}

/**
 * Row-major strides: how far the flat index moves when the index along each axis grows by one.
 * The last stride is 1; `stridesOf([2, 3, 4])` is `[12, 4, 1]`.
 */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    strides[dim] = stride;
    stride *= shape[dim];
  }
  return strides;
}

/**
 * Multi-index of the element at `flat` in a row-major array of this shape
 * (numpy's `unravel_index`): `unravelIndex(7, [4, 3])` is `[2, 1]`.
 *
 * @throws RangeError if `flat` is not an integer in `[0, sizeOf(shape))`.
 */
export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const size = sizeOf(shape);
  if (!Number.isInteger(flat) || flat < 0 || flat >= size) {
    throw new RangeError(
      `unravelIndex: flat index ${flat} is outside [0, ${size}) for shape [${shape.join(',')}]`,
    );
  }
  const index = new Array<number>(shape.length);
  let remainder = flat;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    index[dim] = remainder % shape[dim];
    remainder = Math.floor(remainder / shape[dim]);
  }
  return index;
}

/**
 * Turns a possibly negative axis into its index in `[0, rank)`, the way Keras and tfjs read
 * axes: `-1` is the last axis, `-rank` the first.
 *
 * @throws RangeError naming the axis and the valid range when the axis is not an integer in
 *   `[-rank, rank - 1]`.
 */
export function normalizeAxis(axis: number, rank: number): number {
  if (!Number.isInteger(rank) || rank < 0) {
    throw new RangeError(`normalizeAxis: rank ${rank} is not a non-negative integer`);
  }
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const validRange = rank === 0 ? 'none: a scalar has no axes' : `[${-rank}, ${rank - 1}]`;
    throw new RangeError(`axis ${axis} is invalid for an array of rank ${rank}; valid axes: ${validRange}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Checks that `array.values` holds exactly as many elements as `array.shape` describes.
 *
 * @param caller - function name to start the error message with.
 * @param argumentName - name of the argument being checked, for the error message.
 * @throws RangeError naming the caller, the argument and both counts on a mismatch.
 */
export function assertDenseArray(array: DenseArray, caller: string, argumentName: string): void {
  let size: number;
  try {
    size = sizeOf(array.shape);
  } catch (cause) {
    throw new RangeError(`${caller}: ${argumentName} has an invalid shape [${array.shape.join(',')}]`, { cause });
  }
  if (array.values.length !== size) {
    throw new RangeError(
      `${caller}: ${argumentName} has ${array.values.length} values but its shape [${array.shape.join(',')}] needs ${size}`,
    );
  }
}

/**
 * The data of a steps scenario as plain float32 arrays: the input `x`, the targets `y` and the
 * further named tensors, each seeded from the scenario's seed and its own name, so that adding a
 * tensor never changes another one's values.
 *
 * @packageDocumentation
 */
import { gaussianBlobs, oneHot } from '../../data/generators';
import { createRng, deriveSeed } from '../../data/rng';
import type { StepsData } from './schema';

/** A data tensor's shape and values (row-major). */
export interface DataTensor {
  shape: number[];
  values: Float32Array;
}

type Generated = { fill: number } | { gaussian: { mean: number; scale: number } } | { uniform: { min: number; max: number } } | { values: number[] };

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Values of one generated tensor; `label` seeds its random stream. */
function generate(spec: Generated, shape: number[], seed: number, label: string, where: string): Float32Array {
  const size = sizeOf(shape);
  if ('fill' in spec) return new Float32Array(size).fill(spec.fill);
  if ('values' in spec) {
    if (spec.values.length !== size) throw new RangeError(`${where}.values has ${spec.values.length} values but its shape [${shape.join(', ')}] needs ${size}`);
    return Float32Array.from(spec.values);
  }
  if ('gaussian' in spec) return gaussianBlobs({ shape, channelAxis: -1, mean: spec.gaussian.mean, scale: spec.gaussian.scale, seed: deriveSeed(seed, label) }).values;
  const rng = createRng(deriveSeed(seed, label));
  const { min, max } = spec.uniform;
  return Float32Array.from({ length: size }, () => min + (max - min) * rng.uniform());
}

/**
 * The shapes of the data tensors (`x`, `y` when given, then `data.tensors` in order), known without
 * generating them; `outputShape` is the model's per-sample output shape.
 */
export function dataTensorShapes(data: StepsData, inputShape: readonly number[], outputShape: readonly number[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  shapes.set('x', [data.batch, ...inputShape]);
  if (data.y !== undefined) shapes.set('y', 'sameAs' in data.y ? [data.batch, ...inputShape] : [data.batch, ...outputShape]);
  for (const [name, tensor] of Object.entries(data.tensors ?? {})) {
    shapes.set(name, 'copyOf' in tensor ? [...(shapes.get(tensor.copyOf) ?? [])] : (tensor.shape ?? [data.batch, ...inputShape]));
  }
  return shapes;
}

/**
 * Every data tensor of a steps scenario, generated: `x`, `y` (when the data has targets) and the
 * further tensors, by name. A size mismatch of literal values throws a RangeError naming the field
 * (scenario loading checks it first).
 */
export function dataTensors(data: StepsData, inputShape: readonly number[], outputShape: readonly number[], seed: number): Map<string, DataTensor> {
  const shapes = dataTensorShapes(data, inputShape, outputShape);
  const tensors = new Map<string, DataTensor>();
  const xShape = shapes.get('x') as number[];
  tensors.set('x', { shape: xShape, values: generate(data.x, xShape, seed, 'x', 'data.x') });
  const y = data.y;
  if (y !== undefined) {
    const yShape = shapes.get('y') as number[];
    if ('sameAs' in y) tensors.set('y', { shape: yShape, values: Float32Array.from(tensors.get('x')?.values ?? []) });
    else if ('labels' in y) {
      const classes = yShape[yShape.length - 1];
      const rng = createRng(deriveSeed(seed, 'labels'));
      const labels = Array.from({ length: yShape[0] }, () => rng.int(classes));
      tensors.set('y', { shape: yShape, values: oneHot(labels, classes) });
    } else tensors.set('y', { shape: yShape, values: generate(y, yShape, seed, 'y', 'data.y') });
  }
  for (const [name, spec] of Object.entries(data.tensors ?? {})) {
    const shape = shapes.get(name) as number[];
    if (!('copyOf' in spec)) {
      tensors.set(name, { shape, values: generate(spec, shape, seed, `tensors/${name}`, `data.tensors.${name}`) });
      continue;
    }
    const source = tensors.get(spec.copyOf);
    if (source === undefined) throw new RangeError(`data.tensors.${name}.copyOf: no data tensor '${spec.copyOf}' before it`);
    const values = Float32Array.from(source.values);
    if (spec.set !== undefined) setIndexAlongAxis(values, shape, spec.set, `data.tensors.${name}.set`);
    tensors.set(name, { shape, values });
  }
  return tensors;
}

/** Sets every element whose index along `axis` is `index` to `value` (numpy's `x[:, index, ...] = value`). */
function setIndexAlongAxis(values: Float32Array, shape: readonly number[], set: { axis: number; index: number; value: number }, where: string): void {
  const axis = set.axis < 0 ? set.axis + shape.length : set.axis;
  if (axis < 0 || axis >= shape.length) throw new RangeError(`${where}.axis ${set.axis} is outside the tensor's rank ${shape.length}`);
  if (set.index >= shape[axis]) throw new RangeError(`${where}.index ${set.index} is outside axis ${set.axis} of size ${shape[axis]}`);
  const inner = sizeOf(shape.slice(axis + 1));
  for (let i = 0; i < values.length; i++) if (Math.floor(i / inner) % shape[axis] === set.index) values[i] = set.value;
}

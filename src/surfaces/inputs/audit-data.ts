/**
 * Reads the data `bn-suite audit` fine-tunes on: samples (`--data`) and class labels (`--labels`),
 * each a `.npy` file (numpy's format; C order) or JSON (nested arrays, or `{ "shape": [...],
 * "values": [...] }` row-major). Problems name the file and where in it (line:column for malformed
 * JSON, the index for a ragged or non-numeric entry).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FloatBatch } from '../../engine/data/generators';
import { UsageError } from '../../engine/errors';
import { parseJsonText } from '../../hosts/node/json-text';
import { parseNpy } from './npy';

/** Samples are refused past this many elements (the audit holds them in memory, several times). */
const MAX_ELEMENTS = 2 ** 28;

function readJson(file: string, label: string): unknown {
  return parseJsonText(fs.readFileSync(file, 'utf8'), label);
}

/** Flattens nested arrays, checking that they are rectangular and numeric. */
function flattenNested(value: unknown, label: string): FloatBatch {
  const shape: number[] = [];
  for (let probe: unknown = value; Array.isArray(probe); probe = probe[0]) shape.push(probe.length);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > MAX_ELEMENTS) throw new UsageError(`${label}: ${size} values, over the limit of ${MAX_ELEMENTS}`);
  const values = new Float32Array(size);
  let next = 0;
  const walk = (node: unknown, depth: number, where: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number' || !Number.isFinite(node)) throw new UsageError(`${label}: ${where}: ${JSON.stringify(node)} is not a finite number`);
      values[next++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new UsageError(`${label}: ${where || '(top level)'}: expected an array of ${shape[depth]}, like the first entry at this depth, found ${Array.isArray(node) ? `an array of ${node.length}` : JSON.stringify(node)}`);
    }
    node.forEach((child, i) => walk(child, depth + 1, `${where}[${i}]`));
  };
  walk(value, 0, '');
  return { shape, values };
}

function readArray(file: string, flag: string): FloatBatch {
  const label = path.relative(process.cwd(), path.resolve(file)) || file;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`${flag} '${file}': no such file`);
  if (file.endsWith('.npy')) {
    const bytes = fs.readFileSync(file);
    let array: ReturnType<typeof parseNpy>;
    try {
      array = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    } catch (error) {
      throw new UsageError(`${label}: not a readable .npy file: ${(error as Error).message}`);
    }
    if (array.fortranOrder) throw new UsageError(`${label}: Fortran-ordered array; save it in C order (numpy.ascontiguousarray)`);
    if (!/^[iuf][1248]$/.test(array.dtype)) throw new UsageError(`${label}: dtype ${array.dtype}; expected numbers (float or integer)`);
    const source = array.data as unknown as ArrayLike<number | bigint>;
    const values = Float32Array.from({ length: source.length }, (_, i) => Number(source[i]));
    return { shape: array.shape.length === 0 ? [1] : [...array.shape], values };
  }
  if (file.endsWith('.json')) {
    const raw = readJson(file, label);
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const { shape, values } = raw as { shape?: unknown; values?: unknown };
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new UsageError(`${label}: shape: expected an array of positive integers`);
      const flat = flattenNested(values, `${label}: values`);
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      if (flat.shape.length !== 1 || flat.values.length !== size) throw new UsageError(`${label}: values: expected a flat array of ${size} numbers for shape [${shape.join(',')}], found ${flat.values.length}`);
      return { shape: shape as number[], values: flat.values };
    }
    return flattenNested(raw, label);
  }
  throw new UsageError(`${flag} '${file}': expected a .npy or .json file`);
}

/** Reads `--data`: samples along the first axis. */
export function readAuditSamples(file: string): FloatBatch {
  const batch = readArray(file, '--data');
  if (batch.shape.length < 2) throw new UsageError(`--data '${file}': shape [${batch.shape.join(',')}]; expected samples along the first axis and the model's input shape after it`);
  return batch;
}

/** Reads `--labels`: one non-negative integer class per sample. */
export function readAuditLabels(file: string): Int32Array {
  const batch = readArray(file, '--labels');
  if (batch.shape.length !== 1) throw new UsageError(`--labels '${file}': shape [${batch.shape.join(',')}]; expected one class index per sample (a flat list)`);
  const labels = new Int32Array(batch.values.length);
  batch.values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0) throw new UsageError(`--labels '${file}': entry ${i} is ${v}; expected a class index (an integer >= 0)`);
    labels[i] = v;
  });
  return labels;
}

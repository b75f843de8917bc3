/**
 * Named weight capture and exact comparison.
 *
 * A snapshot copies every weight of a model (or a layer) into plain float32 arrays
 * keyed by name, so that "did this update touch the moving statistics?" becomes a
 * diff of two snapshots, independent of the backend and of tensor lifetimes.
 *
 * ## Weight names
 *
 * A tfjs-layers `LayerVariable` carries two names:
 * - `originalName`, the scoped name `<layer name>/<weight>`, e.g. `bn/moving_mean`;
 * - `name`, the same made unique across the whole process by a global counter:
 *   building a second model whose layer is also called `bn` yields `bn/moving_mean_1`.
 *
 * Snapshots are keyed by `originalName`, which does not depend on which other models
 * the process has built, so two builds of the same model have the same keys and can be
 * compared byte for byte. (Layers left unnamed get names such as
 * `batch_normalization_BatchNormalization3`, which come from a per-class counter and are
 * therefore not stable; name layers explicitly when keys matter.)
 *
 * `model.weights` includes the weights of nested models, under the inner layer names
 * and without any prefix for the enclosing model. When two distinct variables of one
 * model share an `originalName` (two nested models with equally named layers), the
 * first-created keeps the name and later ones get `#2`, `#3`, … by creation order;
 * `#` cannot occur in a tfjs tensor name, so such keys never collide with real ones.
 *
 * @packageDocumentation
 */
import { tf } from '../tfjs';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** A copy of one weight's value. */
export interface WeightValue {
  /** The snapshot key; see the module notes on weight names. */
  name: string;
  /** The weight's shape. */
  shape: number[];
  /** The values in row-major order, copied (never aliased to backend memory). */
  values: Float32Array;
}

/** Copies of all weights of a model or layer, keyed by name. */
export interface Snapshot {
  /** Weights keyed by {@link WeightValue.name}, e.g. `"bn/moving_mean"`. */
  weights: Record<string, WeightValue>;
}

/**
 * The structural part of a tfjs-layers `LayerVariable` that capture needs. `originalName`
 * is preferred as the key when present; `id` orders variables that share a name.
 */
export interface WeightSource {
  /** The process-unique tfjs name. */
  name: string;
  /** The scoped name without the uniqueness suffix. */
  originalName?: string;
  /** A creation-ordered identifier. */
  id?: number;
  /** Returns the current value. */
  read(): Tensor;
}

/** How one weight changed between two snapshots. */
export interface WeightDiff {
  /** The weight's key. */
  name: string;
  /** max |after - before| over all elements; Infinity where exactly one side is NaN. */
  maxAbsDiff: number;
  /**
   * max |after - before| / max(|before|, |after|) over all elements: symmetric, in [0, 2]
   * for finite values, 0 where both are zero, Infinity where exactly one side is NaN.
   */
  maxRelDiff: number;
  /** Flat index of the first element that differs. */
  firstIndex: number;
  /** Number of elements that differ. */
  changed: number;
  /** Number of elements in the weight. */
  count: number;
  /** The value before, at `firstIndex`. */
  before: number;
  /** The value after, at `firstIndex`. */
  after: number;
}

/** The result of {@link diffSnapshots}; every list is sorted by name. */
export interface SnapshotDiff {
  /** Weights present on both sides with at least one differing element. */
  moved: WeightDiff[];
  /** Names present on both sides with identical values. */
  unchanged: string[];
  /** Names present only after. */
  added: string[];
  /** Names present only before. */
  removed: string[];
}

/** The role of a weight, inferred from its name. */
export type WeightKind = 'gamma' | 'beta' | 'moving_mean' | 'moving_variance' | 'kernel' | 'bias' | 'other';

/**
 * Copies every weight of `model`, including those of nested models, into a snapshot.
 * Reads asynchronously (`tensor.data()`: the webgpu backend's synchronous read is unreliable in
 * browsers) and creates no lasting tensors.
 *
 * @throws Error if a weight has been disposed, has a string dtype, or its values do
 *   not match its shape
 */
export function captureSnapshot(model: LayersModel): Promise<Snapshot> {
  if (model === null || typeof model !== 'object' || !Array.isArray(model.weights)) {
    throw new Error('captureSnapshot: model has no weights array; expected a tfjs-layers LayersModel');
  }
  return capture('captureSnapshot', model.weights);
}

/**
 * Copies the weights of one layer (or anything exposing `weights`) into a snapshot.
 * An unbuilt layer has no weights and gives an empty snapshot.
 *
 * @throws Error under the same conditions as {@link captureSnapshot}
 */
export function captureLayerSnapshot(layer: { weights: WeightSource[] }): Promise<Snapshot> {
  if (layer === null || typeof layer !== 'object' || !Array.isArray(layer.weights)) {
    throw new Error('captureLayerSnapshot: layer has no weights array; expected a tfjs-layers Layer');
  }
  return capture('captureLayerSnapshot', layer.weights);
}

/**
 * The snapshot keys of `sources`, each variable once, without reading any values: what a snapshot
 * of them would be keyed by.
 */
export function snapshotKeys(sources: readonly WeightSource[]): string[] {
  return keyedSources(sources).map(([key]) => key);
}

function keyedSources(sources: readonly WeightSource[]): Array<[string, WeightSource]> {
  // A layer shared by two nested models is listed twice; capture each variable once.
  const unique: WeightSource[] = [];
  const seen = new Set<WeightSource>();
  for (const source of sources) {
    if (!seen.has(source)) {
      seen.add(source);
      unique.push(source);
    }
  }

  // Group by the stable name, then order each group by creation so the `#n` suffixes do
  // not depend on `model.weights` order, which changes when `trainable` is toggled.
  const groups = new Map<string, { source: WeightSource; position: number }[]>();
  unique.forEach((source, position) => {
    const base = source.originalName ?? source.name;
    const group = groups.get(base);
    if (group) group.push({ source, position });
    else groups.set(base, [{ source, position }]);
  });

  const keyed: Array<[string, WeightSource]> = [];
  for (const [base, group] of groups) {
    group.sort((a, b) => (a.source.id ?? a.position) - (b.source.id ?? b.position) || a.position - b.position);
    group.forEach(({ source }, k) => keyed.push([k === 0 ? base : `${base}#${k + 1}`, source]));
  }
  return keyed;
}

async function capture(fn: string, sources: WeightSource[]): Promise<Snapshot> {
  // Every read is started before any is awaited: a GPU backend serves them in one flush.
  const values = await Promise.all(keyedSources(sources).map(([key, source]) => readWeight(fn, key, source)));
  const weights: Record<string, WeightValue> = {};
  for (const value of values) weights[value.name] = value;
  return { weights };
}

async function readWeight(fn: string, key: string, source: WeightSource): Promise<WeightValue> {
  try {
    // A clone shares the variable's data and survives the tidy, which disposes anything else read() made.
    const tensor = tf.tidy(() => {
      const read = source.read();
      if (read.dtype === 'string') throw new Error('it has dtype string');
      return tf.clone(read);
    });
    try {
      // data() may hand back the backend's own buffer: copy it.
      return { name: key, shape: tensor.shape.slice(), values: Float32Array.from((await tensor.data()) as ArrayLike<number>) };
    } finally {
      tensor.dispose();
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${fn}: weight "${key}" cannot be read: ${reason}`);
  }
}

/**
 * Compares two snapshots element by element, exactly.
 *
 * An element differs when its float32 bit patterns differ, except that any NaN equals
 * any NaN (so a weight that stays NaN is unchanged); +0 and -0 differ.
 *
 * @param filter - when given, only names for which it returns true are considered
 * @throws Error if a weight present on both sides changed shape
 */
export function diffSnapshots(
  before: Snapshot,
  after: Snapshot,
  filter?: (name: string) => boolean,
): SnapshotDiff {
  const keep = (name: string): boolean => (filter ? filter(name) : true);
  const beforeNames = Object.keys(before.weights).filter(keep).sort(compareNames);
  const afterNames = new Set(Object.keys(after.weights).filter(keep));

  const result: SnapshotDiff = { moved: [], unchanged: [], added: [], removed: [] };
  for (const name of beforeNames) {
    if (!afterNames.has(name)) {
      result.removed.push(name);
      continue;
    }
    const diff = diffWeight(before.weights[name], after.weights[name], name);
    if (diff) result.moved.push(diff);
    else result.unchanged.push(name);
  }
  const beforeSet = new Set(beforeNames);
  result.added = [...afterNames].filter((name) => !beforeSet.has(name)).sort(compareNames);
  return result;
}

function diffWeight(a: WeightValue, b: WeightValue, name: string): WeightDiff | null {
  if (!sameShape(a.shape, b.shape) || a.values.length !== b.values.length) {
    throw new Error(
      `diffSnapshots: weight "${name}" has shape [${a.shape.join(', ')}] before and [${b.shape.join(', ')}] after; ` +
        'only weights of equal shape can be compared',
    );
  }
  const bitsA = bitsOf(a.values);
  const bitsB = bitsOf(b.values);
  let changed = 0;
  let firstIndex = -1;
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  for (let i = 0; i < bitsA.length; i++) {
    if (bitsA[i] === bitsB[i]) continue;
    const x = a.values[i];
    const y = b.values[i];
    const nanX = Number.isNaN(x);
    const nanY = Number.isNaN(y);
    if (nanX && nanY) continue;
    changed++;
    if (firstIndex < 0) firstIndex = i;
    let abs: number;
    let rel: number;
    if (nanX || nanY) {
      abs = Infinity;
      rel = Infinity;
    } else {
      abs = Math.abs(y - x);
      const scale = Math.max(Math.abs(x), Math.abs(y));
      // Only +0 vs -0 reaches here with scale 0.
      rel = scale === 0 ? 0 : abs / scale;
      // Infinity - Infinity cannot happen (equal bits), but +Infinity vs -Infinity gives Infinity/Infinity.
      if (Number.isNaN(rel)) rel = Infinity;
    }
    if (abs > maxAbsDiff) maxAbsDiff = abs;
    if (rel > maxRelDiff) maxRelDiff = rel;
  }
  if (changed === 0) return null;
  return {
    name,
    maxAbsDiff,
    maxRelDiff,
    firstIndex,
    changed,
    count: a.values.length,
    before: a.values[firstIndex],
    after: b.values[firstIndex],
  };
}

function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// Code-unit order, not localeCompare: canonical bytes must not depend on the locale.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const KINDS: readonly WeightKind[] = ['gamma', 'beta', 'moving_mean', 'moving_variance', 'kernel', 'bias'];

/**
 * Infers a weight's role from the last segment of its name, ignoring the `_<n>`
 * suffix tfjs adds for uniqueness and the `#<n>` suffix snapshots add for duplicates.
 * Names ending in `_kernel` or `_bias` (`depthwise_kernel`, `recurrent_kernel`, …)
 * count as `kernel` or `bias`.
 *
 * @example weightKind('bn/moving_mean_1') === 'moving_mean'
 */
export function weightKind(name: string): WeightKind {
  let base = name.slice(name.lastIndexOf('/') + 1).replace(/#\d+$/, '');
  if (!(KINDS as readonly string[]).includes(base)) base = base.replace(/_\d+$/, '');
  for (const kind of KINDS) {
    if (base === kind) return kind;
  }
  if (base.endsWith('_kernel')) return 'kernel';
  if (base.endsWith('_bias')) return 'bias';
  return 'other';
}

const MAGIC = 'BNSNAP1\n';

/**
 * Serialises a snapshot to canonical bytes, for byte-identity determinism checks.
 *
 * Layout, all integers little-endian uint32: the ASCII magic `BNSNAP1\n`, the weight
 * count, then per weight in code-unit order of name: name length in UTF-8 bytes, the
 * name, rank, each dimension, value count, and the values as little-endian float32.
 * Equal snapshots give equal bytes; NaN payloads are kept as they are.
 */
export function snapshotBytes(s: Snapshot): Uint8Array {
  const encoder = new TextEncoder();
  const names = Object.keys(s.weights).sort(compareNames);
  const encodedNames = names.map((n) => encoder.encode(n));
  let size = MAGIC.length + 4;
  names.forEach((name, i) => {
    const w = s.weights[name];
    size += 4 + encodedNames[i].length + 4 + 4 * w.shape.length + 4 + 4 * w.values.length;
  });

  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  const u32 = (v: number): void => {
    view.setUint32(offset, v, true);
    offset += 4;
  };
  bytes.set(encoder.encode(MAGIC), offset);
  offset += MAGIC.length;
  u32(names.length);
  names.forEach((name, i) => {
    const w = s.weights[name];
    u32(encodedNames[i].length);
    bytes.set(encodedNames[i], offset);
    offset += encodedNames[i].length;
    u32(w.shape.length);
    for (const d of w.shape) u32(d);
    u32(w.values.length);
    // Copy raw bits rather than setFloat32, which may canonicalise NaN payloads.
    const bits = bitsOf(w.values);
    for (let j = 0; j < bits.length; j++) u32(bits[j]);
  });
  return bytes;
}

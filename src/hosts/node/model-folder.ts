/**
 * Reads a tfjs LayersModel saved on disk (model.json and its weight shards) into memory, treating
 * the folder as untrusted input: weight paths must stay inside the model's folder (no `..`, no
 * absolute paths, no symlinks out of it), model.json and every shard have size limits, and the
 * shards must hold exactly the bytes the manifest describes. Every problem is a UsageError that
 * names the file and the field; nothing is read past the first problem.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../engine/errors';
import { parseJsonText } from './json-text';
import type { ModelArtifacts, WeightsManifestEntry } from '@tensorflow/tfjs-core/dist/io/types';

/** Size limits in bytes. */
export interface ModelFolderLimits {
  /** model.json; default 64 MiB. */
  maxModelJsonBytes: number;
  /** Any one weight shard; default 512 MiB. */
  maxShardBytes: number;
}

/** The default limits: generous for real models, small enough to refuse a runaway file. */
export const DEFAULT_MODEL_FOLDER_LIMITS: ModelFolderLimits = { maxModelJsonBytes: 64 * 2 ** 20, maxShardBytes: 512 * 2 ** 20 };

/** A model read from disk. */
export interface ModelOnDisk {
  /** The model.json file, resolved. */
  modelJson: string;
  /** What tfjs's `io.fromMemory` takes. */
  artifacts: ModelArtifacts;
  /** Total bytes of weight data. */
  weightBytes: number;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

const weightSpecSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool']),
  quantization: z.object({ dtype: z.enum(['uint8', 'uint16', 'float16']), scale: z.number().optional(), min: z.number().optional() }).loose().optional(),
  group: z.string().optional(),
}).loose();

const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string().min(1)), weights: z.array(weightSpecSchema) }).loose()),
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
}).loose();

function humanBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} bytes`;
}


function fileSize(file: string, label: string, limit: number, limitFlag: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new UsageError(`${label}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!stat.isFile()) throw new UsageError(`${label}: not a file`);
  if (stat.size > limit) throw new UsageError(`${label}: ${humanBytes(stat.size)}, over the limit of ${humanBytes(limit)} (${limitFlag})`);
  return stat.size;
}

/**
 * Resolves a weight path of the manifest inside `folder`, refusing any that leads out of it.
 * Why realpath and not only a `..` check: a symlink inside the folder can point anywhere.
 */
function shardPath(folder: string, realFolder: string, written: string, field: string, modelJson: string): string {
  // Paths are URL-encoded by some writers; the checks apply to the decoded path, so '%2e%2e' is '..'.
  let relative: string;
  try {
    relative = decodeURIComponent(written);
  } catch {
    throw new UsageError(`${modelJson}: ${field}: '${written}' is not a valid (URL-encoded) path`);
  }
  if (path.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative) || relative.startsWith('\\')) throw new UsageError(`${modelJson}: ${field}: '${relative}' is an absolute path; weight paths must be relative to the model's folder`);
  if (relative.split(/[\\/]/).includes('..')) throw new UsageError(`${modelJson}: ${field}: '${relative}' leads out of the model's folder ('..')`);
  const resolved = path.join(folder, relative);
  if (!fs.existsSync(resolved)) throw new UsageError(`${modelJson}: ${field}: '${relative}' does not exist`);
  const real = fs.realpathSync(resolved);
  if (real !== realFolder && !real.startsWith(realFolder + path.sep)) throw new UsageError(`${modelJson}: ${field}: '${relative}' is a link out of the model's folder (to ${real})`);
  return real;
}

/**
 * The bytes in an ArrayBuffer of this realm. Why a copy: a Node Buffer may be a view into a larger
 * pool, and its ArrayBuffer may come from another realm (jest's sandbox), which tfjs's
 * `instanceof ArrayBuffer` check does not recognize (it then reads the data as a list of buffers).
 */
export function freshArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/**
 * Reads the model at `location` (a model.json file, or a folder holding one).
 *
 * @throws UsageError naming the file and field for anything malformed, oversize, missing,
 *   truncated, or out of the folder
 */
export function readModelFolder(location: string, limits: ModelFolderLimits = DEFAULT_MODEL_FOLDER_LIMITS): ModelOnDisk {
  const resolved = path.resolve(location);
  const modelJson = fs.existsSync(resolved) && fs.statSync(resolved).isDirectory() ? path.join(resolved, 'model.json') : resolved;
  const label = path.relative(process.cwd(), modelJson) || modelJson;
  fileSize(modelJson, label, limits.maxModelJsonBytes, '--max-model-json-bytes');
  const text = fs.readFileSync(modelJson, 'utf8');
  const raw = parseJsonText(text, label);
  const parsed = modelJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${label}: ${issue.path.join('.') || '(root)'}: ${issue.message}${issue.path.length === 0 ? ' (expected a tfjs layers model.json: modelTopology and weightsManifest)' : ''}`);
  }
  const manifest = parsed.data;
  const folder = path.dirname(modelJson);
  const realFolder = fs.realpathSync(folder);
  const buffers: Buffer[] = [];
  const weightSpecs: WeightsManifestEntry[] = [];
  let weightBytes = 0;
  manifest.weightsManifest.forEach((group, g) => {
    const files = group.paths.map((p, i) => shardPath(folder, realFolder, p, `weightsManifest.${g}.paths.${i}`, label));
    const sizes = files.map((file, i) => fileSize(file, `${label}: weightsManifest.${g}.paths.${i} ('${group.paths[i]}')`, limits.maxShardBytes, '--max-shard-bytes'));
    const needed = group.weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[w.quantization?.dtype ?? w.dtype], 0);
    const held = sizes.reduce((a, b) => a + b, 0);
    if (held !== needed) {
      throw new UsageError(
        `${label}: weightsManifest.${g}: its weights need ${needed} bytes, its shards (${group.paths.join(', ')}) hold ${held}${held < needed ? ' (truncated or missing data)' : ' (more than the manifest describes)'}`,
      );
    }
    for (const file of files) buffers.push(fs.readFileSync(file));
    weightSpecs.push(...(group.weights as WeightsManifestEntry[]));
    weightBytes += held;
  });
  const weightData = freshArrayBuffer(Buffer.concat(buffers));
  const artifacts: ModelArtifacts = {
    modelTopology: manifest.modelTopology,
    weightSpecs,
    weightData,
    ...(manifest.format !== undefined ? { format: manifest.format } : {}),
    ...(manifest.generatedBy !== undefined ? { generatedBy: manifest.generatedBy } : {}),
    ...(manifest.convertedBy != null ? { convertedBy: manifest.convertedBy } : {}),
  };
  // The optional parts tfjs reads from model.json, carried as they are.
  const extra = manifest as Record<string, unknown>;
  for (const key of ['trainingConfig', 'userDefinedMetadata', 'signature', 'modelInitializer', 'initializerSignature'] as const) {
    if (extra[key] != null) (artifacts as Record<string, unknown>)[key] = extra[key];
  }
  return { modelJson, artifacts, weightBytes };
}

/**
 * The pre-trained CNNs that the npm package `nsfwjs` ships: Keras models converted to tfjs
 * LayersModels, stored inside the package as JS modules (one holds the model.json object, one per
 * weight shard holds the shard as base64), so they load offline with `tf.io.fromMemory`. bn-suite
 * uses only these data files, not nsfwjs's code (whose engines field asks for Node 22).
 *
 * `mobilenet_v2`: MobileNetV2 (52 BatchNormalization layers, 2.6 M parameters, uint8-quantized
 * weights, 224x224x3 input in [0, 1]) under nsfwjs's 5-class head.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import type { ModelArtifacts, WeightsManifestEntry } from '@tensorflow/tfjs-core/dist/io/types';
import { UsageError } from '../../engine/errors';
import { freshArrayBuffer } from './model-folder';

/** The nsfwjs version whose model files bn-suite reads (a devDependency of bn-suite). */
export const NSFWJS_VERSION = '4.4.0';

/** The models nsfwjs ships, with their shard counts. */
export const NSFWJS_MODELS = { mobilenet_v2: { shards: 1 }, mobilenet_v2_mid: { shards: 2 }, inception_v3: { shards: 6 } } as const;

/** A model nsfwjs ships. */
export type NsfwjsModelName = keyof typeof NSFWJS_MODELS;

/** The `bn-suite audit` argument that names an nsfwjs model: `nsfwjs:mobilenet_v2`. */
export const NSFWJS_PREFIX = 'nsfwjs:';

/** Thrown when nsfwjs is not installed: the model cannot be had here. */
export class NsfwjsMissingError extends UsageError {}

function modelsFolder(): string {
  let entry: string;
  try {
    entry = require.resolve('nsfwjs');
  } catch {
    throw new NsfwjsMissingError(`the nsfwjs models need the npm package nsfwjs@${NSFWJS_VERSION} (npm install --no-save --ignore-scripts nsfwjs@${NSFWJS_VERSION}); it is not installed`);
  }
  // dist/cjs/index.js -> dist/models
  return path.join(path.dirname(entry), '..', 'models');
}

/** The installed nsfwjs version, or null. */
export function installedNsfwjsVersion(): string | null {
  try {
    const folder = path.join(modelsFolder(), '..', '..');
    return (require(path.join(folder, 'package.json')) as { version: string }).version;
  } catch {
    return null;
  }
}

interface ModelJsonModule {
  modelTopology: Record<string, unknown> & { model_config: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } } };
  weightsManifest: Array<{ paths: string[]; weights: WeightsManifestEntry[] }>;
}

/**
 * The artifacts of an nsfwjs model. `inputSize` (default 224) rewrites the input layer's spatial
 * size: legitimate for the convolutional layers, which take any size. `cutAt` keeps the layers up
 * to that one (its output is the model's) and drops the rest with their weights: nsfwjs's 7x7
 * average pooling and dense head only fit a 224x224 input.
 *
 * @throws NsfwjsMissingError when nsfwjs is not installed; UsageError for an unknown model name
 */
export function nsfwjsArtifacts(name: string, options: { inputSize?: number; cutAt?: string } = {}): ModelArtifacts {
  if (!(name in NSFWJS_MODELS)) throw new UsageError(`${NSFWJS_PREFIX}${name}: unknown nsfwjs model; nsfwjs ships ${Object.keys(NSFWJS_MODELS).join(', ')}`);
  const folder = path.join(modelsFolder(), name);
  // The model modules are UMD bundles: required, they return the model.json object and the shard's base64 text.
  const modelJson = JSON.parse(JSON.stringify(require(path.join(folder, 'model.min.js')))) as ModelJsonModule;
  const { shards } = NSFWJS_MODELS[name as NsfwjsModelName];
  const data = Buffer.concat(
    Array.from({ length: shards }, (_, i) => Buffer.from(require(path.join(folder, `group1-shard${i + 1}of${shards}.min.js`)) as string, 'base64')),
  );
  if (options.inputSize !== undefined) {
    const input = modelJson.modelTopology.model_config.config.layers.find((l) => l.class_name === 'InputLayer');
    const shape = input?.config.batch_input_shape as number[] | undefined;
    if (input === undefined || shape === undefined || shape.length !== 4) throw new UsageError(`${NSFWJS_PREFIX}${name}: no image input layer to resize`);
    input.config.batch_input_shape = [null, options.inputSize, options.inputSize, shape[3]];
  }
  let weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
  let weightBytes: Uint8Array = data;
  if (options.cutAt !== undefined) ({ weightSpecs, weightBytes } = cutTopology(modelJson, weightSpecs, data, options.cutAt, name));
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs,
    weightData: freshArrayBuffer(weightBytes),
    format: 'layers-model',
    generatedBy: `nsfwjs ${NSFWJS_VERSION} (Keras ${String(modelJson.modelTopology.keras_version)})`,
  };
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Keeps the layers of a functional topology up to `cutAt`, and the weights (specs and bytes) of those layers. */
function cutTopology(modelJson: ModelJsonModule, specs: WeightsManifestEntry[], data: Uint8Array, cutAt: string, name: string): { weightSpecs: WeightsManifestEntry[]; weightBytes: Uint8Array } {
  const config = modelJson.modelTopology.model_config.config as { layers: Array<{ name?: string; config: Record<string, unknown> }>; output_layers?: unknown };
  const end = config.layers.findIndex((l) => (l.name ?? l.config.name) === cutAt);
  if (end < 0) throw new UsageError(`${NSFWJS_PREFIX}${name}: no layer '${cutAt}' to cut at`);
  const kept = config.layers.slice(0, end + 1);
  const keptNames = new Set(kept.map((l) => String(l.name ?? l.config.name)));
  config.layers = kept;
  config.output_layers = [[cutAt, 0, 0]];
  const weightSpecs: WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (keptNames.has(spec.name.split('/')[0])) {
      weightSpecs.push(spec);
      parts.push(data.subarray(offset, offset + bytes));
    }
    offset += bytes;
  }
  return { weightSpecs, weightBytes: Buffer.concat(parts) };
}

/**
 * A minimal file-system IOHandler for tfjs-layers models, in the layout tfjs-node's `file://`
 * handler uses: `model.json` (topology plus weights manifest) next to `weights.bin`.
 *
 * Why our own: tfjs-core registers no `file://` handler; the one in tfjs-node comes with the
 * native backend, which bn-suite cannot assume is installed. The round-trip invariant needs a real
 * trip through bytes on disk, and this handler is small enough to read in one sitting.
 *
 * @packageDocumentation
 */
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomicAsync } from './atomic-write';
import { basename, join } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';

/** File name of the topology and weights manifest. */
export const MODEL_JSON = 'model.json';
/** File name of the concatenated weight values. */
export const WEIGHTS_BIN = 'weights.bin';

/** Bytes per element of the dtypes that the weight file stores unquantized. */
const BYTES_PER_ELEMENT: Partial<Record<io.WeightsManifestEntry['dtype'], number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Throws a clear error unless `dir` exists and is a folder. `who` names the caller in the message. */
async function assertFolder(dir: string, who: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${who}: folder '${dir}' does not exist; create it first`);
    throw error;
  }
  if (!isDirectory) throw new Error(`${who}: '${dir}' is not a folder`);
}

/**
 * An IOHandler that saves a model into an existing folder as `model.json` + `weights.bin`.
 * The weights are written first, so a `model.json` on disk never points at weights from an
 * older save that are about to be replaced.
 *
 * @example await model.save(fileSaveHandler('/tmp/my-model'))
 * @throws (from `save`) Error if the folder is missing, or the topology is binary (not JSON)
 */
export function fileSaveHandler(dir: string): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      await assertFolder(dir, 'fileSaveHandler');
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSaveHandler: the model topology is binary (a GraphDef); only JSON topologies are supported');
      }
      const weights = joinWeightData(artifacts.weightData);
      const manifest: io.WeightsManifestConfig = [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }];
      // The same fields as tfjs-core's getModelJSONForModelArtifacts (not exported from tf.io).
      const modelJson: io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: manifest,
      };
      if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJson.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer != null) modelJson.modelInitializer = artifacts.modelInitializer;
      if (artifacts.initializerSignature != null) modelJson.initializerSignature = artifacts.initializerSignature;

      await writeFileAtomicAsync(join(dir, WEIGHTS_BIN), weights);
      await writeFileAtomicAsync(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(modelJson.modelTopology), 'utf8'),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(manifest[0].weights), 'utf8'),
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

/** Expected byte length of the weights a manifest lists, or null when quantization makes it unknowable here. */
function expectedWeightBytes(specs: io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const bytes = BYTES_PER_ELEMENT[spec.dtype];
    if (spec.quantization !== undefined || bytes === undefined) return null;
    total += bytes * spec.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

/**
 * An IOHandler that loads a model saved by {@link fileSaveHandler} (or any tfjs `model.json` whose
 * weight paths are plain file names in the same folder).
 *
 * @example const model = await tfl.loadLayersModel(fileLoadHandler('/tmp/my-model'))
 * @throws (from `load`) Error if the folder or model.json is missing or malformed, a weight path
 *   leaves the folder, or the weight files hold fewer or more bytes than the manifest describes
 */
export function fileLoadHandler(dir: string): io.IOHandler {
  return {
    async load(): Promise<io.ModelArtifacts> {
      await assertFolder(dir, 'fileLoadHandler');
      const jsonPath = join(dir, MODEL_JSON);
      let text: string;
      try {
        text = await readFile(jsonPath, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`fileLoadHandler: no ${MODEL_JSON} in '${dir}'`);
        throw error;
      }
      let modelJson: io.ModelJSON;
      try {
        modelJson = JSON.parse(text) as io.ModelJSON;
      } catch (error) {
        throw new Error(`fileLoadHandler: ${jsonPath} is not valid JSON: ${(error as Error).message}`);
      }
      if (modelJson === null || typeof modelJson !== 'object' || modelJson.modelTopology == null) {
        throw new Error(`fileLoadHandler: ${jsonPath} has no modelTopology`);
      }
      const [weightSpecs, weightData] = await (async (manifest: io.WeightsManifestConfig): Promise<[io.WeightsManifestEntry[], ArrayBuffer]> => {
        const specs: io.WeightsManifestEntry[] = [];
        const chunks: Buffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            // Only file names: a manifest must not make the loader read outside its folder.
            if (basename(path) !== path || path === '..' || path === '.') {
              throw new Error(`fileLoadHandler: weight path '${path}' in ${jsonPath} is not a plain file name in the folder`);
            }
            chunks.push(await readFile(join(dir, path)));
          }
        }
        const joined = Buffer.concat(chunks);
        const expected = expectedWeightBytes(specs);
        if (expected !== null && expected !== joined.byteLength) {
          throw new Error(`fileLoadHandler: the weight files in '${dir}' hold ${joined.byteLength} bytes but ${MODEL_JSON} describes ${expected}`);
        }
        // Copy into a fresh ArrayBuffer: a Node Buffer may be a view into a larger shared pool.
        const data = new ArrayBuffer(joined.byteLength);
        new Uint8Array(data).set(joined);
        return [specs, data];
      })(modelJson.weightsManifest ?? []);
      // Built here rather than with tf.io.getModelArtifactsForJSON, which tfjs before 3.x lacks.
      const artifacts: io.ModelArtifacts = { modelTopology: modelJson.modelTopology, format: modelJson.format, generatedBy: modelJson.generatedBy, convertedBy: modelJson.convertedBy, weightSpecs, weightData };
      if (modelJson.trainingConfig != null) artifacts.trainingConfig = modelJson.trainingConfig;
      if (modelJson.userDefinedMetadata != null) artifacts.userDefinedMetadata = modelJson.userDefinedMetadata;
      if (modelJson.signature != null) artifacts.signature = modelJson.signature;
      if (modelJson.modelInitializer != null) artifacts.modelInitializer = modelJson.modelInitializer;
      if (modelJson.initializerSignature != null) artifacts.initializerSignature = modelJson.initializerSignature;
      return artifacts;
    },
  };
}

/**
 * The weight bytes of saved artifacts as one array. tfjs >= 4.10 may hand them over as a list of
 * buffers (with tf.io.CompositeArrayBuffer to join them, absent before); older tfjs as one buffer.
 * Joined here without tfjs, so one handler serves every version.
 */
export function joinWeightData(weightData: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (weightData === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(weightData) ? weightData : [weightData];
  const joined = new Uint8Array(buffers.reduce((total, buffer) => total + buffer.byteLength, 0));
  let offset = 0;
  for (const buffer of buffers) {
    joined.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return joined;
}

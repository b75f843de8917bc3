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
import { readModelFolder } from './model-folder';
import { writeFileAtomicAsync } from './atomic-write';
import { join } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';

/** File name of the topology and weights manifest. */
export const MODEL_JSON = 'model.json';
/** File name of the concatenated weight values. */
export const WEIGHTS_BIN = 'weights.bin';

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
      // One reader for every model.json bn-suite loads: the audit's, which checks paths and sizes.
      // Here a problem is not the user's input (bn-suite wrote these files), so it is a plain Error.
      try {
        return readModelFolder(jsonPath).artifacts;
      } catch (error) {
        throw new Error(`fileLoadHandler: ${(error as Error).message}`);
      }
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

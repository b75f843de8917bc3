/**
 * Writes a tfjs LayersModel to a folder in tfjs-node's `file://` layout (model.json with one
 * weights.bin, or several shards), so tests can audit "a model saved by tfjs" without tfjs-node
 * (which cannot install here).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { fileSaveHandler, MODEL_JSON, WEIGHTS_BIN } from '../../src/hosts/node/file-io';

/** Saves `model` into `dir` (created) with bn-suite's file handler; `shards` splits weights.bin into that many files. */
export async function saveModelToFolder(model: tfl.LayersModel, dir: string, shards = 1): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(fileSaveHandler(dir));
  const jsonFile = path.join(dir, MODEL_JSON);
  if (shards > 1) {
    const data = fs.readFileSync(path.join(dir, WEIGHTS_BIN));
    fs.rmSync(path.join(dir, WEIGHTS_BIN));
    const size = Math.ceil(data.length / shards);
    const paths = Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
    paths.forEach((name, i) => fs.writeFileSync(path.join(dir, name), data.subarray(i * size, Math.min(data.length, (i + 1) * size))));
    const json = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    json.weightsManifest[0].paths = paths;
    fs.writeFileSync(jsonFile, JSON.stringify(json));
  }
  return jsonFile;
}

/** A small functional model with a BN layer and a nested Sequential holding another: seeded. */
export function smallBnModel(name = 'user_model'): tfl.LayersModel {
  const input = tfl.input({ shape: [6], name: `${name}_input` });
  let h = tfl.layers.dense({ units: 8, name: 'dense1', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'bn1' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.activation({ activation: 'relu', name: 'relu1' }).apply(h) as tfl.SymbolicTensor;
  const inner = tfl.sequential({
    name: 'inner',
    layers: [tfl.layers.dense({ inputShape: [8], units: 4, name: 'dense2', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }), tfl.layers.batchNormalization({ name: 'bn2' })],
  });
  h = inner.apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: h, name });
}

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../../src/engine/backends';
import { fileLoadHandler, fileSaveHandler, MODEL_JSON, WEIGHTS_BIN } from '../../../src/hosts/node/file-io';
import { captureSnapshot, diffSnapshots } from '../../../src/engine/snapshot/snapshot';
import { tf, tfl } from '../../../src/hosts/node/tfjs';
import { describeEachBackend } from '../../helpers/backends';

function smallModel(): LayersModel {
  const input = tfl.input({ shape: [3], name: 'x' });
  const dense = tfl.layers.dense({ units: 4, name: 'features', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }).apply(input);
  const bn = tfl.layers.batchNormalization({ name: 'bn', momentum: 0.8, epsilon: 1e-2, movingMeanInitializer: tfl.initializers.constant({ value: 0.25 }) }).apply(dense);
  return tfl.model({ inputs: input, outputs: bn as ReturnType<typeof tfl.input>, name: 'small' });
}

describeEachBackend('file IOHandler', (_backend: BackendName) => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bn-suite-file-io-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('saves model.json and weights.bin, nothing else, and loads the same weights and config', async () => {
    const model = smallModel();
    const before = tf.memory().numTensors;
    try {
      const result = await model.save(fileSaveHandler(dir));
      expect(result.modelArtifactsInfo.modelTopologyType).toBe('JSON');
      expect((await readdir(dir)).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
      const json = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8'));
      expect(json.weightsManifest).toEqual([{ paths: [WEIGHTS_BIN], weights: expect.any(Array) }]);
      // 3x4 kernel + 4 bias + 4 x (gamma, beta, moving mean, moving variance), float32.
      expect((await readFile(join(dir, WEIGHTS_BIN))).byteLength).toBe(4 * (12 + 4 + 16));

      const loaded = await tfl.loadLayersModel(fileLoadHandler(dir));
      try {
        const diff = diffSnapshots(await captureSnapshot(model), await captureSnapshot(loaded));
        expect(diff.moved).toEqual([]);
        expect(diff.added).toEqual([]);
        expect(diff.removed).toEqual([]);
        expect(diff.unchanged).toContain('bn/moving_mean');
        expect(loaded.getLayer('bn').getConfig()).toMatchObject({ momentum: 0.8, epsilon: 1e-2 });
      } finally {
        loaded.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });

  test('saving again replaces both files in place', async () => {
    const model = smallModel();
    try {
      await model.save(fileSaveHandler(dir));
      await model.save(fileSaveHandler(dir));
      expect((await readdir(dir)).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
    } finally {
      model.dispose();
    }
  });

  test('refuses to save into a missing folder, with the folder in the message', async () => {
    const model = smallModel();
    const missing = join(dir, 'not-there');
    try {
      await expect(model.save(fileSaveHandler(missing))).rejects.toThrow(`fileSaveHandler: folder '${missing}' does not exist; create it first`);
    } finally {
      model.dispose();
    }
  });

  test('refuses to save over a file', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    const model = smallModel();
    try {
      await expect(model.save(fileSaveHandler(file))).rejects.toThrow(`fileSaveHandler: '${file}' is not a folder`);
    } finally {
      model.dispose();
    }
  });

  test('load: a missing folder, a folder without model.json, and bad JSON each give a clear error', async () => {
    const missing = join(dir, 'not-there');
    await expect(tfl.loadLayersModel(fileLoadHandler(missing))).rejects.toThrow(`fileLoadHandler: folder '${missing}' does not exist`);
    await expect(tfl.loadLayersModel(fileLoadHandler(dir))).rejects.toThrow(`fileLoadHandler: no ${MODEL_JSON} in '${dir}'`);
    await writeFile(join(dir, MODEL_JSON), '{ not json');
    await expect(tfl.loadLayersModel(fileLoadHandler(dir))).rejects.toThrow(/model\.json:1:3: malformed JSON/);
  });

  test('load: truncated weights and a weight path outside the folder are refused', async () => {
    const model = smallModel();
    try {
      await model.save(fileSaveHandler(dir));
    } finally {
      model.dispose();
    }
    const weights = await readFile(join(dir, WEIGHTS_BIN));
    await writeFile(join(dir, WEIGHTS_BIN), weights.subarray(0, weights.byteLength - 4));
    await expect(tfl.loadLayersModel(fileLoadHandler(dir))).rejects.toThrow(`its weights need ${weights.byteLength} bytes, its shards (${WEIGHTS_BIN}) hold ${weights.byteLength - 4} (truncated or missing data)`);

    const json = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8'));
    json.weightsManifest[0].paths = ['../elsewhere.bin'];
    await writeFile(join(dir, MODEL_JSON), JSON.stringify(json));
    await expect(tfl.loadLayersModel(fileLoadHandler(dir))).rejects.toThrow("weightsManifest.0.paths.0: '../elsewhere.bin' leads out of the model's folder");
  });
});

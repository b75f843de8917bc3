import '../../helpers/bind-tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModelFromArtifacts } from '../../../src/engine/audit/load-model';
import { UsageError } from '../../../src/engine/errors';
import { readModelFolder } from '../../../src/hosts/node/model-folder';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { saveModelToFolder, smallBnModel } from '../../helpers/saved-model';

const tempDir = useCpuAndTempDir('bn-suite-model-folder-');
let counter = 0;

/** A saved model in a fresh folder; `edit` rewrites its model.json. */
async function savedModel(shards = 1, edit?: (json: Record<string, any>, dir: string) => void): Promise<string> {
  const dir = path.join(tempDir(), `m${++counter}`);
  const model = smallBnModel();
  await saveModelToFolder(model, dir, shards);
  model.dispose();
  if (edit !== undefined) {
    const file = path.join(dir, 'model.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(json, dir);
    fs.writeFileSync(file, JSON.stringify(json, null, 2));
  }
  return dir;
}

const refused = (fn: () => unknown, message: RegExp) => {
  expect(fn).toThrow(UsageError);
  expect(fn).toThrow(message);
};

describe('readModelFolder', () => {
  it('reads a folder or its model.json, several shards, into artifacts tfjs loads', async () => {
    const dir = await savedModel(3);
    for (const location of [dir, path.join(dir, 'model.json')]) {
      const onDisk = readModelFolder(location);
      expect(onDisk.weightBytes).toBe(fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0));
      const model = await loadModelFromArtifacts(onDisk.artifacts, 'model.json');
      expect(model.name).toBe('user_model');
      model.dispose();
    }
  });

  it('reads uint8-quantized weights (tfjs dequantizes them)', async () => {
    const dir = await savedModel(1, (json, folder) => {
      // Quantize every float32 weight to uint8 with its own min and scale, as the tfjs converter does.
      const data = new Float32Array(fs.readFileSync(path.join(folder, 'weights.bin')).buffer.slice(0));
      const bytes: number[] = [];
      let offset = 0;
      for (const spec of json.weightsManifest[0].weights) {
        const n = spec.shape.reduce((a: number, b: number) => a * b, 1);
        const values = data.subarray(offset, offset + n);
        offset += n;
        const min = Math.min(...values);
        const scale = (Math.max(...values) - min) / 255 || 1;
        spec.quantization = { dtype: 'uint8', min, scale };
        for (const v of values) bytes.push(Math.round((v - min) / scale));
      }
      fs.writeFileSync(path.join(folder, 'weights.bin'), Buffer.from(bytes));
    });
    const onDisk = readModelFolder(dir);
    const model = await loadModelFromArtifacts(onDisk.artifacts, 'model.json');
    expect(model.getLayer('bn1').weights.map((w) => w.shape)).toEqual([[8], [8], [8], [8]]);
    model.dispose();
  });

  it.each([
    ['../', (dir: string) => path.relative(dir, path.join(dir, '..', 'outside.bin')), /weightsManifest\.0\.paths\.0: '\.\.\/outside\.bin' leads out of the model's folder/],
    ['an absolute path', (dir: string) => path.join(dir, '..', 'outside.bin'), /weightsManifest\.0\.paths\.0: '.*outside\.bin' is an absolute path/],
    ["a URL-encoded '..'", () => '%2e%2e/outside.bin', /leads out of the model's folder/],
    ['a symlink out', (dir: string) => (fs.symlinkSync(path.join(dir, '..', 'outside.bin'), path.join(dir, 'link.bin')), 'link.bin'), /'link\.bin' is a link out of the model's folder/],
  ])('refuses a weight path out of the folder: %s', async (_name, weightPath, message) => {
    const dir = await savedModel(1, (json, folder) => {
      fs.copyFileSync(path.join(folder, 'weights.bin'), path.join(folder, '..', 'outside.bin'));
      json.weightsManifest[0].paths = [weightPath(folder)];
    });
    refused(() => readModelFolder(dir), message);
  });

  it('refuses an oversize model.json or shard, naming the limit flag', async () => {
    const dir = await savedModel(2);
    refused(() => readModelFolder(dir, { maxModelJsonBytes: 100, maxShardBytes: 1e9 }), /model\.json: \d+ bytes, over the limit of 100 bytes \(--max-model-json-bytes\)/);
    refused(() => readModelFolder(dir, { maxModelJsonBytes: 1e9, maxShardBytes: 100 }), /weightsManifest\.0\.paths\.0 \('group1-shard1of2\.bin'\): \d+ bytes, over the limit of 100 bytes \(--max-shard-bytes\)/);
  });

  it('refuses a truncated shard, a missing shard, and a shard longer than its manifest', async () => {
    const truncated = await savedModel(2);
    const shard = path.join(truncated, 'group1-shard2of2.bin');
    fs.truncateSync(shard, fs.statSync(shard).size - 4);
    refused(() => readModelFolder(truncated), /weightsManifest\.0: its weights need 560 bytes, its shards \(group1-shard1of2\.bin, group1-shard2of2\.bin\) hold 556 \(truncated or missing data\)/);
    const missing = await savedModel(2);
    fs.rmSync(path.join(missing, 'group1-shard1of2.bin'));
    refused(() => readModelFolder(missing), /weightsManifest\.0\.paths\.0: 'group1-shard1of2\.bin' does not exist/);
    const longer = await savedModel(1);
    fs.appendFileSync(path.join(longer, 'weights.bin'), Buffer.alloc(8));
    refused(() => readModelFolder(longer), /hold 568 \(more than the manifest describes\)/);
  });

  it('refuses malformed JSON at its line:column, and a model.json of another shape by its field', async () => {
    const malformed = await savedModel(1);
    fs.writeFileSync(path.join(malformed, 'model.json'), '{\n  "modelTopology": {},\n  "weightsManifest": [,]\n}');
    refused(() => readModelFolder(malformed), /model\.json:3:\d+: malformed JSON/);
    const wrongField = await savedModel(1, (json) => {
      json.weightsManifest[0].weights[1].shape = ['8'];
    });
    refused(() => readModelFolder(wrongField), /model\.json: weightsManifest\.0\.weights\.1\.shape\.0: /);
    const notAModel = await savedModel(1, (json) => {
      delete json.modelTopology;
    });
    refused(() => readModelFolder(notAModel), /model\.json: modelTopology: /);
  });

  it('a weight whose shape the model does not take is named with the shapes (exit 2, not a verdict)', async () => {
    const dir = await savedModel(1, (json) => {
      const spec = json.weightsManifest[0].weights.find((w: { name: string }) => w.name.endsWith('bn1/gamma'));
      const beta = json.weightsManifest[0].weights.find((w: { name: string }) => w.name.endsWith('bn1/beta'));
      spec.shape = [4, 2];
      beta.shape = [2, 4];
    });
    const onDisk = readModelFolder(dir);
    await expect(loadModelFromArtifacts(onDisk.artifacts, 'm/model.json')).rejects.toThrow(UsageError);
    await expect(loadModelFromArtifacts(onDisk.artifacts, 'm/model.json')).rejects.toThrow(/m\/model\.json: tfjs cannot build the model: weight 'bn1\/gamma' \(manifest entry \d+\) has shape \[4,2\], the model's layer takes \[8\]/);
  });
});

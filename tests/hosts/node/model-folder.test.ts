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

  /** IEEE half-precision bits of a float32 (truncating the mantissa; no NaN/Inf in these weights). */
  const halfBits = (value: number): number => {
    const f32 = new Float32Array([value]);
    const bits = new Uint32Array(f32.buffer)[0];
    const sign = (bits >>> 16) & 0x8000;
    const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    const mantissa = bits & 0x7fffff;
    if (exponent <= 0) return sign; // too small for a normal half: zero is within the test's tolerance
    if (exponent >= 31) throw new RangeError(`${value} overflows float16`);
    return sign | (exponent << 10) | (mantissa >>> 13);
  };

  it.each([
    ['uint8', 1, 255],
    ['uint16', 2, 65535],
    ['float16', 2, 0],
  ] as const)('reads %s-quantized weights: shard sizes by the quantized dtype, values as tfjs dequantizes them', async (dtype, bytesPerValue, levels) => {
    let original: Float32Array = new Float32Array();
    let tolerance = 0;
    const dir = await savedModel(1, (json, folder) => {
      // Quantize every float32 weight as the tfjs converter does: affine with its own min and scale, or to half floats.
      const shard = fs.readFileSync(path.join(folder, 'weights.bin'));
      original = new Float32Array(shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength));
      const out = Buffer.alloc(original.length * bytesPerValue);
      let offset = 0;
      for (const spec of json.weightsManifest[0].weights) {
        const n = spec.shape.reduce((a: number, b: number) => a * b, 1);
        const values = original.subarray(offset, offset + n);
        if (dtype === 'float16') {
          spec.quantization = { dtype };
          values.forEach((v, i) => out.writeUInt16LE(halfBits(v), 2 * (offset + i)));
          tolerance = Math.max(tolerance, ...Array.from(values, (v) => Math.abs(v) * 2 ** -10 + 2 ** -14));
        } else {
          const min = Math.min(...values);
          const scale = (Math.max(...values) - min) / levels || 1;
          spec.quantization = { dtype, min, scale };
          values.forEach((v, i) => (bytesPerValue === 1 ? out.writeUInt8(Math.round((v - min) / scale), offset + i) : out.writeUInt16LE(Math.round((v - min) / scale), 2 * (offset + i))));
          tolerance = Math.max(tolerance, scale / 2 + 1e-6);
        }
        offset += n;
      }
      fs.writeFileSync(path.join(folder, 'weights.bin'), out);
    });
    const onDisk = readModelFolder(dir);
    expect(onDisk.weightBytes).toBe(original.length * bytesPerValue);
    const model = await loadModelFromArtifacts(onDisk.artifacts, 'model.json');
    expect(model.getLayer('bn1').weights.map((w) => w.shape)).toEqual([[8], [8], [8], [8]]);
    const loaded = Float32Array.from(model.getWeights().flatMap((w) => Array.from(w.dataSync())));
    expect(loaded).toHaveLength(original.length);
    const worst = Math.max(...Array.from(loaded, (v, i) => Math.abs(v - original[i])));
    expect(worst).toBeLessThanOrEqual(tolerance);
    model.dispose();
  });

  it('refuses a quantized shard sized for float32 (its manifest says 1 byte per value)', async () => {
    const dir = await savedModel(1, (json) => {
      for (const spec of json.weightsManifest[0].weights) spec.quantization = { dtype: 'uint8', min: 0, scale: 1 };
    });
    refused(() => readModelFolder(dir), /weightsManifest\.0: its weights need 140 bytes, its shards \(weights\.bin\) hold 560 \(more than the manifest describes\)/);
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

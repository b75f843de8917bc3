import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../../src/engine/backends';
import { MODEL_JSON, WEIGHTS_BIN } from '../../../src/hosts/node/file-io';
import { captureSnapshot, snapshotBytes } from '../../../src/engine/snapshot/snapshot';
import { tf, tfl } from '../../../src/hosts/node/tfjs';
import { cacheKey, canonicalJson, CHECKSUM_FILE, ensureCachedModel, loadCachedModel } from '../../../src/hosts/node/base-cache';
import type { BuildResult } from '../../../src/engine/host-services';
import { describeEachBackend } from '../../helpers/backends';

interface Meta {
  note: string;
}

const isMeta = (value: unknown): value is Meta => typeof value === 'object' && value !== null && typeof (value as Meta).note === 'string';

function tinyModel(seed: number): LayersModel {
  const input = tfl.input({ shape: [3], name: 'x' });
  const dense = tfl.layers.dense({ units: 4, name: 'features', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }).apply(input) as SymbolicTensor;
  const bn = tfl.layers.batchNormalization({ name: 'bn', movingMeanInitializer: tfl.initializers.constant({ value: seed }) }).apply(dense) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: bn, name: 'tiny' });
}

describe('cacheKey', () => {
  test('does not depend on key order, does depend on every value', () => {
    expect(cacheKey({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(cacheKey({ b: { d: [1, 2], c: 2 }, a: 1 }));
    expect(cacheKey({ a: 1, b: { c: 2, d: [1, 2] } })).not.toBe(cacheKey({ a: 1, b: { c: 2, d: [2, 1] } }));
    expect(cacheKey({ backend: 'cpu' })).not.toBe(cacheKey({ backend: 'wasm' }));
    expect(cacheKey({})).toMatch(/^[0-9a-f]{32}$/);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describeEachBackend('pre-trained model cache', (backend: BackendName) => {
  let folder: string;
  let builds: number;
  const keyParts = { backend, test: 'cache' };
  const options = (seed = 3) => ({
    folder,
    keyParts,
    isMetadata: isMeta,
    build: async (): Promise<BuildResult<Meta>> => {
      builds++;
      const model = tinyModel(seed);
      return { model, metadata: { note: `seed ${seed}` }, dispose: () => model.dispose() };
    },
  });

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'bn-suite-transfer-cache-'));
    builds = 0;
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function expectSameAsFresh(model: LayersModel, seed = 3): Promise<void> {
    const fresh = tinyModel(seed);
    try {
      expect(Buffer.from(snapshotBytes(await captureSnapshot(model))).equals(Buffer.from(snapshotBytes(await captureSnapshot(fresh))))).toBe(true);
    } finally {
      fresh.dispose();
    }
  }

  test('miss, then hit: one build, the same weights, an entry of model.json + weights.bin + checksum.json, no leaked tensors', async () => {
    const before = tf.memory().numTensors;
    const first = await ensureCachedModel(options());
    expect(first.status).toBe('miss');
    expect(first.metadata).toEqual({ note: 'seed 3' });
    await expectSameAsFresh(first.model);
    first.model.dispose();

    const second = await ensureCachedModel(options());
    expect(second.status).toBe('hit');
    expect(second.key).toBe(first.key);
    expect(second.metadata).toEqual({ note: 'seed 3' });
    await expectSameAsFresh(second.model);
    second.model.dispose();
    expect(builds).toBe(1);

    expect(await readdir(folder)).toEqual([first.key]);
    expect((await readdir(first.dir)).sort()).toEqual([CHECKSUM_FILE, MODEL_JSON, WEIGHTS_BIN].sort());
    const checksum = JSON.parse(await readFile(join(first.dir, CHECKSUM_FILE), 'utf8'));
    expect(checksum.files[WEIGHTS_BIN]).toEqual({ bytes: 4 * (12 + 4 + 16), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(checksum.keyParts).toEqual(keyParts);

    const copy = await loadCachedModel(first.dir);
    await expectSameAsFresh(copy);
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  const corruptions: Array<[string, (dir: string) => Promise<void>, RegExp]> = [
    ['garbage in weights.bin (same size)', async (dir) => writeFile(join(dir, WEIGHTS_BIN), Buffer.alloc(4 * 32, 0xab)), /^rebuilt \(checksum mismatch in weights\.bin\)$/],
    ['truncated weights.bin', async (dir) => truncate(join(dir, WEIGHTS_BIN), 10), /^rebuilt \(weights\.bin has 10 bytes, expected 128\)$/],
    ['garbage model.json', async (dir) => writeFile(join(dir, MODEL_JSON), '{ not json'), /^rebuilt \(model\.json has \d+ bytes, expected \d+\)$/],
    ['garbage checksum.json', async (dir) => writeFile(join(dir, CHECKSUM_FILE), 'garbage'), /^rebuilt \(checksum\.json is not valid JSON\)$/],
    ['missing checksum.json (a half-written entry)', async (dir) => rm(join(dir, CHECKSUM_FILE)), /^rebuilt \(no checksum\.json\)$/],
    ['missing weights.bin', async (dir) => rm(join(dir, WEIGHTS_BIN)), /^rebuilt \(weights\.bin is missing\)$/],
    [
      'malformed metadata',
      async (dir) => {
        const checksum = JSON.parse(await readFile(join(dir, CHECKSUM_FILE), 'utf8'));
        await writeFile(join(dir, CHECKSUM_FILE), JSON.stringify({ ...checksum, metadata: { note: 42 } }));
      },
      /^rebuilt \(checksum\.json metadata is malformed\)$/,
    ],
    [
      'model.json rewritten consistently with its checksum, but not a model',
      async (dir) => {
        const text = JSON.stringify({ modelTopology: { nonsense: true }, weightsManifest: [{ paths: [WEIGHTS_BIN], weights: [] }] });
        await writeFile(join(dir, MODEL_JSON), text);
        const checksum = JSON.parse(await readFile(join(dir, CHECKSUM_FILE), 'utf8'));
        const { createHash } = await import('node:crypto');
        checksum.files[MODEL_JSON] = { bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
        await writeFile(join(dir, CHECKSUM_FILE), JSON.stringify(checksum));
      },
      /^rebuilt \(the model does not load: /,
    ],
  ];

  test.each(corruptions)('a corrupt entry is detected, deleted and rebuilt: %s', async (_title, corrupt, status) => {
    const before = tf.memory().numTensors;
    const first = await ensureCachedModel(options());
    first.model.dispose();
    await corrupt(first.dir);

    const rebuilt = await ensureCachedModel(options());
    expect(rebuilt.status).toMatch(status);
    await expectSameAsFresh(rebuilt.model);
    rebuilt.model.dispose();
    expect(builds).toBe(2);

    const again = await ensureCachedModel(options());
    expect(again.status).toBe('hit');
    again.model.dispose();
    expect(builds).toBe(2);
    // No temporary folders left behind.
    expect(await readdir(folder)).toEqual([first.key]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a build that throws leaves no entry and propagates the error', async () => {
    await expect(
      ensureCachedModel({
        ...options(),
        build: async () => {
          throw new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'");
        },
      }),
    ).rejects.toThrow(/Conv2DBackpropFilter/);
    expect(await readdir(folder)).toEqual([]);
  });
});

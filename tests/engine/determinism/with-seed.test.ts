import { withSeed } from '../../../src/engine/determinism/with-seed';
import { tf, tfl } from '../../../src/hosts/node/tfjs';
import { describeEachBackend } from '../../helpers/backends';

describe('withSeed', () => {
  test('seeds Math.random for the duration and restores it', async () => {
    const original = Math.random;
    const first = await withSeed(7, () => [Math.random(), Math.random()]);
    const second = await withSeed(7, () => [Math.random(), Math.random()]);
    expect(first).toEqual(second);
    expect(await withSeed(8, () => Math.random())).not.toBe(first[0]);
    expect(Math.random).toBe(original);
  });

  test('restores Math.random when the function throws', async () => {
    const original = Math.random;
    await expect(withSeed(1, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(Math.random).toBe(original);
  });
});

/** Builds, fits with shuffling and returns every weight's bytes: the whole run under one seed. */
async function fitWithShuffle(seed: number): Promise<Buffer> {
  return withSeed(seed, async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [3], units: 4 }),
        tfl.layers.batchNormalization(),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tf.randomNormal([12, 3]);
    const y = tf.randomNormal([12, 1]);
    await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: true, verbose: 0 });
    const bytes = Buffer.concat(model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer)));
    tf.dispose([x, y]);
    model.dispose();
    return bytes;
  });
}

describeEachBackend('determinism of fit({shuffle: true})', () => {
  test('the same seed gives byte-identical weights; a different seed differs', async () => {
    const a = await fitWithShuffle(42);
    const b = await fitWithShuffle(42);
    const c = await fitWithShuffle(43);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });
});

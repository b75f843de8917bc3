import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../../src/engine/backends';
import { compareReloaded, findLayer, reloadInMemory, roundTrip, trainableFlags, type RoundTripMismatch } from '../../../src/engine/invariants/round-trip';
import { reloadFromDisk } from '../../../src/hosts/node/services';
import { trainCase } from '../../../src/engine/run/case-run';
import { withCase } from '../../../src/engine/run/observe';
import { tf } from '../../../src/hosts/node/tfjs';
import { describeEachBackend, invariantContext } from '../../helpers/backends';
import { caseSpec } from '../../helpers/fixtures';

const summarize = (mismatches: RoundTripMismatch[]) => mismatches.map((m) => `${m.via} ${m.what} ${m.name}`);

describeEachBackend('round-trip', (backend: BackendName) => {
  const context = invariantContext(backend);

  test.each([
    ['plain dense model', caseSpec()],
    ['BN frozen (layer flag)', caseSpec({ freeze: 'bn' })],
    ['nested base, BN frozen inside it', caseSpec({ nested: true, freeze: 'bn', entryPoint: 'trainOnBatch' })],
    ['rank 3 input, custom training loop', caseSpec({ inputShape: [2, 3], entryPoint: 'minimize' })],
  ])('passes through memory and disk: %s', async (_title, spec) => {
    const before = tf.memory().numTensors;
    const outcome = await roundTrip.check(spec, context);
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.evidence.mismatches).toEqual([]);
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence.weights).toEqual(expect.arrayContaining(['bn/moving_mean', 'bn/moving_variance', 'bn/gamma', 'bn/beta']));
  });

  // Measured on tfjs 4.22: a functional model used as a layer serializes without a `trainable`
  // field, so a frozen nested base (the transfer-learning setup) comes back trainable. Weights,
  // BN config and predictions survive; only the flag and hence the trainable weights do not.
  test('tfjs 4.22 fails for a frozen nested base: it reloads trainable', async () => {
    const before = tf.memory().numTensors;
    const outcome = await roundTrip.check(caseSpec({ nested: true, freeze: 'base' }), context);
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.status).toBe('fail');
    const mismatches = outcome.evidence.mismatches as RoundTripMismatch[];
    expect(summarize(mismatches)).toEqual([
      'memory trainable base',
      'memory trainable-weights bn/beta,bn/gamma,features/bias,features/kernel',
      'disk trainable base',
      'disk trainable-weights bn/beta,bn/gamma,features/bias,features/kernel',
    ]);
    expect(mismatches[0].detail).toBe('trainable false -> true');
  });

  describe('compareReloaded finds a tampered copy', () => {
    test('identical reload: no mismatch; then a changed moving mean, momentum and flag are each reported', async () => {
      await withCase(caseSpec({ nested: true, freeze: 'bn' }), async (run) => {
        await trainCase(run);
        const reloaded = await reloadInMemory(run.built.model);
        try {
          expect(await compareReloaded(run.built.model, reloaded, run.x, 'memory')).toEqual([]);

          const bn = findLayer(reloaded, 'bn');
          if (bn === null) throw new Error('no bn layer in the reloaded model');
          const movingMeanIndex = bn.weights.findIndex((w) => w.originalName === 'bn/moving_mean');
          const setMovingMean0 = (change: (v: number) => number) => {
            const values = bn.getWeights().map((w) => w.arraySync() as number[]);
            values[movingMeanIndex][0] = change(values[movingMeanIndex][0]);
            const tensors = values.map((v) => tf.tensor(v));
            bn.setWeights(tensors);
            tf.dispose(tensors);
          };

          // One ulp in one element: the weight comparison is exact.
          setMovingMean0((v) => Math.fround(v * (1 + 2 ** -23)));
          const ulp = await compareReloaded(run.built.model, reloaded, run.x, 'memory');
          expect(summarize(ulp)).toContain('memory weight bn/moving_mean');
          expect(ulp.find((m) => m.what === 'weight')?.detail).toMatch(/^1 of 4 values differ; first at \[0\]/);

          // A visible change, a different momentum and a frozen head: each is reported.
          setMovingMean0((v) => v + 1);
          (bn as unknown as { momentum: number }).momentum = 0.5;
          reloaded.getLayer('head').trainable = false;
          const found = await compareReloaded(run.built.model, reloaded, run.x, 'memory');
          expect(summarize(found)).toEqual([
            'memory weight bn/moving_mean',
            'memory bn-config momentum',
            'memory trainable head',
            'memory trainable-weights head/bias,head/kernel',
            'memory predictions predict',
          ]);
          expect(found.find((m) => m.what === 'bn-config')?.detail).toBe('0.9 -> 0.5');
        } finally {
          reloaded.dispose();
        }
      });
    });

    test('the disk trip keeps weights bit for bit and removes its temporary folder', async () => {
      // os.tmpdir() follows TMPDIR: point it at a private parent folder to see what is left behind.
      const parent = await mkdtemp(join(tmpdir(), 'bn-suite-round-trip-test-'));
      const originalTmp = process.env.TMPDIR;
      await withCase(caseSpec(), async (run) => {
        await trainCase(run);
        let reloaded: LayersModel;
        process.env.TMPDIR = parent;
        try {
          reloaded = await reloadFromDisk(run.built.model);
        } finally {
          if (originalTmp === undefined) delete process.env.TMPDIR;
          else process.env.TMPDIR = originalTmp;
        }
        expect(await readdir(parent)).toEqual([]);
        await rm(parent, { recursive: true, force: true });
        try {
          expect(await compareReloaded(run.built.model, reloaded, run.x, 'disk')).toEqual([]);
          expect(trainableFlags(reloaded)).toEqual(trainableFlags(run.built.model));
        } finally {
          reloaded.dispose();
        }
      });
    });
  });
});

import '../../helpers/bind-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { freezeForFineTuning, keepFrozenBatchNormInInferenceMode } from '../../../src/engine/audit/remedy';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { smallBnModel } from '../../helpers/saved-model';

useCpuAndTempDir('bn-suite-remedy-');

/** The tfjs transfer recipe: base(x) under a new head, fitted a few steps; returns the moving mean of bn1 before and after. */
async function fineTune(base: tfl.LayersModel): Promise<{ before: number[]; after: number[] }> {
  const input = tfl.input({ shape: [6] });
  const head = tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) });
  const model = tfl.model({ inputs: input, outputs: head.apply(base.apply(input)) as tfl.SymbolicTensor });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const meanOf = async () => Array.from(await base.getLayer('bn1').weights.find((w) => w.name.includes('moving_mean'))!.read().data());
  const before = await meanOf();
  const x = tf.randomNormal([16, 6], 2, 1, 'float32', 4);
  const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
  await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  return { before, after: await meanOf() };
}

describe('the remedy', () => {
  it('plain tfjs (the trap): base.trainable = false and fit moves the moving statistics', async () => {
    const base = smallBnModel();
    base.trainable = false;
    const { before, after } = await fineTune(base);
    expect(after).not.toEqual(before);
  });

  it('freezeForFineTuning: fit leaves the moving statistics exactly alone', async () => {
    const base = smallBnModel();
    const remedy = freezeForFineTuning(base);
    expect(remedy.layers).toEqual(['bn1', 'inner/bn2']);
    const { before, after } = await fineTune(base);
    expect(after).toEqual(before);
  });

  it('asks at call time: unfreezing later lets BN train again, and undo restores tfjs behaviour', async () => {
    const base = smallBnModel();
    const remedy = keepFrozenBatchNormInInferenceMode(base);
    // Not frozen: the remedy changes nothing.
    const trainable = await fineTune(base);
    expect(trainable.after).not.toEqual(trainable.before);
    base.trainable = false;
    const frozen = await fineTune(base);
    expect(frozen.after).toEqual(frozen.before);
    remedy.undo();
    const undone = await fineTune(base);
    expect(undone.after).not.toEqual(undone.before);
  });

  it('plain tfjs: a base frozen through model.trainable comes back trainable after save and load; freezeForFineTuning survives it', async () => {
    const roundTrip = async (base: tfl.LayersModel) => {
      const input = tfl.input({ shape: [6] });
      const outer = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 1 }).apply(base.apply(input)) as tfl.SymbolicTensor });
      let saved: tf.io.ModelArtifacts | null = null;
      await outer.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } })));
      const again = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const counts = [outer.trainableWeights.length, again.trainableWeights.length];
      again.dispose();
      return counts;
    };
    const tfjsWay = smallBnModel('tfjs_way');
    tfjsWay.trainable = false;
    expect(await roundTrip(tfjsWay)).toEqual([2, 10]);
    const remedied = smallBnModel('remedied');
    freezeForFineTuning(remedied);
    expect(await roundTrip(remedied)).toEqual([2, 2]);
  });
});

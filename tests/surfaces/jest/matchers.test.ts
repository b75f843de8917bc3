import '../../../src/jest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { freezeForFineTuning } from '../../../src/engine/audit/remedy';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { smallBnModel } from '../../helpers/saved-model';

useCpuAndTempDir('bn-suite-matchers-');

/** The tfjs transfer recipe: a frozen base under a new head. */
function fineTuneModel(remedy: boolean): tfl.LayersModel {
  const base = smallBnModel();
  if (remedy) freezeForFineTuning(base);
  else base.trainable = false;
  const input = tfl.input({ shape: [6] });
  const head = tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) });
  return tfl.model({ inputs: input, outputs: head.apply(base.apply(input)) as tfl.SymbolicTensor, name: 'fine_tune' });
}

const x = () => tf.tensor2d(Array.from({ length: 16 * 6 }, (_, i) => Math.sin(i) * 2 + 0.5), [16, 6]);
const y = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];

describe('bn-suite/jest matchers', () => {
  it('toKeepFrozenBatchNormStatistics fails on the tfjs recipe, naming the layer with before -> after, and passes with the remedy', async () => {
    const xs = x();
    const trap = fineTuneModel(false);
    const fixed = fineTuneModel(true);
    try {
      await expect(expect(trap).toKeepFrozenBatchNormStatistics(xs, y, { steps: 2, batchSize: 8 })).rejects.toThrow(/but 2 moved:\n {2}user_model\/bn1: moving_(mean|variance)\[\d+\] [-\d.e]+ -> [-\d.e]+/);
      await expect(trap).not.toKeepFrozenBatchNormStatistics(xs, y, { steps: 2, batchSize: 8 });
      await expect(fixed).toKeepFrozenBatchNormStatistics(xs, y, { steps: 2, batchSize: 8 });
    } finally {
      tf.dispose(xs);
      trap.dispose();
      fixed.dispose();
    }
  });

  it('toGiveTheSameOutputInBothModes fails on the tfjs recipe and names the BN layers, passes with the remedy, and moves nothing', async () => {
    const xs = x();
    const trap = fineTuneModel(false);
    const fixed = fineTuneModel(true);
    try {
      const before = await Promise.all(trap.weights.map((w) => w.read().data()));
      await expect(expect(trap).toGiveTheSameOutputInBothModes(xs)).rejects.toThrow(/BN layers that normalize differently:\n {2}user_model\/(bn1|inner\/bn2) \(frozen\): max \|training - inference\| /);
      expect(await Promise.all(trap.weights.map((w) => w.read().data()))).toEqual(before);
      await expect(fixed).toGiveTheSameOutputInBothModes(xs);
    } finally {
      tf.dispose(xs);
      trap.dispose();
      fixed.dispose();
    }
  });

  it('toBeInferencePure holds for predict on tfjs; a model that is not a LayersModel is a clear TypeError', async () => {
    const xs = x();
    const model = fineTuneModel(false);
    try {
      await expect(model).toBeInferencePure(xs);
      await expect(expect({}).toBeInferencePure(xs)).rejects.toThrow('toBeInferencePure: expected a tfjs-layers LayersModel, received object');
    } finally {
      tf.dispose(xs);
      model.dispose();
    }
  });

  it('a model without a frozen BN layer fails toKeepFrozenBatchNormStatistics with advice', async () => {
    const xs = x();
    const model = smallBnModel();
    try {
      await expect(expect(model).toKeepFrozenBatchNormStatistics(xs)).rejects.toThrow(/has no frozen BN layer, so there is nothing to keep/);
    } finally {
      tf.dispose(xs);
      model.dispose();
    }
  });
});

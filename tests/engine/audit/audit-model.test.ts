import '../../helpers/bind-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { auditModel } from '../../../src/engine/audit/audit-model';
import { UsageError } from '../../../src/engine/errors';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { smallBnModel } from '../../helpers/saved-model';

useCpuAndTempDir('bn-suite-audit-');

const holding = (report: Awaited<ReturnType<typeof auditModel>>) => Object.fromEntries(Object.entries(report.checks).map(([id, c]) => [id, c.holds]));

describe('auditModel', () => {
  it('on tfjs, a base frozen the tfjs way drifts, normalizes by batch in fit and forgets it was frozen after reload', async () => {
    const model = smallBnModel();
    try {
      const report = await auditModel(model, { steps: 3 });
      expect(report.context.bnLayers.map((l) => [l.path, l.frozen])).toEqual([
        ['bn1', true],
        ['inner/bn2', true],
      ]);
      expect(holding(report)).toEqual({ 'moving-stats': false, 'gamma-beta': true, 'mode-gap': false, purity: true, reload: false, oracle: true, leaks: true });
      const moving = report.checks['moving-stats'].evidence.layers;
      expect(moving.every((row) => row.changed > 0 && (row.meanDrift ?? 0) > 0)).toBe(true);
      expect(report.checks['moving-stats'].summary).toMatch(/moved the moving statistics of 2 of 2 frozen BN layers: bn1, inner\/bn2/);
      expect(report.loss).toHaveLength(3);
    } finally {
      model.dispose();
    }
  });

  it('with the remedy every check holds, and the gap is exactly zero', async () => {
    const model = smallBnModel();
    try {
      const report = await auditModel(model, { steps: 3, remedy: true });
      expect(Object.values(holding(report)).every(Boolean)).toBe(true);
      expect(report.checks['mode-gap'].evidence.layers.map((r) => r.gap)).toEqual([0, 0]);
      expect(report.checks['mode-gap'].evidence.model.outputGap).toBe(0);
    } finally {
      model.dispose();
    }
  });

  it('all-bn freezes each BN layer: what is frozen survives reload (a layer flag is saved), the drift remains', async () => {
    const model = smallBnModel();
    try {
      const report = await auditModel(model, { steps: 2, freeze: { kind: 'all-bn' } });
      expect(holding(report)).toMatchObject({ 'moving-stats': false, 'mode-gap': false, reload: true });
    } finally {
      model.dispose();
    }
  });

  it('leaves the model as it found it: weights, trainable flags, tensor count, and a later dispose frees it', async () => {
    const model = smallBnModel();
    const before = await Promise.all(model.weights.map((w) => w.read().data()));
    const flags = model.layers.map((l) => l.trainable);
    await auditModel(model, { steps: 2 });
    const after = await Promise.all(model.weights.map((w) => w.read().data()));
    expect(after).toEqual(before);
    expect(model.trainable).toBe(true);
    expect(model.layers.map((l) => l.trainable)).toEqual(flags);
    const tensors = tf.memory().numTensors;
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensors - model.weights.length);
  });

  it('with labels, measures the accuracy of each mode', async () => {
    const model = smallBnModel();
    try {
      const samples = 40;
      const values = Float32Array.from({ length: samples * 6 }, (_, i) => Math.sin(i * 0.7) * 2 + 1);
      const labels = Array.from({ length: samples }, (_, i) => i % 3);
      const report = await auditModel(model, { x: { shape: [samples, 6], values }, labels, steps: 4, batchSize: 8 });
      const m = report.checks['mode-gap'].evidence.model;
      expect(m.trainingModeAccuracy).not.toBeNull();
      expect(m.inferenceModeAccuracy).not.toBeNull();
      expect(m.gapPoints).toBeCloseTo(100 * (m.trainingModeAccuracy! - m.inferenceModeAccuracy!), 6);
      expect(report.context).toMatchObject({ data: 'user', labels: true, samples });
    } finally {
      model.dispose();
    }
  });

  it('refuses data the model cannot take, labels of the wrong count and unknown layer names, before changing anything', async () => {
    const model = smallBnModel();
    const flags = model.layers.map((l) => l.trainable);
    try {
      await expect(auditModel(model, { x: { shape: [4, 5], values: new Float32Array(20) } })).rejects.toThrow(new UsageError("the data has shape [4,5]; model 'user_model' takes [batch,6]"));
      await expect(auditModel(model, { x: { shape: [4, 6], values: new Float32Array(24) }, labels: [0, 1] })).rejects.toThrow(/2 labels for 4 samples/);
      await expect(auditModel(model, { freeze: { kind: 'layers', names: ['nope'] } })).rejects.toThrow(/has no layer 'nope'/);
      expect(model.layers.map((l) => l.trainable)).toEqual(flags);
    } finally {
      model.dispose();
    }
  });
});

import { buildModel } from '../../../src/engine/models/build';
import { weightNamesOf, weightShapesOf, type ModelSpec } from '../../../src/engine/models/spec';
import { captureSnapshot } from '../../../src/engine/snapshot/snapshot';
import { activateBackend, probeBackend } from '../../../src/hosts/node/backends';
import { tf } from '../../../src/hosts/node/tfjs';

const base: ModelSpec = {
  architecture: 'dense',
  inputShape: [4, 4, 2],
  hiddenUnits: 3,
  bn: { axis: -1, momentum: 0.9, epsilon: 1e-3, center: true, scale: true, movingMeanInit: 0, movingVarianceInit: 1 },
  classes: 2,
  nested: false,
  seed: 1,
};

describe('weightNamesOf', () => {
  // Names do not depend on the backend; building needs one.
  beforeAll(async () => {
    await probeBackend('cpu');
    await activateBackend('cpu');
  });

  // Every combination the builder branches on: the names must be exactly what a built model holds.
  const cases: ModelSpec[] = [];
  for (const architecture of ['bn-only', 'dense', 'conv'] as const) {
    for (const [center, scale] of [[true, true], [false, true], [true, false], [false, false]]) {
      for (const classes of [0, 3]) {
        for (const nested of [false, true]) cases.push({ ...base, architecture, bn: { ...base.bn, center, scale }, classes, nested });
      }
    }
  }
  test.each(cases.map((spec) => [`${spec.architecture} center=${spec.bn.center} scale=${spec.bn.scale} classes=${spec.classes} nested=${spec.nested}`, spec] as const))(
    'matches the built model: %s',
    async (_title, spec) => {
      const before = tf.memory().numTensors;
      const built = buildModel(spec);
      try {
        expect(weightNamesOf(spec).sort()).toEqual(Object.keys((await captureSnapshot(built.model)).weights).sort());
      } finally {
        built.model.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

describe('weightShapesOf', () => {
  beforeAll(async () => {
    await probeBackend('cpu');
    await activateBackend('cpu');
  });

  // The layer options that change which weights exist and their shapes.
  const cases: Array<[string, ModelSpec]> = [
    ['dense without biases', { ...base, inputShape: [5], features: { useBias: false }, head: { useBias: false } }],
    ['conv 3x3 valid stride 2', { ...base, architecture: 'conv', inputShape: [7, 6, 2], features: { kernelSize: [3, 3], padding: 'valid', strides: [2, 2] } }],
    ['conv 2x4 same stride 3', { ...base, architecture: 'conv', inputShape: [7, 6, 2], features: { kernelSize: [2, 4], padding: 'same', strides: [3, 3] } }],
    ['bn-only on a non-last axis', { ...base, architecture: 'bn-only', inputShape: [3, 5], bn: { ...base.bn, axis: 1 }, classes: 0 }],
    ['a bare layer on axis 0', { ...base, architecture: 'bn-only', inputShape: [3], bn: { ...base.bn, axis: 0 }, classes: 0, fixedBatch: 6 }],
    ['masking in front of a dense layer', { ...base, inputShape: [4, 2], masking: { maskValue: 0 } }],
  ];
  test.each(cases)('matches the built model: %s', async (_title, spec) => {
    const built = buildModel(spec);
    try {
      const snapshot = (await captureSnapshot(built.model)).weights;
      expect(Object.fromEntries(weightShapesOf(spec).map((w) => [w.name, w.shape]))).toEqual(Object.fromEntries(Object.values(snapshot).map((w) => [w.name, w.shape])));
    } finally {
      built.model.dispose();
    }
  });
});

import { buildModel } from '../../../src/engine/models/build';
import { weightNamesOf, type ModelSpec } from '../../../src/engine/models/spec';
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

import type { Tensor } from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { BackendName } from '../../../src/engine/backends';
import { checkBnGradients, gradientAgreement } from '../../../src/engine/invariants/gradient-agreement';
import { LAYER_NAMES } from '../../../src/engine/models/spec';
import { bnInput, disposeCase, prepareCase } from '../../../src/engine/run/case-run';
import { tf } from '../../../src/hosts/node/tfjs';
import { describeEachBackend, invariantContext } from '../../helpers/backends';
import { caseSpec } from '../../helpers/fixtures';
import { expectJsonSafe } from '../../helpers/json-safe';

describeEachBackend('gradient-agreement', (backend: BackendName) => {
  const context = invariantContext(backend);

  test.each([
    ['dense, rank 2 (the dense kernel and bias too)', caseSpec(), ['dx', 'dgamma', 'dbeta', 'features/kernel', 'features/bias']],
    ['bn-only, rank 4', caseSpec({ architecture: 'bn-only', inputShape: [2, 2, 3] }), ['dx', 'dgamma', 'dbeta']],
    ['conv (BN gradients only)', caseSpec({ architecture: 'conv', inputShape: [4, 4, 2] }), ['dx', 'dgamma', 'dbeta']],
    ['nested base', caseSpec({ nested: true }), ['dx', 'dgamma', 'dbeta', 'features/kernel', 'features/bias']],
  ])('agrees with the float64 backward pass: %s', async (_title, spec, parts) => {
    const before = tf.memory().numTensors;
    const outcome = await gradientAgreement.check(spec, context);
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.status).toBe('pass');
    const seen = (outcome.evidence.parts as { mode: string; part: string; ok: boolean }[]).map((p) => `${p.mode} ${p.part} ${p.ok}`);
    expect(seen).toEqual([...parts.map((p) => `inference ${p} true`), ...parts.map((p) => `training ${p} true`)]);
    expectJsonSafe(outcome.evidence);
  });

  test('a layer that does not compute what the configuration says fails in the gradients it changes', async () => {
    const run = await prepareCase({ ...caseSpec(), entryPoint: 'layerApply' });
    const z: Tensor = bnInput(run);
    try {
      const features = run.built.model.getLayer(LAYER_NAMES.features) as Layer;
      // The layer runs with epsilon 1e-3; the reference is told 0.5.
      const parts = await checkBnGradients(run.built.bn, features, run.x, z, { axis: -1, epsilon: 0.5, momentum: 0.99, center: true, scale: true }, 7);
      const failed = parts.filter((p) => !p.ok).map((p) => `${p.mode} ${p.part}`);
      expect(failed).toEqual(expect.arrayContaining(['inference dx', 'training dx', 'inference dgamma', 'training features/kernel']));
      // dβ = Σdy does not depend on epsilon.
      expect(failed).not.toContain('training dbeta');
    } finally {
      z.dispose();
      disposeCase(run);
    }
  });

  test('center=false: tfjs throws computing the gradient, also in inference mode (a known issue)', async () => {
    await expect(gradientAgreement.check(caseSpec({ bn: { center: false } }), context)).rejects.toThrow(/Cannot read propert(y|ies) of undefined/);
  });
});

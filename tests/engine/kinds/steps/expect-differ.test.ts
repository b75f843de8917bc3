import { scenarioSchema } from '../../../../src/engine/scenarios/schema';
import type { StepsScenario } from '../../../../src/engine/scenarios/types';
import { runStepsScenario } from '../../../../src/engine/kinds/steps/run-steps';
import { useCpuAndTempDir } from '../../../helpers/cpu-temp-dir';

useCpuAndTempDir('bn-suite-expect-differ-');

/**
 * A bare BN (epsilon 0.01) on x = [[2, -2], [-2, 2]] with moving mean 0, variance 1: inference
 * gives x / sqrt(1.01), training mode (batch mean 0, variance 4) x / sqrt(4.01). The outputs differ
 * by 0.9913 in every element, and the differences sum to 0.
 */
function scenario(differ: Record<string, unknown>): StepsScenario {
  return scenarioSchema.parse({
    id: 'differ',
    kind: 'steps',
    description: 'd',
    provenance: 'p',
    tags: ['oracle'],
    invariant: 'oracle-agreement',
    model: { inputShape: [2], bn: { epsilon: 0.01 } },
    data: { batch: 2, x: { values: [2, -2, -2, 2] } },
    steps: [{ callBn: { training: false, as: 'inference' } }, { callBn: { training: true, as: 'training' } }, { expectDiffer: { a: 'inference', b: 'training', ...differ } }],
  }) as StepsScenario;
}

describe('expectDiffer', () => {
  test('element by element (the default): differences that cancel in the sum still differ', async () => {
    const outcome = await runStepsScenario(scenario({}), null);
    expect(outcome.status).toBe('pass');
  });

  test('element by element: outputs within atol are "not different", with the largest difference in the evidence', async () => {
    const outcome = await runStepsScenario(scenario({ atol: 1 }), null);
    expect(outcome).toMatchObject({ status: 'fail', summary: expect.stringMatching(/step 3 \(expectDiffer\): inference and training are close everywhere: max abs diff 0\.991\d within atol 1 /) });
    expect(outcome.evidence).toMatchObject({ step: 3, kind: 'expectDiffer', maxAbsDiff: expect.closeTo(0.9913, 3) });
    // Just below that difference they differ again.
    expect((await runStepsScenario(scenario({ atol: 0.99 }), null)).status).toBe('pass');
  });

  test('the summed form (minAbsSumDiff, as tf-keras writes it) misses differences that cancel', async () => {
    const outcome = await runStepsScenario(scenario({ minAbsSumDiff: 1e-5 }), null);
    expect(outcome).toMatchObject({ status: 'fail', evidence: { kind: 'expectDiffer', maxAbsDiff: null, absSumDiff: expect.closeTo(0, 6) } });
  });

  test('the two forms cannot be mixed', () => {
    expect(() => scenario({ minAbsSumDiff: 1e-5, atol: 1e-3 })).toThrow(/minAbsSumDiff \(the summed difference\) cannot be combined with atol\/rtol/);
  });
});

import * as path from 'node:path';
import { FAULTS } from '../../../src/dev/mutants/faults';
import type { CaseSpec } from '../../../src/engine/run/case-spec';
import { captureCase, renderScript, type TrainingObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { caseSpec } from '../../helpers/fixtures';
import { faultedCase, patchedTfjs } from '../../helpers/patched-tfjs';

const tempDir = useCpuAndTempDir('bn-suite-training-repro-');

/** Dense(4) -> BN on a batch of 8 with spread-out data, three steps: every term of the backward pass matters (a shrunk counterexample may have batch 1). */
const RICH: CaseSpec = (() => {
  const spec = caseSpec({ freeze: 'none', entryPoint: 'trainOnBatch', steps: 3, bn: { momentum: 0.8, epsilon: 0.01 } });
  return { ...spec, model: { ...spec.model, classes: 0 }, learningRate: 0.1 };
})();
const meta = { id: 'gradient/short-training', description: 'dense -> BN, three trainOnBatch steps', invariant: 'training-agreement' as const };

describe('training-agreement repros', () => {
  test('a batch of 8, three steps: the script re-computes every step in float64 and agrees with tfjs (exit 0); each fault of the training path makes it exit 1', async () => {
    const capture = await captureCase('training-agreement', RICH);
    expect((capture.observed as TrainingObservation).parts.every((p) => p.ok)).toBe(true);
    const script = renderScript({ scenario: meta, backend: 'cpu', spec: RICH, capture, bnSuiteVersion: 'test' });
    const installed = await verifyReproFiles(script, reproPackageJson('cpu'));
    expect(installed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(installed.stdout).toContain('actual:   every part agrees');
    for (const [faultId, broken] of [['momentum-flipped', 'bn/moving_mean, bn/moving_variance'], ['batch-stats-no-gradient', 'features/kernel']]) {
      const patched = await verifyReproFiles(script, reproPackageJson('cpu'), { nodeModules: patchedTfjs(path.join(tempDir(), `rich-${faultId}`), FAULTS.find((f) => f.id === faultId)!).nodeModules });
      expect(patched).toMatchObject({ exitCode: 1, reproduces: true });
      expect(patched.stdout).toMatch(new RegExp(`^actual: {3}out of bounds: .*${broken}`, 'm'));
    }
  }, 60_000);

  test.each([
    ['momentum-flipped', 'the moving average decays by momentum instead of 1 - momentum', /bn\/moving_variance/],
    ['batch-stats-no-gradient', 'the backward pass drops the batch statistics', /features\/kernel/],
  ])('%s: where %s (patched tfjs-layers), bn-suite fails gradient/short-training and the script of its case exits 1; on tfjs as installed both agree with the float64 steps (exit 0)', async (faultId, _what, broken) => {
    const run = await faultedCase({ root: path.join(tempDir(), faultId), fault: FAULTS.find((f) => f.id === faultId)!, scenario: 'gradient/short-training', invariant: 'training-agreement' });
    expect(run.result.summary).toMatch(broken);
    const observed = run.capture.observed as TrainingObservation;
    expect(observed.parts.map((p) => p.part)).toEqual(['features/kernel', 'features/bias', 'bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance']);
    expect(observed.parts.every((p) => p.ok)).toBe(true);

    expect(run.installed).toMatchObject({ exitCode: 0, reproduces: false });
    // Every trained weight, tfjs next to the script's own float64 steps, within bn-suite's allowance.
    for (const weight of observed.parts.map((p) => p.part)) expect(run.installed.stdout).toMatch(new RegExp(`^${weight}: tfjs \\[.+\\]; float64 \\[.+\\]; max abs diff \\S+ \\(allowed \\S+ \\+ \\S+ x \\|expected\\|\\)$`, 'm'));
    expect(run.installed.stdout).toContain('actual:   every part agrees');

    expect(run.patched).toMatchObject({ exitCode: 1, reproduces: true });
    expect(run.patched.stdout).toMatch(new RegExp(`^${broken.source}: tfjs \\[.+\\]; float64 \\[.+\\]; .*; first out of bounds at \\d+: \\S+ vs \\S+$`, 'm'));
    expect(run.patched.stdout).toMatch(new RegExp(`^actual: {3}out of bounds: .*${broken.source}`, 'm'));
  }, 60_000);
});

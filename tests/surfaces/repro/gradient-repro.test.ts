import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAULTS } from '../../../src/dev/mutants/faults';
import { DEFAULT_SEED } from '../../../src/engine/defaults';
import { errorMessageClass } from '../../../src/surfaces/repro/minimize';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { captureCase, renderScript, type GradientObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { createRepro, reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { caseSpec } from '../../helpers/fixtures';
import { faultedCase, patchedTfjs } from '../../helpers/patched-tfjs';

const tempDir = useCpuAndTempDir('bn-suite-gradient-repro-');
const meta = (id: string) => ({ id, description: id, invariant: 'gradient-agreement' as const });
const STOP_GRADIENT = FAULTS.find((f) => f.id === 'batch-stats-no-gradient')!;

describe('gradient-agreement repros', () => {
  test.each([
    ['gradient/no-center', /^tf\.grad\(\(z\) => sum\(bn\.apply\(z, \{training: false\}\) \* dy\)\)\(z\) threw TypeError: Cannot read properties of undefined \(reading 'id'\)$/m],
    ['gradient/no-scale', /^tf\.grad\(\(z\) => sum\(bn\.apply\(z, \{training: false\}\) \* dy\)\)\(z\) threw TypeError: Cannot read properties of undefined \(reading 'dataId'\)$/m],
    ['gradient/non-last-axis', /^tf\.\w+\(.*\{training: false\}.* threw Error: Size\(\d+\) must match the product of shape [\d,]+$/m],
  ])('%s: tfjs throws; replay -> minimize (the same error) -> repro.mjs that names the call that threw and exits 1', async (scenario, threw) => {
    const replay = await replayFailure({ scenario, backend: 'cpu', seed: DEFAULT_SEED });
    expect(replay.verdict.status).toBe('error');
    const report = await createRepro({ scenario: meta(scenario), backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), scenario.replace('/', '-')) });
    // Minimised to a case that throws the same error, and captured as that throw.
    const classOf = (v: typeof replay.verdict | undefined) => (v?.status === 'error' ? errorMessageClass(v.evidence.errorName, v.evidence.message) : v?.status);
    expect(classOf(report.minimize?.verdict)).toBe(classOf(replay.verdict));
    expect(report.capture.observed).toMatchObject({ kind: 'threw' });
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    const stdout = report.verification!.stdout;
    expect(stdout).toMatch(threw);
    expect(stdout).toMatch(/^ {2}at .*@tensorflow\/tfjs-(core|layers|backend-cpu)\/dist\//m);
    expect(stdout).toContain('actual:   tfjs throws the error bn-suite saw');
    const issue = fs.readFileSync(path.join(report.dir, 'ISSUE.md'), 'utf8');
    expect(issue).toMatch(/^# The gradient through BatchNormalization \(axis [-\d]+(, center: false|, scale: false)*\) throws (TypeError|Error): /);
  }, 60_000);

  test('a dense layer before BN on the last axis: bn-suite and the script agree every gradient, the dense kernel and bias included, is within bounds (exit 0)', async () => {
    const spec = caseSpec({ freeze: 'none', entryPoint: 'layerApply' });
    const capture = await captureCase('gradient-agreement', spec);
    const observed = capture.observed as GradientObservation;
    expect(observed.parts.map((p) => p.part)).toEqual(expect.arrayContaining(['inference dx', 'training dgamma', 'training features/kernel', 'training features/bias']));
    expect(observed.parts.every((p) => p.ok)).toBe(true);
    const script = renderScript({ scenario: meta('gradient/affine'), backend: 'cpu', spec, capture, bnSuiteVersion: 'test' });
    const installed = await verifyReproFiles(script, reproPackageJson('cpu'));
    expect(installed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(installed.stdout).toMatch(/^training features\/kernel: tfjs \[.+\]; float64 \[.+\]; max abs diff \S+ \(allowed \S+ \+ \S+ x \|expected\|\)$/m);
    expect(installed.stdout).toContain('actual:   every part agrees');
    // With the batch statistics cut off from the backward pass, the same script finds it.
    const patched = await verifyReproFiles(script, reproPackageJson('cpu'), { nodeModules: patchedTfjs(path.join(tempDir(), 'dense'), STOP_GRADIENT).nodeModules });
    expect(patched).toMatchObject({ exitCode: 1, reproduces: true });
    expect(patched.stdout).toMatch(/^actual: {3}out of bounds: training dx, .*training features\/kernel/m);
  }, 60_000);

  test('where the backward pass drops the batch statistics (patched tfjs-layers), bn-suite fails gradient/affine and the script of its case exits 1; on tfjs as installed both hold (exit 0)', async () => {
    const run = await faultedCase({ root: path.join(tempDir(), 'fault'), fault: STOP_GRADIENT, scenario: 'gradient/affine', invariant: 'gradient-agreement' });
    expect(run.result.summary).toMatch(/^training dx: /);
    expect((run.capture.observed as GradientObservation).parts.every((p) => p.ok)).toBe(true);
    expect(run.installed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(run.patched).toMatchObject({ exitCode: 1, reproduces: true });
    expect(run.patched.stdout).toMatch(/^training dx: tfjs \[.+\]; float64 \[.+\]; max abs diff \S+ \(allowed .*\); first out of bounds at \d+: \S+ vs \S+$/m);
    expect(run.patched.stdout).toMatch(/^actual: {3}out of bounds: training dx/m);
  }, 60_000);
});

import * as path from 'node:path';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { captureCase, renderScript, type OracleObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { createRepro, reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

const tempDir = useCpuAndTempDir('bn-suite-oracle-repro-');
const meta = (id: string) => ({ id, description: id, invariant: 'oracle-agreement' as const });

describe('oracle-agreement repros', () => {
  test('oracle/non-last-axis: the script computes the formulas in float64 itself and exits 1 on the parts bn-suite found out of bounds', async () => {
    const replay = await replayFailure({ scenario: 'oracle/non-last-axis', backend: 'cpu', seed: 20261127 });
    const report = await createRepro({ scenario: meta('oracle/non-last-axis'), backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), 'oracle') });
    const observed = report.capture.observed as OracleObservation;
    const failed = observed.parts.filter((p) => !p.ok).map((p) => p.part);
    expect(failed.length).toBeGreaterThan(0);
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    // The script's own float64 reference finds the same parts out of bounds as bn-suite's oracle.
    expect(report.verification?.stdout).toContain(`actual:   out of bounds: ${failed.join(', ')}`);
  }, 60_000);

  test.each(['oracle/no-center', 'oracle/no-scale'])('%s: training mode throws (tfjs#2868); the script calls the layer as the check does, prints the inference numbers it got, names the training call and exits 1', async (scenario) => {
    const replay = await replayFailure({ scenario, backend: 'cpu', seed: 20261127 });
    expect(replay.verdict.status).toBe('error');
    const report = await createRepro({ scenario: meta(scenario), backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), scenario.replace('/', '-')) });
    expect(report.capture.observed).toMatchObject({ kind: 'threw', errorName: 'TypeError', message: "Cannot read properties of undefined (reading 'read')" });
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    const stdout = report.verification!.stdout;
    // Inference mode works: its numbers are printed, not judged (bn-suite has no allowance for a case it saw throw).
    expect(stdout).toMatch(/^inference: tfjs \[.+\]; float64 \[.+\]; max abs diff \S+ \(not judged: bn-suite saw this case throw, so it has no allowance for it\)$/m);
    expect(stdout).toContain("bn.apply(bnInput, {training: true}) threw TypeError: Cannot read properties of undefined (reading 'read')");
    expect(stdout).toMatch(/^ {2}at .*@tensorflow\/tfjs-layers\/dist\/tf-layers\.node\.js:\d+:\d+$/m);
    expect(stdout).toContain('actual:   tfjs throws the error bn-suite saw');
  }, 60_000);

  test('a script whose throw is not the one bn-suite saw fails as a script (exit 2), and one that no longer throws exits 0', async () => {
    const replay = await replayFailure({ scenario: 'oracle/no-center', backend: 'cpu', seed: 20261127 });
    const capture = await captureCase('oracle-agreement', replay.counterexample);
    expect(capture.observed.kind).toBe('threw');
    const render = (observed: typeof capture.observed, spec = replay.counterexample, on = capture) => renderScript({ scenario: meta('oracle/no-center'), backend: 'cpu', spec, capture: { ...on, observed }, bnSuiteVersion: 'test' });
    const other = await verifyReproFiles(render({ kind: 'threw', errorName: 'TypeError', message: "Cannot read properties of undefined (reading 'gamma')", at: null }), reproPackageJson('cpu'));
    expect(other).toMatchObject({ exitCode: 2, reproduces: false });
    expect(other.stdout).toContain('tfjs throws another error than bn-suite saw');
    expect(other.stdout).toMatch(/^RESULT: script error$/m);
    // The same expected throw on a case with center: tfjs no longer throws there.
    const centered = { ...replay.counterexample, model: { ...replay.counterexample.model, bn: { ...replay.counterexample.model.bn, center: true } } };
    const fixed = await verifyReproFiles(render(capture.observed, centered, await captureCase('oracle-agreement', centered)), reproPackageJson('cpu'));
    expect(fixed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(fixed.stdout).toContain("no call threw (bn-suite saw TypeError: Cannot read properties of undefined (reading 'read'))");
  }, 60_000);

  test('the same case on the last axis agrees: bn-suite and the script both find every part within bounds (exit 0)', async () => {
    const replay = await replayFailure({ scenario: 'oracle/non-last-axis', backend: 'cpu', seed: 20261127 });
    const spec = { ...replay.counterexample, model: { ...replay.counterexample.model, bn: { ...replay.counterexample.model.bn, axis: -1 } } };
    const capture = await captureCase('oracle-agreement', spec);
    expect((capture.observed as OracleObservation).parts.every((p) => p.ok)).toBe(true);
    const verification = await verifyReproFiles(renderScript({ scenario: meta('oracle/last-axis'), backend: 'cpu', spec, capture, bnSuiteVersion: 'test' }), reproPackageJson('cpu'));
    expect(verification).toMatchObject({ exitCode: 0, reproduces: false });
    expect(verification.stdout).toContain('actual:   every part agrees');
  }, 60_000);
});

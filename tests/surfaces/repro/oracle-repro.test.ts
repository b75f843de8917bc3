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

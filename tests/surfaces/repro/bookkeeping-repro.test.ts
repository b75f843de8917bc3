import * as path from 'node:path';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { captureCase, renderScript, type BookkeepingObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { createRepro, reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

const tempDir = useCpuAndTempDir('bn-suite-bookkeeping-repro-');
const meta = (id: string) => ({ id, description: id, invariant: 'trainable-bookkeeping' as const });

describe('trainable-bookkeeping repros', () => {
  test.each([
    ['trainable-bookkeeping', /problem: bn\.trainable is still true inside the frozen base/],
    ['trainable-bookkeeping/depth-2', /problem: base lists bn\/(beta|gamma) as trainable although it is frozen from there/],
  ])('%s: replay -> minimize -> repro.mjs that exits 1 naming the problems', async (scenario, printed) => {
    const replay = await replayFailure({ scenario, backend: 'cpu', seed: 20261127 });
    const report = await createRepro({ scenario: meta(scenario), backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), scenario.replace('/', '-')) });
    expect((report.capture.observed as BookkeepingObservation).problems.length).toBeGreaterThan(0);
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    expect(report.verification?.stdout).toMatch(printed);
  }, 60_000);

  test('a frozen BN that is not nested follows the Keras rule: bn-suite finds no problem and the script exits 0', async () => {
    const replay = await replayFailure({ scenario: 'trainable-bookkeeping', backend: 'cpu', seed: 20261127 });
    const { depth: _depth, baseContainer: _baseContainer, ...flat } = replay.counterexample.model;
    const spec = { ...replay.counterexample, freeze: 'bn' as const, model: { ...flat, nested: false, shared: false } };
    const capture = await captureCase('trainable-bookkeeping', spec);
    expect((capture.observed as BookkeepingObservation).problems).toEqual([]);
    const verification = await verifyReproFiles(renderScript({ scenario: meta('trainable-bookkeeping/flat'), backend: 'cpu', spec, capture, bnSuiteVersion: 'test' }), reproPackageJson('cpu'));
    expect(verification).toMatchObject({ exitCode: 0, reproduces: false });
    expect(verification.stdout).toContain('actual:   the bookkeeping follows the Keras rule');
  }, 60_000);
});

import * as path from 'node:path';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { captureCase, renderScript, type LeakObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { createRepro, reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

const tempDir = useCpuAndTempDir('bn-suite-leak-repro-');
const meta = (id: string) => ({ id, description: id, invariant: 'no-leaked-tensors' as const });

describe('no-leaked-tensors repros', () => {
  test.each([
    ['no-leaked-tensors/sequential-nested', /weights dispose\(\) left alive: [1-9]\d*; dispose\(\) threw: no/, (o: LeakObservation) => expect(o.leftByDispose).toBeGreaterThan(0)],
    ['no-leaked-tensors/shared-base', /dispose\(\) threw: "Container 'base' is already disposed\."/, (o: LeakObservation) => expect(o.disposeThrew).toMatch(/already disposed/)],
  ])('%s: replay -> minimize -> repro.mjs that exits 1 with the counts', async (scenario, printed, observed) => {
    const replay = await replayFailure({ scenario, backend: 'cpu', seed: 20261127 });
    const report = await createRepro({ scenario: meta(scenario), backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), scenario.replace('/', '-')) });
    expect(report.capture.observed.kind).toBe('no-leaked-tensors');
    observed(report.capture.observed as LeakObservation);
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    expect(report.verification?.stdout).toMatch(printed);
  }, 60_000);

  test('a functional model without sharing frees everything: the script exits 0', async () => {
    const replay = await replayFailure({ scenario: 'no-leaked-tensors/sequential-nested', backend: 'cpu', seed: 20261127 });
    const spec = { ...replay.counterexample, model: { ...replay.counterexample.model, container: 'functional' as const, baseContainer: 'functional' as const } };
    const capture = await captureCase('no-leaked-tensors', spec);
    expect(capture.observed).toMatchObject({ leftByDispose: 0, disposeThrew: null });
    const verification = await verifyReproFiles(renderScript({ scenario: meta('no-leaked-tensors/functional'), backend: 'cpu', spec, capture, bnSuiteVersion: 'test' }), reproPackageJson('cpu'));
    expect(verification).toMatchObject({ exitCode: 0, reproduces: false });
    expect(verification.stdout).toContain('actual:   nothing leaked');
  }, 60_000);
});

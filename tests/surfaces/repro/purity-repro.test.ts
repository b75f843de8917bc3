import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAULTS } from '../../../src/dev/mutants/faults';
import { DEFAULT_SEED } from '../../../src/engine/defaults';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { captureCase, renderScript, type PurityObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { createRepro, reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { faultedCase } from '../../helpers/patched-tfjs';

const tempDir = useCpuAndTempDir('bn-suite-purity-repro-');
const meta = (id: string) => ({ id, description: id, invariant: 'inference-purity' as const });

describe('inference-purity repros', () => {
  test.each([
    ['inference-purity/nested', 'base'],
    ['inference-purity/shared-layer', 'bn'],
  ])('%s: execute throws (a layer with several inbound nodes); replay -> minimize -> repro.mjs that exits 1 naming execute', async (scenario, layer) => {
    const replay = await replayFailure({ scenario, backend: 'cpu', seed: DEFAULT_SEED });
    expect(replay.verdict.status).toBe('error');
    const report = await createRepro({ scenario: meta(scenario), backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), scenario.replace('/', '-')) });
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    const stdout = report.verification!.stdout;
    expect(stdout).toContain(`model.execute(x, model.outputs[0].name) threw Error: Layer ${layer} has multiple inbound nodes, hence the notion of "layer output" is ill-defined.`);
    expect(stdout).toMatch(/^ {2}at .*@tensorflow\/tfjs-layers\/dist\/tf-layers\.node\.js:\d+:\d+\)?$/m);
    // predict, evaluate and apply ran first and changed nothing: only the throw is reported.
    expect(stdout).not.toMatch(/ changed /);
    const issue = fs.readFileSync(path.join(report.dir, 'ISSUE.md'), 'utf8');
    expect(issue).toMatch(new RegExp(`^# Inference \\(predict / evaluate / apply / execute\\) on a model with BatchNormalization.* throws Error: Layer ${layer} has multiple inbound nodes`));
  }, 60_000);

  test('the same nested case without the second inbound node (not nested) is pure for bn-suite and for the script (exit 0)', async () => {
    const replay = await replayFailure({ scenario: 'inference-purity/nested', backend: 'cpu', seed: DEFAULT_SEED });
    const spec = { ...replay.counterexample, freeze: 'none' as const, model: { ...replay.counterexample.model, nested: false } };
    const capture = await captureCase('inference-purity', spec);
    expect(capture.observed).toEqual({ kind: 'inference-purity', movedBy: {} });
    const verification = await verifyReproFiles(renderScript({ scenario: meta('inference-purity'), backend: 'cpu', spec, capture, bnSuiteVersion: 'test' }), reproPackageJson('cpu'));
    expect(verification).toMatchObject({ exitCode: 0, reproduces: false });
    expect(verification.stdout).toContain('actual:   no weight changed');
  }, 60_000);

  test('where inference runs BN in training mode (patched tfjs-layers), bn-suite fails inference-purity and the script of its case exits 1 naming the calls and weights; on tfjs as installed both hold (exit 0)', async () => {
    const run = await faultedCase({ root: tempDir(), fault: FAULTS.find((f) => f.id === 'inference-uses-batch-stats')!, scenario: 'inference-purity', invariant: 'inference-purity' });
    expect(run.result.summary).toMatch(/^predict.* changed weights/);
    expect((run.capture.observed as PurityObservation).movedBy).toEqual({});
    expect(run.installed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(run.patched).toMatchObject({ exitCode: 1, reproduces: true });
    expect(run.patched.stdout).toMatch(/^model\.predict\(x\) changed bn\/moving_(mean|variance): before \[.+\] {2}after \[.+\] {2}drift \S+$/m);
    expect(run.patched.stdout).toMatch(/^actual: {3}\d+ weight change\(s\) by inference calls$/m);
  }, 60_000);
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAULTS } from '../../../src/dev/mutants/faults';
import { DEFAULT_SEED } from '../../../src/engine/defaults';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { captureCase, renderScript, type GammaBetaObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { createRepro, reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { faultedCase } from '../../helpers/patched-tfjs';

const tempDir = useCpuAndTempDir('bn-suite-gamma-beta-repro-');
const meta = (id: string) => ({ id, description: id, invariant: 'frozen-gamma-beta' as const });

describe('frozen-gamma-beta repros', () => {
  test('training/non-last-axis: training throws (tfjs#1773); replay -> minimize -> repro.mjs that names the training call and exits 1', async () => {
    const replay = await replayFailure({ scenario: 'training/non-last-axis', backend: 'cpu', seed: DEFAULT_SEED });
    expect(replay.verdict.status).toBe('error');
    const report = await createRepro({ scenario: meta('training/non-last-axis'), backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), 'non-last-axis') });
    expect(report.minimize?.verdict.status).toBe('error');
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    expect(report.verification?.stdout).toMatch(/^model\.(fit|trainOnBatch)\(.*\) threw Error: Size\(\d+\) must match the product of shape [\d,]+$|^optimizer\.minimize\(.*\) threw Error: Size/m);
    expect(report.verification?.stdout).toContain('actual:   tfjs throws the error bn-suite saw');
    const issue = fs.readFileSync(path.join(report.dir, 'ISSUE.md'), 'utf8');
    expect(issue).toMatch(/^# Training a model with a frozen BatchNormalization \(axis \d+\) with \w+ throws Error: Size\(\d+\) must match the product of shape/);
    expect(issue).toContain('The calls run without throwing. A layer with `trainable = false`');
  }, 60_000);

  test('the same case on the last axis trains: gamma and beta stay put for bn-suite and for the script (exit 0)', async () => {
    const replay = await replayFailure({ scenario: 'training/non-last-axis', backend: 'cpu', seed: DEFAULT_SEED });
    const spec = { ...replay.counterexample, model: { ...replay.counterexample.model, bn: { ...replay.counterexample.model.bn, axis: -1 } } };
    const capture = await captureCase('frozen-gamma-beta', spec);
    expect(capture.observed).toEqual({ kind: 'frozen-gamma-beta', moved: [] });
    expect(capture.inputs?.judged).toEqual(['bn/gamma', 'bn/beta']);
    const verification = await verifyReproFiles(renderScript({ scenario: meta('training/last-axis'), backend: 'cpu', spec, capture, bnSuiteVersion: 'test' }), reproPackageJson('cpu'));
    expect(verification).toMatchObject({ exitCode: 0, reproduces: false });
    expect(verification.stdout).toMatch(/^bn\/gamma before \[.+\] {2}after \[.+\] {2}drift 0$/m);
    expect(verification.stdout).toContain('actual:   gamma and beta did not change');
  }, 60_000);

  test('where a recompile keeps the first compile\'s trainable weights (patched tfjs-layers), bn-suite fails frozen-gamma-beta-recompile and the script of its case exits 1; on tfjs as installed both hold (exit 0)', async () => {
    const run = await faultedCase({ root: tempDir(), fault: FAULTS.find((f) => f.id === 'recompile-keeps-first-trainable')!, scenario: 'frozen-gamma-beta-recompile', invariant: 'frozen-gamma-beta' });
    expect(run.result.summary).toMatch(/bn\/(gamma|beta).* changed after/);
    expect((run.capture.observed as GammaBetaObservation).moved).toEqual([]);
    expect(run.installed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(run.patched).toMatchObject({ exitCode: 1, reproduces: true });
    expect(run.patched.stdout).toMatch(/^bn\/(gamma|beta) before \[.+\] {2}after \[.+\] {2}drift (?!0$)\S+$/m);
    expect(run.patched.stdout).toMatch(/^actual: {3}bn\/(gamma|beta)(, bn\/(gamma|beta))? changed$/m);
  }, 60_000);
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { captureCase, renderScript, type RoundTripObservation } from '../../../src/surfaces/repro/render-script';
import { verifyReproFiles } from '../../../src/surfaces/repro/verify';
import { createRepro, reproPackageJson } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

const tempDir = useCpuAndTempDir('bn-suite-round-trip-repro-');
const SCENARIO = { id: 'round-trip/frozen-base', description: 'a frozen base saved and loaded', invariant: 'round-trip' as const };

describe('round-trip repros', () => {
  test('a frozen base that comes back trainable: replay -> minimize -> repro.mjs that exits 1 naming the flag and the weights', async () => {
    const replay = await replayFailure({ scenario: SCENARIO.id, backend: 'cpu', seed: 20261127 });
    const report = await createRepro({ scenario: SCENARIO, backend: 'cpu', counterexample: replay.counterexample, verdict: replay.verdict, outDir: path.join(tempDir(), 'rt'), replayToken: replay.token });
    const observed = report.capture.observed as RoundTripObservation;
    expect(observed.kind).toBe('round-trip');
    expect(observed.mismatches).toEqual(expect.arrayContaining([{ what: 'trainable', name: 'base', detail: 'trainable false -> true' }]));
    expect(report.verification).toMatchObject({ exitCode: 1, reproduces: true });
    expect(report.verification?.stdout).toContain('after save and load: base.trainable: false -> true');
    const issue = fs.readFileSync(path.join(report.dir, 'ISSUE.md'), 'utf8');
    expect(issue).toMatch(/^# A model saved and loaded again does not keep what it was saved with \(cpu backend, tfjs [\d.]+\)/);
    expect(issue).toContain('| trainable | `base` | trainable false -> true |');
  }, 60_000);

  test('the same case with nothing frozen keeps everything: the script exits 0', async () => {
    const replay = await replayFailure({ scenario: SCENARIO.id, backend: 'cpu', seed: 20261127 });
    const spec = { ...replay.counterexample, freeze: 'none' as const };
    const capture = await captureCase('round-trip', spec);
    expect((capture.observed as RoundTripObservation).mismatches).toEqual([]);
    const script = renderScript({ scenario: SCENARIO, backend: 'cpu', spec, capture, bnSuiteVersion: 'test' });
    const verification = await verifyReproFiles(script, reproPackageJson('cpu'));
    expect(verification).toMatchObject({ exitCode: 0, reproduces: false });
    expect(verification.stdout).toContain('actual:   the reloaded model is the same');
  }, 60_000);
});

import { type DeterminismObservation } from '../../../src/surfaces/repro/render-script';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { faultedCase, testFault } from '../../helpers/patched-tfjs';

const tempDir = useCpuAndTempDir('bn-suite-determinism-repro-');

/** tfjs-layers whose moving average leaks process state: each update decays a little more than the last. */
const STATEFUL_MOVING_AVERAGE = testFault(
  'moving-average-counts-calls',
  'The moving-average decay grows with every update the process has made, so a rerun of the same case trains to other moving statistics.',
  'var decay = 1 - momentum;',
  'var decay = 1 - momentum + 1e-3 * (globalThis.__bnSuiteMovingAverageCalls = (globalThis.__bnSuiteMovingAverageCalls || 0) + 1);',
);

describe('determinism repros', () => {
  test('where tfjs carries state from one run to the next (patched tfjs-layers), bn-suite fails determinism and the script of its case exits 1 with the first differing byte; on tfjs as installed every run is byte-identical for both (exit 0)', async () => {
    const run = await faultedCase({ root: tempDir(), fault: STATEFUL_MOVING_AVERAGE, scenario: 'determinism', invariant: 'determinism' });
    expect(run.result.summary).toMatch(/^a repeated run differs at byte \d+ of \d+$/);
    const observed = run.capture.observed as DeterminismObservation;
    expect(observed).toMatchObject({ firstDifferingByteOnRepeat: -1, firstDifferingByteAfterOtherModel: -1 });
    // The script runs the case twice, the other case, then the case again.
    expect(run.script).toContain('await runOtherCase();');
    expect(run.installed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(run.installed.stdout).toMatch(/^run 1: \d+ bytes of trained weights \(.*bn\/moving_mean \[.+\].*\)$/m);
    expect(run.installed.stdout).toContain('run 2: byte-identical to run 1');
    expect(run.installed.stdout).toContain('run 3, after another model: byte-identical to run 1');
    expect(run.patched).toMatchObject({ exitCode: 1, reproduces: true });
    expect(run.patched.stdout).toMatch(/^run 2: differs from run 1 at byte \d+ \(bn\/moving_(mean|variance)\[\d+\]: \S+ vs \S+\)$/m);
    expect(run.patched.stdout).toMatch(/^actual: {3}run 2 and run 3, after another model differ$/m);
  }, 60_000);
});

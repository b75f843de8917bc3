import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeBackend } from '../../../src/hosts/node/backends';
import { tfjsVersions } from '../../../src/hosts/node/tfjs';
import { type ParityObservation } from '../../../src/surfaces/repro/render-script';
import { createRepro } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { caseSpec } from '../../helpers/fixtures';
import { faultedCase, testFault } from '../../helpers/patched-tfjs';

const tempDir = useCpuAndTempDir('bn-suite-parity-repro-');

/** tfjs-layers whose moving average decays differently on one backend, as a backend-specific kernel bug would make it. */
const WASM_MOVING_AVERAGE = testFault(
  'wasm-moving-average-off',
  'On the wasm backend the moving-average decay is 0.05 larger than 1 - momentum, so wasm trains to other moving statistics than cpu.',
  'var decay = 1 - momentum;',
  "var decay = 1 - momentum + (tfc__namespace.getBackend() === 'wasm' ? 0.05 : 0);",
);

let wasm: Awaited<ReturnType<typeof probeBackend>>;
beforeAll(async () => {
  wasm = await probeBackend('wasm');
});

describe('backend-parity repros', () => {
  test('a repro folder compares with the other backend: its package.json pins both backend packages, ISSUE.md names both, and the script agrees with bn-suite here (exit 0)', async () => {
    if (!wasm.available) throw new Error(`wasm backend unavailable: ${wasm.reason}`);
    const report = await createRepro({
      scenario: { id: 'backend-parity', description: 'cpu against wasm', invariant: 'backend-parity' },
      backend: 'cpu',
      counterexample: caseSpec({ freeze: 'bn' }),
      otherBackends: ['wasm'],
      minimize: false,
      outDir: path.join(tempDir(), 'folder'),
    });
    expect((report.capture.observed as ParityObservation).failing).toEqual([]);
    const versions = tfjsVersions();
    expect(JSON.parse(fs.readFileSync(path.join(report.dir, 'package.json'), 'utf8')).dependencies).toEqual({
      '@tensorflow/tfjs-core': versions['@tensorflow/tfjs-core'],
      '@tensorflow/tfjs-layers': versions['@tensorflow/tfjs-layers'],
      '@tensorflow/tfjs-backend-cpu': versions['@tensorflow/tfjs-backend-cpu'],
      '@tensorflow/tfjs-backend-wasm': versions['@tensorflow/tfjs-backend-wasm'],
    });
    expect(fs.readFileSync(path.join(report.dir, 'ISSUE.md'), 'utf8')).toContain(`@tensorflow/tfjs-backend-cpu@${versions['@tensorflow/tfjs-backend-cpu']}, @tensorflow/tfjs-backend-wasm@${versions['@tensorflow/tfjs-backend-wasm']}`);
    expect(report.verification).toMatchObject({ exitCode: 0, reproduces: false });
    expect(report.verification?.stdout).toMatch(/^wasm bn\/moving_variance: wasm \[.+\]; cpu \[.+\]; max abs diff \S+ \(allowed .*\)$/m);
  }, 60_000);

  test('where one backend computes the moving statistics differently (patched tfjs-layers), bn-suite fails backend-parity on cpu against wasm, and the script of its case, which imports both backends, exits 1; on tfjs as installed both agree (exit 0)', async () => {
    if (!wasm.available) throw new Error(`wasm backend unavailable: ${wasm.reason}`);
    const run = await faultedCase({ root: tempDir(), fault: WASM_MOVING_AVERAGE, scenario: 'backend-parity', invariant: 'backend-parity', otherBackends: ['wasm'] });
    expect(run.result.summary).toMatch(/^wasm vs cpu: /);
    const observed = run.capture.observed as ParityObservation;
    expect(observed.failing).toEqual([]);
    expect(Object.keys(observed.tolerances.weights)).toEqual(expect.arrayContaining(['bn/moving_mean', 'bn/moving_variance']));
    expect(run.script).toContain('import "@tensorflow/tfjs-backend-cpu";\nimport "@tensorflow/tfjs-backend-wasm";');
    expect(run.installed).toMatchObject({ exitCode: 0, reproduces: false });
    expect(run.installed.stdout).toMatch(/^wasm predictions: wasm \[.+\]; cpu \[.+\]; max abs diff \S+ \(allowed \S+ \+ \S+ x \|expected\|\)$/m);
    expect(run.installed.stdout).toContain('actual:   every part agrees');
    expect(run.patched).toMatchObject({ exitCode: 1, reproduces: true });
    expect(run.patched.stdout).toMatch(/^wasm bn\/moving_(mean|variance): wasm \[.+\]; cpu \[.+\]; .*; first out of bounds at \d+: \S+ vs \S+$/m);
    expect(run.patched.stdout).toMatch(/^actual: {3}out of bounds: .*wasm bn\/moving_(mean|variance)/m);
  }, 60_000);
});

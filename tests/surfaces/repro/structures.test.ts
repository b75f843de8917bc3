import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaseSpec } from '../../../src/engine/run/case-spec';
import type { FrozenStatsObservation, ModeSwitchObservation } from '../../../src/surfaces/repro/render-script';
import { createRepro } from '../../../src/surfaces/repro/write-repro';
import { caseSpec } from '../../helpers/fixtures';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

const fmt = (v: number) => String(Number(v.toPrecision(7)));
const list = (values: number[]) => `[${values.slice(0, 8).map(fmt).join(', ')}${values.length > 8 ? `, ... (${values.length} values)` : ''}]`;

const tempDir = useCpuAndTempDir('bn-suite-repro-structures-');

// Each case as generated (not minimized): the script must rebuild the container layout and take
// the freeze timing's steps itself, so that its numbers are the ones bn-suite observed.
const FROZEN_STATS_CASES: Array<[string, CaseSpec]> = [
  ['sequential in sequential, two levels, wrapper frozen', caseSpec({ nested: true, container: 'sequential', baseContainer: 'sequential', depth: 2, freeze: 'base' })],
  ['shared nested base, frozen between two fits', caseSpec({ nested: true, shared: true, freeze: 'bn', freezeTiming: 'between-fits' })],
  ['sequential, frozen after compile, trainOnBatch', caseSpec({ container: 'sequential', freeze: 'bn', freezeTiming: 'after-compile', entryPoint: 'trainOnBatch' })],
  ['unfreeze and refreeze, custom minimize loop', caseSpec({ nested: true, freeze: 'base', freezeTiming: 'unfreeze-refreeze', entryPoint: 'minimize' })],
  ['sequential base, recompiled after the freeze, BN called directly', caseSpec({ nested: true, baseContainer: 'sequential', freeze: 'bn', freezeTiming: 'after-compile-recompile', entryPoint: 'layerApply' })],
];

describe('repro scripts rebuild container layouts and freeze timings', () => {
  test.each(FROZEN_STATS_CASES)('frozen-moving-stats: %s', async (name, spec) => {
    const dir = path.join(tempDir(), name.replace(/[^a-z]+/gi, '-'));
    const report = await createRepro({
      scenario: { id: 'structures', description: name, invariant: 'frozen-moving-stats' },
      backend: 'cpu',
      counterexample: spec,
      outDir: dir,
      minimize: false,
    });
    expect(report.verification?.reproduces).toBe(true);
    const observed = report.capture.observed as FrozenStatsObservation;
    const stdout = report.verification!.stdout;
    expect(stdout).toContain(`moving_mean     before ${list(observed.movingMean.before)}  after ${list(observed.movingMean.after)}`);
    expect(stdout).toContain(`moving_variance before ${list(observed.movingVariance.before)}  after ${list(observed.movingVariance.after)}`);
    const script = fs.readFileSync(path.join(dir, 'repro.mjs'), 'utf8');
    if (spec.model.container === 'sequential') expect(script).toContain('tfl.sequential(');
    if (spec.model.depth === 2) expect(script).toContain('wrapper.trainable = false;');
    if (spec.model.shared === true) expect(script).toContain('const sibling = ');
    if (spec.freezeTiming === 'unfreeze-refreeze') expect(script).toContain('base.trainable = true;');
  }, 60_000);

  test('mode-switch: a frozen base two levels down, shared with a second model', async () => {
    const spec = caseSpec({ nested: true, depth: 2, shared: true, freeze: 'base', freezeTiming: 'after-compile-recompile' });
    const report = await createRepro({
      scenario: { id: 'structures', description: 'mode switch', invariant: 'mode-switch' },
      backend: 'cpu',
      counterexample: spec,
      outDir: path.join(tempDir(), 'mode-switch'),
      minimize: false,
    });
    expect(report.verification?.reproduces).toBe(true);
    const observed = report.capture.observed as ModeSwitchObservation;
    expect(report.verification!.stdout).toContain(`model.predict(x)                    ${list(observed.inference.values)}`);
  }, 60_000);
});

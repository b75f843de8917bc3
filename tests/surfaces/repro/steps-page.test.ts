import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROWSER_BACKENDS } from '../../../src/engine/backends';
import type { StepsScenario } from '../../../src/engine/scenarios/types';
import { tfjsVersions } from '../../../src/hosts/node/tfjs';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { SHIPPED_SCENARIOS } from '../../../src/surfaces/paths';
import { renderStepsPage, renderStepsScript, captureSteps, writeStepsRepro } from '../../../src/surfaces/repro/steps-script';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { pageSkipReason } from './page-skip';

const tempDir = useCpuAndTempDir('bn-suite-steps-page-');
const shipped = (id: string) => loadScenarios(SHIPPED_SCENARIOS).map((l) => l.scenario).find((s): s is StepsScenario => s.id === id && s.kind === 'steps')!;

describe('steps-scenario pages', () => {
  test('the page runs the same program as repro.mjs: the same steps, only the shell differs', async () => {
    const scenario = shipped('keras3/trainable-behavior-frozen');
    const capture = await captureSteps(scenario);
    const script = renderStepsScript({ scenario, backend: 'cpu', capture, bnSuiteVersion: 'test' });
    const page = renderStepsPage({ scenario, backend: 'webgl', capture, bnSuiteVersion: 'test', bundles: [{ packageName: '@tensorflow/tfjs-core', version: '4.22.0', name: 'tf-core.min.js' }] });
    const program = (text: string) => text.split('\n').filter((line) => /^ {2}\/\/ step \d+ /.test(line));
    expect(program(page)).toEqual(program(script));
    expect(program(page)).toHaveLength(scenario.steps.length);
    // Reads are asynchronous only (webgpu cannot read synchronously on software adapters).
    expect(page).not.toMatch(/dataSync\(/);
  });
});

for (const backend of BROWSER_BACKENDS) {
  const reason = pageSkipReason(backend);
  (reason === null ? describe : describe.skip)(`steps-scenario pages in Chromium [${backend}]${reason !== null ? `: ${reason}` : ''}`, () => {
    test.each([
      ['tf-keras/trainable-false-fit', /^step 4 \(expectWeight\) does not hold: bn\/moving_mean\[0\] = 0\.049\d*, expected 0$/m],
      ['keras3/input-fully-masked', /^step \d+ \(callBn\) throws: TypeError: Cannot read properties of undefined \(reading 'read'\)$/m],
    ])('%s: index.html reproduces in the page (exit 1) and ISSUE.md quotes what it printed', async (id, printed) => {
      const dir = path.join(tempDir(), `${id.replace('/', '-')}-${backend}`);
      const report = await writeStepsRepro({ scenario: shipped(id), backend, dir, versions: tfjsVersions(), runSummary: 'summary' });
      expect(fs.readdirSync(dir).sort()).toEqual(['ISSUE.md', 'index.html']);
      expect(report.verification).toMatchObject({ mode: 'page', exitCode: 1, reproduces: true });
      expect(report.verification.stdout).toMatch(printed);
      const issue = fs.readFileSync(path.join(dir, 'ISSUE.md'), 'utf8');
      expect(issue).toContain(`- Backend: ${backend}`);
      expect(issue).toMatch(printed);
    }, 120_000);

    test('a program that holds there: the page exits 0', async () => {
      const report = await writeStepsRepro({ scenario: shipped('tfjs/fit-golden-bn-only'), backend, dir: path.join(tempDir(), `holds-${backend}`), versions: tfjsVersions() });
      expect(report.verification).toMatchObject({ mode: 'page', exitCode: 0, reproduces: false });
      expect(report.verification.stdout).toContain('every expectation holds');
    }, 120_000);
  });
}

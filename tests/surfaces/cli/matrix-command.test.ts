import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseMatrixResult } from '../../../src/results/matrix-schema';
import { parseSuiteResult } from '../../../src/results/schema';
import { loadScenarios, selectScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { runMatrix } from '../../../src/surfaces/matrix/run-matrix';
import { SHIPPED_SCENARIOS } from '../../../src/surfaces/paths';
import { runCli } from '../../helpers/cli';

// Only `installed` (the project's own tfjs) and versions npm is never asked for: no registry needed.
describe('bn-suite matrix', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-matrix-'));
  const out = (name: string) => path.join(tmp, name);

  test('one column on the installed tfjs: matrix.json/md/html and that version\'s reports, exit 0', async () => {
    const { code, out: stdout, err } = await runCli(['matrix', '--tfjs', 'installed', '--scenario', 'oracle/affine,frozen-moving-stats/fit', '--backend', 'cpu', '--runs', '2', '--out', out('one'), '--tfjs-cache', out('cache')]);
    expect({ code, err }).toMatchObject({ code: 0 });
    expect(stdout).toMatch(/^matrix of 1 tfjs versions in /);
    const matrix = parseMatrixResult(JSON.parse(fs.readFileSync(path.join(out('one'), 'matrix.json'), 'utf8')));
    expect(matrix.columns.map((c) => [c.requested, c.status])).toEqual([['installed', 'ran']]);
    expect(fs.readdirSync(out('one')).sort()).toEqual(['matrix.html', 'matrix.json', 'matrix.md', 'tfjs-installed']);
    const suite = parseSuiteResult(JSON.parse(fs.readFileSync(path.join(out('one'), 'tfjs-installed', 'results.json'), 'utf8')));
    expect(suite.results.map((r) => `${r.scenario}@${r.backend}:${r.outcome}`)).toEqual(['frozen-moving-stats/fit@cpu:expected-fail', 'oracle/affine@cpu:pass']);
  });

  test.each([
    [['--tfjs', 'installed', '--gate'], /--gate compares the first --tfjs version with the others: give at least two/],
    [['--tfjs', 'installed,installed'], /--tfjs: installed is listed twice/],
    [[], /--tfjs is required/],
    [['--tfjs', 'installed', '--backend', 'gpu'], /--backend: unknown backend 'gpu'/],
    [['--tfjs', 'installed', '--runs', '0'], /--runs/],
  ])('%j: exit 2, nothing written', async (args, message) => {
    const dir = out(`bad-${Math.random().toString(36).slice(2)}`);
    const { code, err } = await runCli(['matrix', ...args, '--out', dir]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('a version that is not one is refused before anything runs: exit 2, nothing written', async () => {
    const dir = out('gate');
    const { code, err } = await runCli(['matrix', '--tfjs', 'installed,4.22', '--gate', '--scenario', 'oracle/affine', '--backend', 'cpu', '--runs', '1', '--out', dir, '--tfjs-cache', out('cache')]);
    expect(code).toBe(2);
    expect(err).toMatch(/--tfjs: '4\.22' is not an exact version \(such as 3\.21\.0\) or installed/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('with --gate, a version npm does not know stops the matrix before any column runs', async () => {
    const notarget = async () => ({ code: 1, stderr: 'npm error code ETARGET\nnpm error notarget No matching version found for @tensorflow/tfjs-core@9.9.9.\n' });
    const columns: string[] = [];
    await expect(
      runMatrix({
        versions: ['installed', '9.9.9'],
        backends: ['cpu'],
        scenarios: selectScenarios(loadScenarios(SHIPPED_SCENARIOS), 'oracle/affine'),
        knownIssues: [],
        seed: 1,
        runs: 1,
        tfjsCacheDir: out('cache-9'),
        npm: notarget,
        refuseUnknownVersions: true,
        onColumn: (c) => columns.push(c.requested),
      }),
    ).rejects.toThrow(/^tfjs 9\.9\.9 is not on the registry \(npm install failed: npm error code ETARGET/);
    expect(columns).toEqual([]);
  });
});

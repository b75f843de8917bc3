import { captureIo } from '../../helpers/cli';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/surfaces/cli/main';
import { parseKnownIssues } from '../../../src/surfaces/inputs/known-issues-file';
import { BN_SUITE_VERSION } from '../../../src/engine/version';
import { reportFigures, resultTableScenarios, svgTexts } from '../../helpers/report-html';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const CHEAP = ['--scenario', 'oracle/affine', '--runs', '1', '--backend', 'cpu'];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-cli-run-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
/** A fresh, not yet existing folder under the temp root. */
function freshDir(label: string): string {
  return path.join(tmp, `${label}-${++counter}`);
}

function writeFile(file: string, content: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

async function run(args: string[], out = freshDir('out')): Promise<{ code: number; out: string; err: string; dir: string }> {
  const io = captureIo();
  const code = await main(['node', 'bn-suite', 'run', ...args, '--out', out], io);
  return { code, out: io.out, err: io.err, dir: out };
}

/** One run of the cheap scenario shared by tests that only read its reports. */
let first: { code: number; out: string; err: string; dir: string };
beforeAll(async () => {
  first = await run(CHEAP);
});

const knownIssue = (scenario: string, invariant: string) =>
  `known-issues:\n  - scenario: ${scenario}\n    invariant: ${invariant}\n    issue: unreported\n    reason: test entry\n    outcomes: [fail]\n`;

describe('bn-suite run (in-process)', () => {
  test("a scenario folder of one's own needs no tags.yaml and brings its own known issues (known-issues.yaml beside the scenarios)", async () => {
    const dir = freshDir('own-scenarios');
    writeFile(path.join(dir, 'no-center.yaml'), fs.readFileSync(path.join(ROOT, 'scenarios/oracle/no-center.yaml'), 'utf8').replace('id: oracle/no-center', 'id: no-center'));
    const args = ['--scenarios', dir, '--runs', '1', '--backend', 'cpu'];
    // No known issues: the shipped ones name the shipped scenarios and do not apply; the tfjs error is unexpected.
    const bare = await run(args);
    expect([bare.code, bare.err]).toEqual([1, expect.stringMatching(/FAIL no-center @ cpu: error/)]);
    writeFile(path.join(dir, 'known-issues.yaml'), `${knownIssue('no-center', 'oracle-agreement').replace('[fail]', '[error]')}    message: "reading 'read'"\n`);
    const known = await run(args);
    expect([known.code, known.err]).toEqual([0, expect.stringMatching(/xf\s+no-center @ cpu: error/)]);
  });

  test('a cheap passing run exits 0 and writes results.json and summary.md', () => {
    expect(first.code).toBe(0);
    const suite = JSON.parse(fs.readFileSync(path.join(first.dir, 'results.json'), 'utf8'));
    expect(suite).toMatchObject({ format: 'bn-suite-results', formatVersion: 1, tool: { name: 'bn-suite', version: BN_SUITE_VERSION }, runs: 1 });
    expect(suite.summary).toMatchObject({ results: 1, casesRun: 1, asExpected: true, byOutcome: { pass: 1 } });
    expect(suite.results).toEqual([expect.objectContaining({ scenario: 'oracle/affine', backend: 'cpu', status: 'pass', outcome: 'pass' })]);
    const summary = fs.readFileSync(path.join(first.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('# bn-suite results');
    expect(summary).toContain('| oracle/affine | oracle-agreement | cpu | pass |');
    expect(first.out).toContain('1 results, 1 cases');
    expect(first.out).toContain('Closest contract');
    expect(first.err).toMatch(/\[1\/1\] ok\s+oracle\/affine @ cpu: pass/);
    // Only the reports, no leftover temporary files.
    expect(fs.readdirSync(first.dir).sort()).toEqual(['index.html', 'junit.xml', 'results.json', 'summary.md']);
    // Under jest vega cannot load, so the charts themselves are checked on the compiled bin's run
    // below; the page still has its four figures and a row per result.
    const html = fs.readFileSync(path.join(first.dir, 'index.html'), 'utf8');
    expect(reportFigures(html).map((f) => f.id)).toEqual(['chart-parity', 'chart-drift', 'chart-layer-drift', 'chart-accuracy']);
    expect(resultTableScenarios(html)).toEqual(['oracle/affine']);
  });

  test('a scenario limited to other backends is named on stderr, not silently left out', async () => {
    const limited = await run(['--scenario', 'oracle/affine,mnist/mobilenet-v2-frozen-base', '--runs', '1', '--backend', 'cpu']);
    expect(limited.code).toBe(0);
    expect(limited.err).toContain('warning: scenario mnist/mobilenet-v2-frozen-base applies to wasm only (its backends): not run on cpu');
    expect(limited.err).not.toContain('scenario oracle/affine applies');
    expect(limited.out).toContain('1 results, 1 cases');
  });

  test('a selection with nothing to run is a usage error (exit 2) naming why, and writes nothing', async () => {
    const out = freshDir('nothing');
    const nothing = await run(['--scenario', 'mnist/mobilenet-v2-frozen-base', '--runs', '1', '--backend', 'cpu'], out);
    expect(nothing.code).toBe(2);
    expect(nothing.err).toContain('--scenario/--backend: nothing to run: mnist/mobilenet-v2-frozen-base applies to wasm only; selected backends: cpu');
    // The --out folder may exist (its writability is checked first); no report is in it.
    expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
  });

  describe('bad input exits 2, names the problem on stderr and writes no report', () => {
    const emptyFolder = () => {
      const dir = freshDir('empty-scenarios');
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    };
    const malformedFolder = () => {
      const dir = freshDir('malformed-scenarios');
      writeFile(path.join(dir, 'tags.yaml'), 'tags:\n  oracle: reference\n');
      writeFile(path.join(dir, 'broken.yaml'), 'id: broken\nkind: property\ntags: [ oracle\n');
      return dir;
    };
    const emptyExpectations = () => writeFile(path.join(freshDir('no-ki'), 'known-issues.yaml'), 'known-issues: []\n');
    const nanData = () => {
      const dir = freshDir('nan-scenarios');
      writeFile(path.join(dir, 'tags.yaml'), 'tags:\n  oracle: reference\n');
      writeFile(
        path.join(dir, 'nan.yaml'),
        'id: nan\nkind: steps\ndescription: d\nprovenance: p\ntags: [oracle]\ninvariant: oracle-agreement\nmodel: { inputShape: [1] }\ndata: { batch: 2, x: { values: [0, .nan] } }\nsteps:\n  - callBn: { training: true }\n',
      );
      return dir;
    };
    const unknownTag = () => {
      const dir = freshDir('tag-scenarios');
      writeFile(path.join(dir, 'tags.yaml'), 'tags:\n  oracle: reference\n');
      writeFile(path.join(dir, 'odd.yaml'), 'id: odd\nkind: property\ndescription: d\nprovenance: p\ntags: [orakel]\ninvariant: oracle-agreement\n');
      return dir;
    };
    const onlyTags = () => {
      const dir = freshDir('only-tags');
      writeFile(path.join(dir, 'tags.yaml'), 'tags:\n  oracle: reference\n');
      return dir;
    };
    const badInvariant = () => writeFile(path.join(freshDir('ki'), 'known-issues.yaml'), knownIssue('oracle/affine', 'frozen-stats'));
    const ghostScenario = () => writeFile(path.join(freshDir('ki'), 'known-issues.yaml'), knownIssue('oracle/ghost', 'oracle-agreement'));
    const oldBaseline = () => {
      const suite = JSON.parse(fs.readFileSync(path.join(first.dir, 'results.json'), 'utf8'));
      suite.tool.version = '0.0.0';
      return writeFile(path.join(freshDir('old'), 'results.json'), JSON.stringify(suite));
    };
    const textBaseline = () => writeFile(path.join(freshDir('text'), 'results.json'), 'not json at all');
    // A failure whose evidence is another invariant's (frozen-moving-stats' moved weights under oracle-agreement).
    const foreignEvidence = () => {
      const suite = JSON.parse(fs.readFileSync(path.join(first.dir, 'results.json'), 'utf8'));
      Object.assign(suite.results[0], { status: 'fail', summary: 'moved', evidence: { moved: [], unchanged: [] } });
      return writeFile(path.join(freshDir('foreign'), 'results.json'), JSON.stringify(suite));
    };

    test.each<[string, () => string[], RegExp]>([
      ['unknown backend', () => ['--scenario', 'oracle/affine', '--runs', '1', '--backend', 'metal'], /unknown backend 'metal'; allowed: cpu, wasm, tensorflow, webgl, webgpu/],
      ['unknown scenario selector', () => ['--scenario', 'nonsense', '--runs', '1', '--backend', 'cpu'], /--scenario 'nonsense' matches no scenario id, glob or tag; ids: .*oracle\/affine/],
      ['bad --shard (k > n)', () => [...CHEAP, '--shard', '3/2'], /--shard '3\/2': expected k\/n/],
      ['bad --shard (not k/n)', () => [...CHEAP, '--shard', 'half'], /--shard 'half'/],
      ['bad --runs (0)', () => ['--scenario', 'oracle/affine', '--runs', '0', '--backend', 'cpu'], /--runs '0': expected an integer from 1 to 10000/],
      ['bad --runs (fraction)', () => ['--scenario', 'oracle/affine', '--runs', '1.5', '--backend', 'cpu'], /--runs '1\.5'/],
      ['bad --seed', () => [...CHEAP, '--seed', 'lucky'], /--seed 'lucky': expected an integer or "random"/],
      ['--scenarios at an empty folder', () => [...CHEAP, '--scenarios', emptyFolder()], /empty-scenarios(-\d+)?: no scenario files \(\*\.yaml\) found/],
      ['--scenarios at a missing folder', () => [...CHEAP, '--scenarios', freshDir('missing')], /scenario folder not found/],
      ['malformed scenario YAML', () => [...CHEAP, '--scenarios', malformedFolder()], /broken\.yaml:\d+:\d+: \(yaml\): malformed YAML/],
      ['NaN in scenario data', () => ['--runs', '1', '--backend', 'cpu', '--expectations', emptyExpectations(), '--scenarios', nanData()], /nan\.yaml:8:\d+: data\.x\.values\.1: .*expected number, received NaN/],
      ['unknown tag', () => ['--runs', '1', '--backend', 'cpu', '--expectations', emptyExpectations(), '--scenarios', unknownTag()], /odd\.yaml:5:\d+: tags.*unknown tag 'orakel'; allowed .*: oracle/],
      ['a scenario folder with no scenario file', () => ['--runs', '1', '--backend', 'cpu', '--expectations', emptyExpectations(), '--scenarios', onlyTags()], /no scenario files/],
      ['expectations with an unknown invariant', () => [...CHEAP, '--expectations', badInvariant()], /known-issues\.yaml:3:\d+: known-issues\.0\.invariant: .*"oracle-agreement"/],
      ['known issue naming a nonexistent scenario', () => [...CHEAP, '--expectations', ghostScenario()], /known issue names scenario 'oracle\/ghost', which does not exist/],
      ['missing expectations file', () => [...CHEAP, '--expectations', path.join(tmp, 'nope.yaml')], /nope\.yaml: cannot read \(ENOENT\)/],
      ['baseline from another bn-suite version', () => [...CHEAP, '--baseline', oldBaseline()], /baseline written by bn-suite 0\.0\.0, this is /],
      ['baseline that is not JSON', () => [...CHEAP, '--baseline', textBaseline()], /results\.json: not JSON/],
      ['baseline whose evidence does not fit its invariant', () => [...CHEAP, '--baseline', foreignEvidence()], /results\.json: not a bn-suite results file: results\.0\.evidence\.\w+: /],
      ['missing baseline', () => [...CHEAP, '--baseline', path.join(tmp, 'none.json')], /none\.json: cannot read results \(ENOENT\)/],
    ])('%s', async (_label, args, message) => {
      const result = await run(args());
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/^bn-suite: /);
      expect(result.err).toMatch(message);
      expect(result.out).toBe('');
      expect(fs.existsSync(path.join(result.dir, 'results.json'))).toBe(false);
    });

    test('an unknown option is a commander usage error (exit 2)', async () => {
      const result = await run([...CHEAP, '--frobnicate']);
      expect(result.code).toBe(2);
      expect(result.err).toContain("unknown option '--frobnicate'");
      expect(fs.existsSync(result.dir)).toBe(false);
    });
  });

  describe('baseline gate', () => {
    test('the same run against its own results exits 0; a flipped status exits 1 and lists the change', async () => {
      const baseline = path.join(first.dir, 'results.json');
      const same = await run([...CHEAP, '--baseline', baseline]);
      expect(same.code).toBe(0);
      expect(same.out).toContain('no verdict changed');

      const flipped = JSON.parse(fs.readFileSync(baseline, 'utf8'));
      // A failure carries the evidence of its invariant (an oracle failure's parts), or the baseline is refused.
      Object.assign(flipped.results[0], { status: 'fail', summary: 'inference: values differ', evidence: { inputShape: [1, 1], trainingCalls: 1, failed: ['inference'], parts: [] } });
      const edited = writeFile(path.join(freshDir('flipped'), 'results.json'), JSON.stringify(flipped, null, 2));
      const changed = await run([...CHEAP, '--baseline', edited]);
      expect(changed.code).toBe(1);
      expect(changed.out).toContain('1 change(s):');
      expect(changed.out).toMatch(/oracle\/affine \/ oracle-agreement \/ cpu\s+status\s+fail -> pass/);
      // The reports are still written: the gate fails after the run.
      expect(fs.existsSync(path.join(changed.dir, 'results.json'))).toBe(true);
    });
  });

  test('--json prints the results as JSON on stdout only; progress stays on stderr', async () => {
    const result = await run([...CHEAP, '--json']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.out);
    expect(printed.summary.results).toBe(1);
    expect(printed).toEqual(JSON.parse(fs.readFileSync(path.join(result.dir, 'results.json'), 'utf8')));
    expect(result.err).toContain('oracle/affine @ cpu');
  });

  // KNOWN BUG (see report): with --baseline, run-command appends the plain-text comparison to
  // stdout after the JSON, so `--json --baseline` output no longer parses.
  test('--json with --baseline still prints only JSON on stdout', async () => {
    const result = await run([...CHEAP, '--json', '--baseline', path.join(first.dir, 'results.json')]);
    expect(result.code).toBe(0);
    expect(() => JSON.parse(result.out)).not.toThrow();
  });

  describe('expectations', () => {
    test('a known failure that now passes is an unexpected pass (exit 1), tolerated with --tolerate-unexpected-pass', async () => {
      const file = writeFile(path.join(freshDir('ki'), 'known-issues.yaml'), knownIssue('oracle/affine', 'oracle-agreement'));
      const strict = await run([...CHEAP, '--expectations', file]);
      expect(strict.code).toBe(1);
      expect(strict.out).toContain('unexpected-pass: oracle/affine (oracle-agreement) @ cpu: pass');
      expect(strict.out).toMatch(/replay: bn-suite:oracle\/affine@cpu\?seed=/);
      const tolerant = await run([...CHEAP, '--expectations', file, '--tolerate-unexpected-pass']);
      expect(tolerant.code).toBe(0);
      const suite = JSON.parse(fs.readFileSync(path.join(tolerant.dir, 'results.json'), 'utf8'));
      expect(suite.results[0]).toMatchObject({ outcome: 'unexpected-pass', expected: true, issue: 'unreported' });
    });

    test('an entry that matches no result of a scenario that ran is stale (exit 1)', async () => {
      const file = writeFile(path.join(freshDir('ki'), 'known-issues.yaml'), knownIssue('oracle/affine', 'mode-switch'));
      const result = await run([...CHEAP, '--expectations', file]);
      expect(result.code).toBe(1);
      expect(result.out).toContain('stale known issue: oracle/affine / mode-switch matched no result');
    });

    test('--update-expectations rewrites the given file from the run, keeping entries of scenarios not run and of backends not run (exit 0)', async () => {
      const file = writeFile(
        path.join(freshDir('ki'), 'known-issues.yaml'),
        knownIssue('oracle/affine', 'oracle-agreement') + knownIssue('mode-switch', 'mode-switch').replace('known-issues:\n', ''),
      );
      const result = await run([...CHEAP, '--expectations', file, '--update-expectations']);
      expect(result.code).toBe(0);
      expect(result.err).toContain(`wrote 2 known issue(s) to ${file}`);
      // oracle/affine passed on cpu, the only backend of the run: its entry now speaks only for the others.
      expect(parseKnownIssues(fs.readFileSync(file, 'utf8'), file).map((e) => [e.scenario, e.backend])).toEqual([
        ['mode-switch', undefined],
        ['oracle/affine', ['wasm', 'tensorflow', 'webgl', 'webgpu']],
      ]);
    });
  });
});

describe('bn-suite run (compiled bin)', () => {
  test('--json: exit 0, stdout is exactly the JSON results, no tfjs banner', () => {
    const out = freshDir('bin');
    const child = spawnSync(process.execPath, [CLI, 'run', ...CHEAP, '--out', out, '--json'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
    expect(child.status).toBe(0);
    const printed = JSON.parse(child.stdout);
    expect(printed.summary).toMatchObject({ results: 1, asExpected: true });
    expect(child.stdout).not.toContain('Hi, looks like');
    expect(fs.existsSync(path.join(out, 'results.json'))).toBe(true);

    // Outside jest vega loads, so index.html holds real charts. This run has no transfer results:
    // the parity heatmap is an SVG naming the scenario and backend; drift and accuracy are notes.
    expect(child.stderr).not.toMatch(/WARN|vega/i);
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).not.toContain('Chart not rendered');
    const figures = reportFigures(html);
    expect(figures.map((f) => [f.id, f.svg !== null])).toEqual([
      ['chart-parity', true],
      ['chart-drift', false],
      ['chart-layer-drift', false],
      ['chart-accuracy', false],
    ]);
    const parity = figures[0].svg ?? '';
    expect(parity).toMatch(/^<svg\b[^>]*\brole="img" aria-label="Backend parity">/);
    expect(svgTexts(parity)).toEqual(expect.arrayContaining(['Backend parity: verdict per scenario and backend', 'oracle/affine', 'cpu']));
    expect(figures[1].caption).toMatch(/^Moving-statistic drift: No result in this run records moving-statistic drift/);
    expect(figures[2].caption).toMatch(/^Drift per BN layer: No result in this run records moving-statistic drift per BN layer/);
    expect(figures[3].caption).toMatch(/^Training-mode vs inference-mode accuracy: No result in this run records per-epoch accuracies/);
    expect(resultTableScenarios(html)).toEqual(printed.results.map((r: { scenario: string }) => r.scenario));
    expect(resultTableScenarios(html)).toEqual(['oracle/affine']);
  });

  test('a usage error exits 2 with the message on stderr and writes nothing', () => {
    const out = freshDir('bin');
    const child = spawnSync(process.execPath, [CLI, 'run', '--scenario', 'oracle/affine', '--runs', 'many', '--backend', 'cpu', '--out', out], { encoding: 'utf8' });
    expect(child.status).toBe(2);
    expect(child.stderr).toContain("bn-suite: --runs 'many': expected an integer from 1 to 10000");
    expect(child.stdout).toBe('');
    expect(fs.existsSync(out)).toBe(false);
  });
});

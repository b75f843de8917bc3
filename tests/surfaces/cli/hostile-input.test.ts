/**
 * Hostile input, one class per test: each gives its clear exit code and one line, and nothing is
 * recorded as tfjs behaviour. Keep adding to this file.
 */
import { runCli } from '../../helpers/cli';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classifyResult } from '../../../src/engine/expectations/classify';
import { resultRecord } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';

function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCli(args);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-hostile-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('numeric flags', () => {
  test.each([['1e9'], ['0'], ['-3'], ['2.5'], ['10001'], ['ten'], ['']])('--runs %p is a usage error naming the bound', async (runs) => {
    const { code, err } = await cli('run', '--runs', runs, '--out', path.join(tmp, 'never'));
    expect(code).toBe(2);
    expect(err).toBe(`bn-suite: --runs '${runs}': expected an integer from 1 to 10000\n`);
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  });
});

describe('destinations are checked before the run', () => {
  test('--out that is an existing file: exit 2, one line, the file untouched', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'keep me');
    const { code, err, out } = await cli('run', '--scenario', 'oracle/affine', '--runs', '1', '--backend', 'cpu', '--out', file);
    expect(code).toBe(2);
    expect(err).toBe(`bn-suite: --out '${file}' is a file, not a folder\n`);
    expect(out).toBe('');
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });

  test('--out below a file cannot be created: exit 2 with the reason', async () => {
    const file = path.join(tmp, 'another-file');
    fs.writeFileSync(file, '');
    const { code, err } = await cli('run', '--scenario', 'oracle/affine', '--runs', '1', '--backend', 'cpu', '--out', path.join(file, 'reports'));
    expect(code).toBe(2);
    expect(err).toBe(`bn-suite: --out '${path.join(file, 'reports')}' cannot be written: ENOTDIR\n`);
  });
});

describe('merge refuses a partial or doubled set of shards', () => {
  const write = (name: string, shard: { index: number; count: number } | null): string => {
    const file = path.join(tmp, `${name}.json`);
    const record = resultRecord({ scenario: `s-${name}` });
    fs.writeFileSync(file, JSON.stringify(suiteResult([record], { shard })));
    return file;
  };

  test('shards 1/3 and 3/3 are not a whole run', async () => {
    const { code, err } = await cli('merge', write('one-of-three', { index: 1, count: 3 }), write('three-of-three', { index: 3, count: 3 }), '--out', path.join(tmp, 'm1'));
    expect(code).toBe(2);
    expect(err).toBe('bn-suite: merge: shard 2/3 missing; a merge needs every shard of the run\n');
    expect(fs.existsSync(path.join(tmp, 'm1'))).toBe(false);
  });

  test('the same shard twice', async () => {
    const a = write('first-of-two-a', { index: 1, count: 2 });
    const b = write('first-of-two-b', { index: 1, count: 2 });
    const { code, err } = await cli('merge', a, b, '--out', path.join(tmp, 'm2'));
    expect(code).toBe(2);
    expect(err).toBe(`bn-suite: merge: shard 1/2 given twice (${a} and ${b})\n`);
  });

  test('shards of different counts, and a whole run among shards', async () => {
    const half = write('half', { index: 1, count: 2 });
    const third = write('third', { index: 2, count: 3 });
    expect((await cli('merge', half, third, '--out', path.join(tmp, 'm3'))).err).toBe(`bn-suite: merge: ${third} is shard 2/3 but ${half} is one of 2\n`);
    const whole = write('whole', null);
    expect((await cli('merge', whole, half, '--out', path.join(tmp, 'm4'))).err).toBe(`bn-suite: merge: ${whole} is a whole run but ${half} is shard 1/2; merge shards of one run only\n`);
  });

  test('all shards of a run merge', async () => {
    const { code } = await cli('merge', write('a-of-two', { index: 1, count: 2 }), write('b-of-two', { index: 2, count: 2 }), '--out', path.join(tmp, 'm5'));
    expect(code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'm5', 'results.json'), 'utf8')).results).toHaveLength(2);
  });
});

describe('a run with one backend', () => {
  test('a cross-backend check that cannot be observed is not-observable, not an unexpected failure', () => {
    const result = resultRecord({ invariant: 'backend-parity', status: 'unsupported', summary: 'backend-parity needs at least two available backends', evidence: { kernel: null, backend: 'cpu', message: 'x' } });
    expect(classifyResult(result, []).outcome).toBe('not-observable');
    // A kernel the backend lacks stays unexpected until a known issue lists it.
    const kernel = resultRecord({ invariant: 'backend-parity', status: 'unsupported', summary: 'kernel Conv2DBackpropFilter is not available on wasm', evidence: { kernel: 'Conv2DBackpropFilter', backend: 'wasm', message: 'x' } });
    expect(classifyResult(kernel, []).outcome).toBe('unexpected-fail');
  });

  test('bn-suite run --backend cpu on backend-parity exits 0 and says why it did not compare', async () => {
    const out = path.join(tmp, 'cpu-only');
    const { code, err } = await cli('run', '--scenario', 'backend-parity', '--backend', 'cpu', '--runs', '1', '--out', out);
    expect(code).toBe(0);
    expect(err).toMatch(/n\/a {2}backend-parity @ cpu: unsupported/);
    const [record] = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).results;
    expect(record).toMatchObject({ status: 'unsupported', outcome: 'not-observable' });
    expect(record.summary).toMatch(/needs at least two available backends; only 'cpu' is in this run/);
  });
});


describe('a broken cache folder is a warning, never a verdict', () => {
  test('.bn-suite-cache that is a plain file: one warning line, the run goes on without the cache, exit 0', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-broken-cache-'));
    try {
      fs.writeFileSync(path.join(cwd, '.bn-suite-cache'), 'not a folder');
      // The compiled CLI in a child process: tfjs trains several times faster outside jest's sandbox.
      const cli = path.resolve(__dirname, '../../../dist/cli.js');
      const child = spawnSync(process.execPath, [cli, 'run', '--scenario', 'mnist/mlp-control', '--backend', 'wasm', '--out', path.join(cwd, 'out')], { cwd, encoding: 'utf8' });
      expect(child.stderr).toContain("warning: the pre-trained-base cache '.bn-suite-cache' cannot be used (EEXIST): running without it\n");
      expect(child.status).toBe(0);
      const [record] = JSON.parse(fs.readFileSync(path.join(cwd, 'out', 'results.json'), 'utf8')).results;
      expect(record).toMatchObject({ scenario: 'mnist/mlp-control', status: 'pass' });
      expect(record.evidence.cache).toBe('uncached');
      expect(fs.readFileSync(path.join(cwd, '.bn-suite-cache'), 'utf8')).toBe('not a folder');
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('data files are checked when they load: exit 2 with file:line:column, nothing written', () => {
  const runWith = async (name: string, content: string | Buffer) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    const out = path.join(tmp, `out-${name}`);
    const result = await cli('run', '--expectations', file, '--backend', 'cpu', '--out', out);
    expect(fs.existsSync(out)).toBe(false);
    return { ...result, file };
  };
  const entry = (backend = '') => `  - scenario: mode-switch\n    invariant: mode-switch\n${backend}    issue: unreported\n    reason: r\n    outcomes: [fail]\n`;

  test('duplicate known-issue entries', async () => {
    const { code, err, file } = await runWith('dup.yaml', `known-issues:\n${entry()}${entry("    backend: [cpu]\n")}`);
    expect(code).toBe(2);
    expect(err).toContain(`${file}:7:5: known-issues.1: duplicate entry: entry 1 already covers mode-switch / mode-switch on cpu`);
  });

  test('invalid UTF-8 is refused with the place of the first bad byte', async () => {
    const { code, err, file } = await runWith('latin1.yaml', Buffer.concat([Buffer.from(`known-issues:\n  - scenario: mode-switch\n    reason: caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(code).toBe(2);
    expect(err).toBe(`bn-suite: ${file}:3:16: (file): invalid UTF-8 (byte 0xe9 at offset 55)\n`);
  });

  test('a YAML alias bomb is refused as input, not a crash', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`), 'known-issues: []', ''].join('\n');
    const { code, err, file } = await runWith('bomb.yaml', bomb);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^bn-suite: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1:1: \\(yaml\\): refused: .*alias.* \\(more than 100 alias expansions\\)\n$`, 'i'));
  });
});

describe('vary ranges are checked when the scenario loads', () => {
  const folder = (vary: string) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'vary-'));
    fs.copyFileSync(path.resolve(__dirname, '../../../scenarios/tags.yaml'), path.join(dir, 'tags.yaml'));
    fs.writeFileSync(
      path.join(dir, 'p.yaml'),
      `id: p\nkind: property\ndescription: d\nprovenance: test\ntags: [frozen]\ninvariant: mode-switch\nvary:\n${vary}`,
    );
    return dir;
  };
  test.each([
    ['  batch: { min: -5, max: 0 }\n', /p\.yaml:8:17: vary\.batch\.min: must be at least 1 \(found -5\)/],
    ['  momentum: { min: 0.5, max: 1.5 }\n', /p\.yaml:8:\d+: vary\.momentum\.max: must be at most 1 \(found 1\.5\)/],
    ['  steps: { min: 3, max: 2 }\n', /p\.yaml:8:\d+: vary\.steps\.max: min must not exceed max/],
    ['  batch: { min: 1.5, max: 4 }\n', /p\.yaml:8:17: vary\.batch\.min: .*expected int/],
  ])('%p: exit 2 at file:line:column, nothing written', async (vary, message) => {
    const out = path.join(tmp, `vary-out-${Math.random().toString(36).slice(2)}`);
    const { code, err } = await cli('run', '--scenarios', folder(vary), '--expectations', path.join(folder('  steps: { min: 1, max: 1 }\n'), 'none.yaml'), '--backend', 'cpu', '--out', out);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('write errors on stdout end the run cleanly (compiled CLI)', () => {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  const args = (out: string) => [cli, 'run', '--scenario', 'oracle/affine', '--backend', 'cpu', '--runs', '1', '--json', '--out', out];

  test('stdout on a full disk (/dev/full): exit 3 with one line, no stack trace', () => {
    const full = fs.openSync('/dev/full', 'w');
    try {
      const child = spawnSync(process.execPath, args(path.join(tmp, 'full-out')), { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect(child.status).toBe(3);
      expect(child.stderr).toMatch(/bn-suite: cannot write to stdout \(ENOSPC\)\n$/);
      expect(child.stderr).not.toMatch(/\n\s+at /);
    } finally {
      fs.closeSync(full);
    }
  });

  test('a reader that closes the pipe early: the run keeps its own exit code', () => {
    // pipefail: the pipeline's status is the CLI's own unless it is 0.
    const command = `set -o pipefail; "${process.execPath}" ${args(path.join(tmp, 'pipe-out')).map((a) => `'${a}'`).join(' ')} | head -c 10 >/dev/null`;
    const child = spawnSync('bash', ['-c', command], { encoding: 'utf8' });
    expect(child.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(child.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'pipe-out', 'results.json'), 'utf8')).summary.asExpected).toBe(true);
  });
});

describe('steps scenarios: axis against rank and tensor sizes are checked when the file loads', () => {
  const folder = (model: string, batch = 2) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'steps-'));
    fs.copyFileSync(path.resolve(__dirname, '../../../scenarios/tags.yaml'), path.join(dir, 'tags.yaml'));
    fs.writeFileSync(
      path.join(dir, 's.yaml'),
      `id: s\nkind: steps\ndescription: d\nprovenance: test\ntags: [frozen]\ninvariant: frozen-moving-stats\nmodel: ${model}\ndata: { batch: ${batch}, x: { fill: 1 } }\nsteps:\n  - callBn: { training: true }\n`,
    );
    return dir;
  };
  test.each([
    ['{ inputShape: [3], bn: { axis: 2 } }', 2, /s\.yaml:7:\d+: model\.bn\.axis: axis 2 is outside the input's rank 2 \(\[batch, \.\.\.inputShape\]\); allowed: -2 to 1/],
    ['{ inputShape: [100000, 100000] }', 2, /s\.yaml:7:\d+: model\.inputShape: \[batch, \.\.\.inputShape\] has 20000000000 elements; the limit per tensor is 16777216/],
  ])('%s: exit 2, nothing written', async (model, batch, message) => {
    const out = path.join(tmp, `steps-out-${Math.random().toString(36).slice(2)}`);
    const { code, err } = await cli('run', '--scenarios', folder(model, batch), '--backend', 'cpu', '--out', out);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('steps scenarios: names, weights and targets a step refers to are checked when the file loads', () => {
  const folder = (data: string, steps: string) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'refs-'));
    fs.copyFileSync(path.resolve(__dirname, '../../../scenarios/tags.yaml'), path.join(dir, 'tags.yaml'));
    fs.writeFileSync(
      path.join(dir, 's.yaml'),
      `id: s\nkind: steps\ndescription: d\nprovenance: test\ntags: [frozen]\ninvariant: frozen-moving-stats\nmodel: { inputShape: [3] }\ndata: ${data}\nsteps:\n${steps}`,
    );
    return dir;
  };
  test.each([
    ['a snapshot never taken', '  - snapshot: { as: before }\n  - expectUnchanged: { since: befor, kinds: [moving_mean] }\n', /s\.yaml:11:\d+: steps\.1\.expectUnchanged\.since: no snapshot named 'befor' is made by an earlier step; defined so far: before/],
    ['an output read before it is made', '  - expectClose: { a: out, b: input }\n  - predict: { as: out }\n', /s\.yaml:10:\d+: steps\.0\.expectClose\.a: no tensor named 'out' is made by an earlier step or the data section; defined so far: x, input/],
    ['a weight the model lacks', '  - expectWeight: { weight: bn/moving_man, fill: 0 }\n', /s\.yaml:10:\d+: steps\.0\.expectWeight\.weight: the model has no weight 'bn\/moving_man'; allowed: bn\/gamma, bn\/beta, bn\/moving_mean, bn\/moving_variance/],
    ['fit without targets', '  - compile: { loss: meanSquaredError }\n  - fit: {}\n', /s\.yaml:11:\d+: steps\.1\.fit: fit needs targets; add data\.y/],
  ])('%s: exit 2 naming file:line, nothing written', async (_title, steps, message) => {
    const out = path.join(tmp, `refs-out-${Math.random().toString(36).slice(2)}`);
    const { code, err } = await cli('run', '--scenarios', folder('{ batch: 2, x: { fill: 1 } }', steps), '--backend', 'cpu', '--out', out);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });
});

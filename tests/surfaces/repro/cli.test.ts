import { CHROMIUM_ENV } from '../../../src/hosts/browser/chromium';
import { runCli } from '../../helpers/cli';
import { pageSkipReason } from './page-skip';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCli(args);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-repro-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('bn-suite repro: usage errors exit 2 and write nothing', () => {
  test.each([
    ['a malformed token', ['repro', 'not-a-token'], /malformed replay token 'not-a-token'/],
    ['a token with an unknown backend', ['repro', 'bn-suite:frozen-moving-stats/fit@gpu?seed=1&tfjs=4.22.0'], /unknown backend 'gpu'/],
    ['a token without a seed', ['repro', 'bn-suite:frozen-moving-stats/fit@cpu?tfjs=4.22.0'], /lacks seed or tfjs/],
    ['an unknown scenario', ['repro', 'bn-suite:no/such-scenario@cpu?seed=1&tfjs=4.22.0'], /unknown scenario 'no\/such-scenario'/],
    ['an unknown scenario by flags', ['repro', '--scenario', 'nope', '--backend', 'cpu', '--seed', '1'], /unknown scenario 'nope'/],
    ['neither a token nor flags', ['repro'], /repro needs a replay token/],
    ['flags missing --seed', ['repro', '--scenario', 'mode-switch', '--backend', 'cpu'], /missing: --seed/],
    ['a token and flags together', ['repro', 'bn-suite:mode-switch@cpu?seed=1&tfjs=4.22.0', '--scenario', 'mode-switch'], /either a replay token or/],
    ['a non-integer seed', ['repro', '--scenario', 'mode-switch', '--backend', 'cpu', '--seed', 'x'], /--seed 'x'/],
    ['a steps scenario that holds', ['repro', '--scenario', 'keras3/correctness-axis-last', '--backend', 'cpu', '--seed', '1'], /keras3\/correctness-axis-last @ cpu does not reproduce on tfjs [\d.]+: every expectation holds/],
    ['a transfer scenario on a base without a template', ['repro', '--scenario', 'mnist/conv-frozen-base', '--backend', 'cpu', '--seed', '1'], /mnist\/conv-frozen-base': no repro template for a transfer scenario on the conv base yet \(templates exist for: mlp, mobilenet_v2\)/],
    ['a transfer scenario on a backend it does not apply to', ['repro', '--scenario', 'mnist/mobilenet-v2-frozen-base', '--backend', 'webgl', '--seed', '1'], /scenario 'mnist\/mobilenet-v2-frozen-base' does not apply to backend 'webgl' \(its backends: wasm\)/],
  ])('%s', async (_, args, message) => {
    const out = path.join(tmp, `usage-${Math.random().toString(36).slice(2)}`);
    const result = await cli([...args, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  }, 20_000);
});

describe('bn-suite repro: the happy path', () => {
  test('a token of the frozen-BN known issue gives a verified repro and exit 0', async () => {
    const out = path.join(tmp, 'repro-fit');
    const token = 'bn-suite:frozen-moving-stats/layer-apply@cpu?seed=20261127&tfjs=4.22.0';
    const result = await cli(['repro', token, '--out', out]);
    expect(result.err).toMatch(/replayed frozen-moving-stats\/layer-apply @ cpu/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^minimised: \d+ attempts in \d+\.\d+ s/m);
    expect(result.out).toContain('repro.mjs');
    expect(result.out).toMatch(/verification \(node repro\.mjs with bn-suite's tfjs packages\): reproduces: exit 1/);
    expect(fs.readdirSync(out).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);
  }, 20_000);

  test('a case tfjs throws on gives a repro of the throw: the script names the call, prints the message and exits 1 (exit 0)', async () => {
    const out = path.join(tmp, 'repro-throw');
    const result = await cli(['repro', '--scenario', 'oracle/no-center', '--backend', 'cpu', '--seed', '20261127', '--out', out]);
    expect(result.err).toMatch(/replayed oracle\/no-center @ cpu in [\d.]+ s: error TypeError: Cannot read properties of undefined \(reading 'read'\)/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/verification \(node repro\.mjs with bn-suite's tfjs packages\): reproduces: exit 1/);
    const issue = fs.readFileSync(path.join(out, 'ISSUE.md'), 'utf8');
    expect(issue).toMatch(/^# Calling BatchNormalization \(axis -?\d+, center: false\) throws TypeError: Cannot read properties of undefined \(reading 'read'\) \(cpu backend, tfjs /);
    expect(issue).toContain("bn.apply(bnInput, {training: true}) threw TypeError: Cannot read properties of undefined (reading 'read')");
    expect(issue).toContain('The calls run without throwing.');
  }, 20_000);

  test('bn-suite run --repro writes a repro for each failing result and keeps its exit code', async () => {
    const out = path.join(tmp, 'run-repro');
    const result = await cli(['run', '--scenario', 'frozen-moving-stats/fit,tf-keras/trainable-false-fit', '--backend', 'cpu', '--runs', '3', '--out', out, '--repro']);
    expect(result.code).toBe(0);
    expect(fs.readdirSync(path.join(out, 'repros')).sort()).toEqual(['frozen-moving-stats-fit-cpu', 'tf-keras-trainable-false-fit-cpu']);
    for (const dir of fs.readdirSync(path.join(out, 'repros'))) expect(fs.readdirSync(path.join(out, 'repros', dir)).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);
    expect(result.err).toMatch(/repro frozen-moving-stats\/fit \(frozen-moving-stats\) @ cpu: .*reproduces: exit 1/);
    // A steps scenario's repro is its program as a script.
    expect(result.err).toMatch(/repro tf-keras\/trainable-false-fit \(frozen-moving-stats\) @ cpu: .*reproduces: exit 1/);
  }, 30_000);

  test('bn-suite run --repro writes a repro of the throw for each error result, of property and steps scenarios', async () => {
    const out = path.join(tmp, 'run-repro-errors');
    const result = await cli(['run', '--scenario', 'oracle/no-center,training/non-last-axis,tf-keras/trainable-disables-updates-frozen', '--backend', 'cpu', '--runs', '3', '--out', out, '--repro']);
    expect(result.code).toBe(0);
    expect(fs.readdirSync(path.join(out, 'repros')).sort()).toEqual(['oracle-no-center-cpu', 'tf-keras-trainable-disables-updates-frozen-cpu', 'training-non-last-axis-cpu']);
    expect(result.err).toMatch(/^repro oracle\/no-center \(oracle-agreement\) @ cpu: .*oracle-no-center-cpu \(reproduces: exit 1\)$/m);
    expect(result.err).toMatch(/^repro training\/non-last-axis \(frozen-gamma-beta\) @ cpu: .*training-non-last-axis-cpu \(reproduces: exit 1\)$/m);
    // A steps program that throws: its script stops at the step that throws.
    expect(result.err).toMatch(/^repro tf-keras\/trainable-disables-updates-frozen \(frozen-moving-stats\) @ cpu: .*tf-keras-trainable-disables-updates-frozen-cpu \(reproduces: exit 1\)$/m);
    expect(fs.readFileSync(path.join(out, 'repros', 'tf-keras-trainable-disables-updates-frozen-cpu', 'ISSUE.md'), 'utf8')).toContain('(trainOnBatch) throws: Error: variableGrads() expects at least one of the input variables to be trainable');
  }, 30_000);

  test('a failing steps scenario gives a repro made from its program, verified (exit 0)', async () => {
    const out = path.join(tmp, 'repro-steps');
    const result = await cli(['repro', 'bn-suite:keras3/trainable-behavior-frozen@cpu?seed=3&tfjs=4.22.0', '--out', out]);
    expect(result.err).toMatch(/ran keras3\/trainable-behavior-frozen @ cpu in [\d.]+ s: fail step 3 \(expectClose\)/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/verification \(node repro\.mjs with bn-suite's tfjs packages\): reproduces: exit 1/);
    expect(fs.readdirSync(out).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);
    expect(fs.readFileSync(path.join(out, 'ISSUE.md'), 'utf8')).toContain('step 3 (expectClose) does not hold');
  }, 30_000);
});

describe('bn-suite repro: browser backends', () => {
  test('a webgl token without a Chromium is a usage error naming why, and writes nothing', async () => {
    const out = path.join(tmp, 'no-chromium');
    const saved = process.env[CHROMIUM_ENV];
    process.env[CHROMIUM_ENV] = path.join(tmp, 'no-such-chromium');
    try {
      const result = await cli(['repro', 'bn-suite:frozen-moving-stats/fit@webgl?seed=20261127&tfjs=4.22.0', '--out', out]);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/backend 'webgl' is not available here \(browser-missing\): BN_SUITE_CHROMIUM=.* is not an executable file/);
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env[CHROMIUM_ENV];
      else process.env[CHROMIUM_ENV] = saved;
    }
  }, 20_000);

  const reason = pageSkipReason('webgl');
  (reason === null ? describe : describe.skip)(`in Chromium on webgl${reason !== null ? `: ${reason}` : ''}`, () => {
    test('a webgl token is replayed in a page and gives a verified index.html + ISSUE.md, exit 0', async () => {
      const out = path.join(tmp, 'repro-webgl');
      // The token `bn-suite run --backend webgl` prints for this known issue (tfjs 4.22, the default seed).
      const token = 'bn-suite:frozen-moving-stats/fit@webgl?seed=20261127&path=0%3A0%3A0%3A0%3A0%3A0%3A0%3A0%3A0%3A0%3A0%3A0%3A0&tfjs=4.22.0';
      const result = await cli(['repro', token, '--out', out]);
      expect(result.err).toMatch(/replayed frozen-moving-stats\/fit @ webgl in \d+\.\d+ s: fail bn\/moving_variance moved/);
      expect(result.code).toBe(0);
      expect(result.out).toContain("not minimised: bn-suite minimises in Node; this is the page's shrunk counterexample on webgl");
      expect(result.out).toMatch(/^wrote .*repro-webgl\/ \(index\.html \d+ bytes, ISSUE\.md\)$/m);
      expect(result.out).toContain('verification (index.html in headless Chromium, local tfjs bundles): reproduces: exit 1');
      expect(fs.readdirSync(out).sort()).toEqual(['ISSUE.md', 'index.html']);
      const issue = fs.readFileSync(path.join(out, 'ISSUE.md'), 'utf8');
      expect(issue).toContain('Replay token: `bn-suite:frozen-moving-stats/fit@webgl?seed=20261127&path=0%3A0');
      expect(issue).toContain("bn-suite's run on webgl reported: `bn/moving_variance moved");
    }, 120_000);

    test('bn-suite run --repro on webgl writes index.html + ISSUE.md for the failing result', async () => {
      const out = path.join(tmp, 'run-repro-webgl');
      const result = await cli(['run', '--scenario', 'frozen-moving-stats/fit', '--backend', 'webgl', '--runs', '3', '--out', out, '--repro']);
      expect(result.code).toBe(0);
      expect(fs.readdirSync(path.join(out, 'repros'))).toEqual(['frozen-moving-stats-fit-webgl']);
      expect(fs.readdirSync(path.join(out, 'repros', 'frozen-moving-stats-fit-webgl')).sort()).toEqual(['ISSUE.md', 'index.html']);
      expect(result.err).toMatch(/repro frozen-moving-stats\/fit \(frozen-moving-stats\) @ webgl: .*\(reproduces: exit 1\)/);
    }, 180_000);
  });
});
